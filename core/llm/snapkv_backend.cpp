#include "core/llm/snapkv_backend.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "core/argument_checks.h"
#include "core/attention.h"
#include "core/fp16.h"

namespace aqpim::core::llm {

void SnapKvOptions::validate() const {
  require_range("snapkv.window", window, 1, 1u << 20);
  if (budget <= window)
    throw_argument_error("snapkv.budget", "must exceed the window = " + std::to_string(window),
                         std::to_string(budget));
  require_range("snapkv.kernel", kernel, 1, 1u << 10);
  if (kernel % 2 == 0) throw_argument_error("snapkv.kernel", "must be odd", std::to_string(kernel));
}

std::vector<size_t> snapkv_select(const std::vector<double>& window_attention, const SnapKvOptions& options) {
  options.validate();
  const size_t tokens = window_attention.size();
  std::vector<size_t> kept;
  if (tokens <= options.budget) {
    kept.resize(tokens);
    std::iota(kept.begin(), kept.end(), size_t(0));
    return kept;
  }
  const size_t prefix = tokens - options.window, half = options.kernel / 2;
  std::vector<double> pooled(prefix);
  for (size_t j = 0; j < prefix; ++j) {
    const size_t first = j >= half ? j - half : 0, last = std::min(prefix - 1, j + half);
    if (options.pooling == SnapKvPooling::kNone) {
      pooled[j] = window_attention[j];
    } else if (options.pooling == SnapKvPooling::kAverage) {
      double sum = 0;  // zero padding outside the prefix, counted in the divisor (avg_pool1d's default)
      for (size_t i = first; i <= last; ++i) sum += window_attention[i];
      pooled[j] = sum / double(options.kernel);
    } else {
      double best = -std::numeric_limits<double>::infinity();  // padding never wins a max
      for (size_t i = first; i <= last; ++i) best = std::max(best, window_attention[i]);
      pooled[j] = best;
    }
  }
  std::vector<size_t> order(prefix);
  std::iota(order.begin(), order.end(), size_t(0));
  const size_t chosen = options.budget - options.window;
  std::partial_sort(order.begin(), order.begin() + ptrdiff_t(chosen), order.end(), [&](size_t a, size_t b) {
    return pooled[a] != pooled[b] ? pooled[a] > pooled[b] : a < b;
  });
  kept.assign(order.begin(), order.begin() + ptrdiff_t(chosen));
  std::sort(kept.begin(), kept.end());
  for (size_t j = prefix; j < tokens; ++j) kept.push_back(j);
  return kept;
}

SnapKvBackend::SnapKvBackend(const SnapKvOptions& options) : options_(options) { options.validate(); }

void SnapKvBackend::compress(const PrefillView& prefill) {
  const KvShape& s = shape();
  const size_t tokens = prefill.tokens, window = std::min(options_.window, tokens);
  heads_.assign(s.layers * s.kv_heads, {});
  std::vector<float> probabilities(tokens), unused(s.head_dim);
  for (size_t l = 0; l < s.layers; ++l)
    for (size_t h = 0; h < s.kv_heads; ++h) {
      const std::vector<float>& keys = prefill_rows().keys(l, h);
      const std::vector<float>& values = prefill_rows().values(l, h);
      std::vector<double> attention(tokens, 0.0);
      if (tokens > options_.budget)
        for (size_t r = tokens - window; r < tokens; ++r)
          for (size_t g = 0; g < s.group(); ++g) {
            const float* query = prefill.query(l, r, s) + (h * s.group() + g) * s.head_dim;
            // Causal: query r sees tokens 0..r. Values do not matter for the probabilities.
            reference_head_attention(query, keys.data(), keys.data(), r + 1, s.head_dim, s.head_dim, s.scale(),
                                     unused.data(), nullptr, probabilities.data());
            for (size_t j = 0; j <= r; ++j) attention[j] += probabilities[j];
          }
      Head& head = heads_[l * s.kv_heads + h];
      head.seen = tokens;
      head.positions = snapkv_select(attention, options_);
      for (size_t j : head.positions)
        for (size_t d = 0; d < s.head_dim; ++d) {
          const float k = keys[j * s.head_dim + d], v = values[j * s.head_dim + d];
          head.keys.push_back(options_.fp16 ? round_to_fp16(k) : k);
          head.values.push_back(options_.fp16 ? round_to_fp16(v) : v);
        }
    }
}

void SnapKvBackend::append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) {
  Head& head = heads_.at(layer * shape().kv_heads + kv_head);
  head.positions.push_back(head.seen++);
  for (size_t d = 0; d < shape().head_dim; ++d) {
    head.keys.push_back(options_.fp16 ? round_to_fp16(key[d]) : key[d]);
    head.values.push_back(options_.fp16 ? round_to_fp16(value[d]) : value[d]);
  }
}

void SnapKvBackend::attend_compressed(size_t layer, size_t query_head, const float* query, float* out) {
  const Head& head = heads_.at(layer * shape().kv_heads + query_head / shape().group());
  reference_head_attention(query, head.keys.data(), head.values.data(), head.positions.size(), shape().head_dim,
                           shape().head_dim, shape().scale(), out);
}

KvFootprint SnapKvBackend::compressed_footprint() const {
  KvFootprint footprint = empty_footprint(heads_.front().seen);
  for (const Head& head : heads_)
    footprint.uncompressed_bytes += uint64_t(head.keys.size() + head.values.size()) * (options_.fp16 ? 2 : 4);
  return footprint;
}

}  // namespace aqpim::core::llm
