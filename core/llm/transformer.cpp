#include "core/llm/transformer.h"

#include <cmath>
#include <string>

#include "core/argument_checks.h"
#include "core/llm/tokenizer.h"
#include "core/seeded_random.h"

namespace aqpim::core::llm {
namespace {

// out[i] = sum_j w[i * in + j] x[j], j in order (llama2.c's matmul). Four rows at a time for instruction-level
// parallelism; each output keeps its own in-order fp32 sum.
void matmul(float* out, const float* x, const float* w, size_t in, size_t rows) {
  size_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float *w0 = w + i * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (size_t j = 0; j < in; ++j) {
      s0 += w0[j] * x[j];
      s1 += w1[j] * x[j];
      s2 += w2[j] * x[j];
      s3 += w3[j] * x[j];
    }
    out[i] = s0, out[i + 1] = s1, out[i + 2] = s2, out[i + 3] = s3;
  }
  for (; i < rows; ++i) {
    const float* row = w + i * in;
    float sum = 0.0f;
    for (size_t j = 0; j < in; ++j) sum += row[j] * x[j];
    out[i] = sum;
  }
}

void rmsnorm(float* out, const float* x, const float* weight, size_t size) {
  float ss = 0.0f;
  for (size_t j = 0; j < size; ++j) ss += x[j] * x[j];
  ss /= float(size);
  ss += 1e-5f;
  ss = 1.0f / std::sqrt(ss);
  for (size_t j = 0; j < size; ++j) out[j] = weight[j] * (ss * x[j]);
}

}  // namespace

KvShape kv_shape(const LlamaConfig& config) {
  KvShape shape;
  shape.layers = config.layers;
  shape.query_heads = config.heads;
  shape.kv_heads = config.kv_heads;
  shape.head_dim = config.head_dim();
  return shape;
}

PrefillView ForwardRecord::prefill_view(size_t prefill_tokens) const {
  if (prefill_tokens > tokens)
    throw_argument_error("prefill_tokens", "must be at most the " + std::to_string(tokens) + " tokens recorded",
                         std::to_string(prefill_tokens));
  PrefillView view;
  view.tokens = prefill_tokens;
  for (const std::vector<float>& layer : queries) view.queries.push_back(layer.data());
  return view;
}

Transformer::Transformer(const LlamaModel& model) : model_(model) {
  const LlamaConfig& c = model.config;
  c.validate();
  x_.resize(c.dim), xb_.resize(c.dim), xb2_.resize(c.dim), q_.resize(c.dim);
  k_.resize(c.kv_dim()), v_.resize(c.kv_dim()), hb_.resize(c.hidden_dim), hb2_.resize(c.hidden_dim);
  logits_.resize(c.vocab_size);
  rope_cos_.resize(c.head_dim() / 2), rope_sin_.resize(c.head_dim() / 2);
}

