// Shared by the real-model tests: the vendored files, and a llama2.c checkpoint written by the test itself
// (random weights, the file layout spelled out here independently of the loader) with a double-precision
// reference forward pass over the same raw arrays.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/seeded_random.h"

namespace aqpim::core::llm::test {

inline std::string data_path(const std::string& name) {
  return std::string(AQPIM_SOURCE_DIR) + "/data/realdata/" + name;
}

inline std::string temp_path(const std::string& name) {
  return std::string(AQPIM_BINARY_DIR) + "/test_llm_" + name;
}

// The raw tensors of a llama2.c model, each row-major with the output dimension first.
struct RawModel {
  int dim, hidden, layers, heads, kv_heads, vocab, seq_len;
  bool shared;
  std::vector<float> embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_real, freq_imag, wcls;
  int head_dim() const { return dim / heads; }
  int kv_dim() const { return kv_heads * head_dim(); }
};

inline RawModel random_model(int dim, int hidden, int layers, int heads, int kv_heads, int vocab, int seq_len,
                             bool shared, uint64_t seed) {
  RawModel m{dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {},
             {}, {}, {}};
  SeededRandom random(seed);
  auto fill = [&](std::vector<float>& v, size_t n, float scale, float offset = 0.0f) {
    v.resize(n);
    for (float& x : v) x = offset + scale * random.normal();
  };
  const size_t L = size_t(layers), d = size_t(dim), kv = size_t(m.kv_dim()), h = size_t(hidden);
  fill(m.embedding, size_t(vocab) * d, 1.0f);
  fill(m.rms_att, L * d, 0.1f, 1.0f);
  fill(m.wq, L * d * d, 0.6f / std::sqrt(float(d)));
  fill(m.wk, L * kv * d, 0.6f / std::sqrt(float(d)));
  fill(m.wv, L * kv * d, 1.0f / std::sqrt(float(d)));
  fill(m.wo, L * d * d, 1.0f / std::sqrt(float(d)));
  fill(m.rms_ffn, L * d, 0.1f, 1.0f);
  fill(m.w1, L * h * d, 1.0f / std::sqrt(float(d)));
  fill(m.w2, L * d * h, 1.0f / std::sqrt(float(h)));
  fill(m.w3, L * h * d, 1.0f / std::sqrt(float(d)));
  fill(m.rms_final, d, 0.1f, 1.0f);
  fill(m.freq_real, size_t(seq_len) * size_t(m.head_dim()) / 2, 100.0f);  // must be skipped by the loader
  fill(m.freq_imag, size_t(seq_len) * size_t(m.head_dim()) / 2, 100.0f);
  if (!shared) fill(m.wcls, size_t(vocab) * d, 1.0f);
  return m;
}

inline void write_checkpoint(const RawModel& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const int32_t header[7] = {m.dim, m.hidden, m.layers, m.heads, m.kv_heads, m.shared ? m.vocab : -m.vocab, m.seq_len};
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  for (const std::vector<float>* t : {&m.embedding, &m.rms_att, &m.wq, &m.wk, &m.wv, &m.wo, &m.rms_ffn, &m.w1, &m.w2,
                                      &m.w3, &m.rms_final, &m.freq_real, &m.freq_imag, &m.wcls})
    out.write(reinterpret_cast<const char*>(t->data()), std::streamsize(t->size() * sizeof(float)));
}

// Logits of every position for `tokens`, in double, straight from the formulas: RMSNorm, interleaved RoPE
// pairs (2i, 2i+1) at angle pos * 10000^(-2i/head_dim), causal GQA softmax attention, SwiGLU, classifier.
inline std::vector<std::vector<double>> reference_logits(const RawModel& m, const std::vector<int>& tokens) {
  const int d = m.dim, hd = m.head_dim(), kvd = m.kv_dim(), H = m.hidden, group = m.heads / m.kv_heads;
  auto matvec = [](const float* w, const std::vector<double>& x, int rows) {
    std::vector<double> y(size_t(rows), 0.0);
    for (int i = 0; i < rows; ++i)
      for (size_t j = 0; j < x.size(); ++j) y[size_t(i)] += double(w[size_t(i) * x.size() + j]) * x[j];
    return y;
  };
  auto rmsnorm = [](const std::vector<double>& x, const float* w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / double(x.size()) + 1e-5);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = double(w[i]) * x[i] * inv;
    return y;
  };
  auto rope = [&](std::vector<double>& v, int pos) {
    for (size_t i = 0; i < v.size(); i += 2) {
      const double angle = pos * std::pow(10000.0, -double(i % size_t(hd)) / hd);
      const double a = v[i], b = v[i + 1];
      v[i] = a * std::cos(angle) - b * std::sin(angle);
      v[i + 1] = a * std::sin(angle) + b * std::cos(angle);
    }
  };
  std::vector<std::vector<std::vector<double>>> keys(size_t(m.layers)), values(size_t(m.layers));
  std::vector<std::vector<double>> logits;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    std::vector<double> x(m.embedding.begin() + tokens[pos] * d, m.embedding.begin() + (tokens[pos] + 1) * d);
    for (int l = 0; l < m.layers; ++l) {
      const std::vector<double> xb = rmsnorm(x, m.rms_att.data() + l * d);
      std::vector<double> q = matvec(m.wq.data() + size_t(l) * d * d, xb, d);
      std::vector<double> k = matvec(m.wk.data() + size_t(l) * kvd * d, xb, kvd);
      const std::vector<double> v = matvec(m.wv.data() + size_t(l) * kvd * d, xb, kvd);
      rope(q, int(pos));
      rope(k, int(pos));
      keys[size_t(l)].push_back(k);
      values[size_t(l)].push_back(v);
      std::vector<double> attention(size_t(d), 0.0);
      for (int h = 0; h < m.heads; ++h) {
        const int kv_offset = (h / group) * hd;
        std::vector<double> scores(pos + 1);
        double top = -INFINITY, sum = 0;
        for (size_t t = 0; t <= pos; ++t) {
          double dot = 0;
          for (int i = 0; i < hd; ++i) dot += q[size_t(h * hd + i)] * keys[size_t(l)][t][size_t(kv_offset + i)];
          top = std::max(top, scores[t] = dot / std::sqrt(double(hd)));
        }
        for (double& s : scores) sum += (s = std::exp(s - top));
        for (size_t t = 0; t <= pos; ++t)
          for (int i = 0; i < hd; ++i)
            attention[size_t(h * hd + i)] += scores[t] / sum * values[size_t(l)][t][size_t(kv_offset + i)];
      }
      const std::vector<double> projected = matvec(m.wo.data() + size_t(l) * d * d, attention, d);
      for (int i = 0; i < d; ++i) x[size_t(i)] += projected[size_t(i)];
      const std::vector<double> xf = rmsnorm(x, m.rms_ffn.data() + l * d);
      const std::vector<double> a = matvec(m.w1.data() + size_t(l) * H * d, xf, H);
      const std::vector<double> b = matvec(m.w3.data() + size_t(l) * H * d, xf, H);
      std::vector<double> hidden(static_cast<size_t>(H), 0.0);
      for (size_t i = 0; i < hidden.size(); ++i) hidden[i] = a[i] / (1.0 + std::exp(-a[i])) * b[i];
      const std::vector<double> down = matvec(m.w2.data() + size_t(l) * d * H, hidden, d);
      for (int i = 0; i < d; ++i) x[size_t(i)] += down[size_t(i)];
    }
    const std::vector<double> final_x = rmsnorm(x, m.rms_final.data());
    logits.push_back(matvec(m.shared ? m.embedding.data() : m.wcls.data(), final_x, m.vocab));
  }
  return logits;
}

}  // namespace aqpim::core::llm::test
