#include "core/llm/pqcache_backend.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "core/argument_checks.h"
#include "core/attention.h"

namespace aqpim::core::llm {

PqCacheBackend::PqCacheBackend(const PqCacheOptions& options) : options_(options) {
  require_range("pqcache.clusters", options.clusters, 1, kMaxClusters);
  require_range("pqcache.top_k", options.top_k, 1, size_t(1) << 32);
}

void PqCacheBackend::compress(const PrefillView& prefill) {
  const KvShape& s = shape();
  require_range("pqcache.sub_dim", options_.sub_dim, 1, std::min(s.head_dim, kMaxSubDim));
  if (s.head_dim % options_.sub_dim != 0)
    throw_argument_error("pqcache.sub_dim", "must divide head_dim = " + std::to_string(s.head_dim),
                         std::to_string(options_.sub_dim));
  KvQuantizationOptions quantization;
  quantization.shape = {s.head_dim, s.head_dim / options_.sub_dim, options_.clusters};
  quantization.training.iterations = options_.iterations;
  quantization.training.seed = options_.seed;
  quantization.sink_tokens = options_.sink_tokens;
  quantization.recent_tokens = options_.recent_tokens;
  prefill_rows().round_to_fp16();  // the exact copy PQCache fetches from is the fp16 cache
  key_codes_.clear();
  for (size_t l = 0; l < s.layers; ++l)
    for (size_t h = 0; h < s.kv_heads; ++h)
      key_codes_.push_back(quantize_kv(prefill_rows().keys(l, h).data(), prefill.tokens, s.head_dim, quantization));
}

void PqCacheBackend::append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) {
  prefill_rows().append(layer, kv_head, key, value, /*fp16=*/true);
  append_token(key_codes_.at(layer * shape().kv_heads + kv_head), key);
}

void PqCacheBackend::attend_compressed(size_t layer, size_t query_head, const float* query, float* out) {
  const KvShape& s = shape();
  const size_t kv_head = query_head / s.group();
  const QuantizedKv& codes = key_codes_.at(layer * s.kv_heads + kv_head);
  const size_t tokens = codes.tokens(), first = codes.sink_tokens, coded = codes.coded_tokens;
  const std::vector<float>& keys = prefill_rows().keys(layer, kv_head);
  const std::vector<float>& values = prefill_rows().values(layer, kv_head);
  order_.resize(coded);
  std::iota(order_.begin(), order_.end(), first);
  if (options_.top_k < coded) {  // otherwise every coded token is selected: no scoring needed
    scores_.resize(tokens);
    pq_head_scores(query, codes, tokens, s.scale(), scores_.data());
    std::partial_sort(order_.begin(), order_.begin() + ptrdiff_t(options_.top_k), order_.end(),
                      [&](size_t a, size_t b) { return scores_[a] != scores_[b] ? scores_[a] > scores_[b] : a < b; });
    order_.resize(options_.top_k);
    std::sort(order_.begin(), order_.end());
  }
  keys_.clear(), values_.clear();
  auto take = [&](size_t n) {
    keys_.insert(keys_.end(), keys.begin() + ptrdiff_t(n * s.head_dim), keys.begin() + ptrdiff_t((n + 1) * s.head_dim));
    values_.insert(values_.end(), values.begin() + ptrdiff_t(n * s.head_dim),
                   values.begin() + ptrdiff_t((n + 1) * s.head_dim));
  };
  for (size_t n = 0; n < first; ++n) take(n);
  for (size_t n : order_) take(n);
  for (size_t n = first + coded; n < tokens; ++n) take(n);
  reference_head_attention(query, keys_.data(), values_.data(), keys_.size() / s.head_dim, s.head_dim, s.head_dim,
                           s.scale(), out);
}

KvFootprint PqCacheBackend::compressed_footprint() const {
  const KvShape& s = shape();
  KvFootprint footprint = empty_footprint(key_codes_.front().tokens());
  for (const QuantizedKv& codes : key_codes_) {
    const KvBytes bytes = stored_bytes(codes);
    footprint.code_bytes += bytes.codes;
    footprint.codebook_bytes += bytes.codebooks;
    footprint.uncompressed_bytes += 2 * bytes.fp16_tokens;  // sink and local keys and values
    footprint.offloaded_bytes += uint64_t(codes.coded_tokens) * s.head_dim * 2 * 2;
  }
  return footprint;
}

}  // namespace aqpim::core::llm