const std::vector<float>& Transformer::forward(int32_t token, size_t pos, KvCacheBackend& cache,
                                               ForwardRecord* record) {
  const LlamaConfig& c = model_.config;
  if (token < 0 || size_t(token) >= c.vocab_size)
    throw_argument_error("token", "must be in 0.." + std::to_string(c.vocab_size - 1), std::to_string(token));
  const size_t dim = c.dim, kv_dim = c.kv_dim(), head_dim = c.head_dim(), hidden = c.hidden_dim;
  std::copy(model_.token_embedding.begin() + ptrdiff_t(size_t(token) * dim),
            model_.token_embedding.begin() + ptrdiff_t((size_t(token) + 1) * dim), x_.begin());
  // llama2.c recomputes these per layer with the same float expressions; they depend on pos only.
  for (size_t i = 0; i < head_dim; i += 2) {
    const float frequency = 1.0f / std::pow(10000.0f, float(i) / float(head_dim));
    const float angle = float(pos) * frequency;
    rope_cos_[i / 2] = std::cos(angle);
    rope_sin_[i / 2] = std::sin(angle);
  }
  if (record && record->queries.size() != c.layers) {
    record->queries.assign(c.layers, {}), record->keys.assign(c.layers, {}), record->values.assign(c.layers, {});
  }

  for (size_t l = 0; l < c.layers; ++l) {
    rmsnorm(xb_.data(), x_.data(), model_.rms_att.data() + l * dim, dim);
    matmul(q_.data(), xb_.data(), model_.wq.data() + l * dim * dim, dim, dim);
    matmul(k_.data(), xb_.data(), model_.wk.data() + l * kv_dim * dim, dim, kv_dim);
    matmul(v_.data(), xb_.data(), model_.wv.data() + l * kv_dim * dim, dim, kv_dim);
    for (size_t i = 0; i < dim; i += 2) {
      const float fcr = rope_cos_[(i % head_dim) / 2], fci = rope_sin_[(i % head_dim) / 2];
      for (float* vec : {q_.data(), i < kv_dim ? k_.data() : nullptr}) {
        if (!vec) continue;
        const float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }
    if (record) {
      record->queries[l].insert(record->queries[l].end(), q_.begin(), q_.end());
      record->keys[l].insert(record->keys[l].end(), k_.begin(), k_.end());
      record->values[l].insert(record->values[l].end(), v_.begin(), v_.end());
      if (l + 1 == c.layers) ++record->tokens;
    }
    for (size_t h = 0; h < c.kv_heads; ++h) cache.append(l, h, k_.data() + h * head_dim, v_.data() + h * head_dim);
    for (size_t h = 0; h < c.heads; ++h) cache.attend(l, h, q_.data() + h * head_dim, xb_.data() + h * head_dim);
    matmul(xb2_.data(), xb_.data(), model_.wo.data() + l * dim * dim, dim, dim);
    for (size_t i = 0; i < dim; ++i) x_[i] += xb2_[i];

    rmsnorm(xb_.data(), x_.data(), model_.rms_ffn.data() + l * dim, dim);
    matmul(hb_.data(), xb_.data(), model_.w1.data() + l * hidden * dim, dim, hidden);
    matmul(hb2_.data(), xb_.data(), model_.w3.data() + l * hidden * dim, dim, hidden);
    for (size_t i = 0; i < hidden; ++i) {
      float value = hb_[i];
      value *= 1.0f / (1.0f + std::exp(-value));
      value *= hb2_[i];
      hb_[i] = value;
    }
    matmul(xb_.data(), hb_.data(), model_.w2.data() + l * dim * hidden, hidden, dim);
    for (size_t i = 0; i < dim; ++i) x_[i] += xb_[i];
  }
  rmsnorm(x_.data(), x_.data(), model_.rms_final.data(), dim);
  matmul(logits_.data(), x_.data(), model_.classifier(), dim, c.vocab_size);
  return logits_;
}

size_t argmax(const float* values, size_t count) {
  size_t best = 0;
  for (size_t i = 1; i < count; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

std::vector<int32_t> generate(const LlamaModel& model, const std::vector<int32_t>& prompt, size_t steps,
                              float temperature, uint64_t seed) {
  if (prompt.empty()) throw_argument_error("prompt", "must hold at least one token (usually BOS)", "none");
  if (!(temperature >= 0.0f) || !std::isfinite(temperature))
    throw_argument_error("temperature", "must be finite and >= 0", std::to_string(temperature));
  if (prompt.size() > model.config.seq_len)
    throw_argument_error("prompt", "must fit the model's seq_len = " + std::to_string(model.config.seq_len),
                         std::to_string(prompt.size()) + " tokens");
  Transformer transformer(model);
  ExactBackend cache;
  cache.begin(transformer.shape());
  SeededRandom random(seed);
  std::vector<int32_t> tokens = prompt;
  for (size_t pos = 0; pos + 1 < prompt.size(); ++pos) transformer.forward(tokens[pos], pos, cache);
  while (tokens.size() < prompt.size() + steps && tokens.size() < model.config.seq_len) {
    const std::vector<float>& logits = transformer.forward(tokens.back(), tokens.size() - 1, cache);
    size_t next = argmax(logits.data(), logits.size());
    if (temperature > 0.0f) {
      std::vector<double> weights(logits.size());
      double sum = 0;
      for (size_t i = 0; i < weights.size(); ++i)
        sum += (weights[i] = std::exp((double(logits[i]) - double(logits[next])) / temperature));
      double u = random.uniform() * sum;
      for (size_t i = 0; i < weights.size(); ++i)
        if ((u -= weights[i]) < 0 || i + 1 == weights.size()) {
          next = i;
          break;
        }
    }
    if (int32_t(next) == kBosToken) break;
    tokens.push_back(int32_t(next));
  }
  return tokens;
}

}  // namespace aqpim::core::llm
