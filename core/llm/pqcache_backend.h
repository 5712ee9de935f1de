// PQCache-like retrieval (Zhang et al., 2024), one of AQPIM's accuracy baselines: product-quantised keys only
// select tokens; attention then runs on the exact fp16 K and V of the selected tokens, which PQCache fetches
// from CPU memory.
//
// After prefill, each layer's keys of each KV head are product-quantised (plain k-means, core/kv_quantizer.h,
// no accuracy fixes) apart from `sink_tokens` initial and `recent_tokens` local tokens, which always take
// part; decode tokens enter the local window and the token leaving it is coded with the last codebook. Each
// query head, at each step, scores the coded tokens from the codes (pq_head_scores), takes the `top_k`
// highest (ties to the lower position) and attends exactly over sink + selected + local tokens, in position
// order. With top_k >= the coded tokens this is the exact fp16 cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/kv_quantizer.h"
#include "core/llm/kv_backend.h"

namespace aqpim::core::llm {

struct PqCacheOptions {
  size_t sub_dim = 4;       // channels per sub-vector of the key codes
  size_t clusters = 64;     // K
  size_t iterations = 4;
  uint64_t seed = 0;
  size_t sink_tokens = 8;   // initial tokens, always attended exactly
  size_t recent_tokens = 32;  // local window, always attended exactly
  size_t top_k = 64;        // coded tokens selected per query head and step
};

class PqCacheBackend final : public CompressingKvBackend {
 public:
  explicit PqCacheBackend(const PqCacheOptions& options);
  std::string name() const override { return "pqcache"; }

 private:
  // On the accelerator: key codes and fp16 key codebooks, sink and local K, V rows in fp16. offloaded_bytes:
  // the fp16 K and V of the coded tokens, which stay in CPU memory (not in the total).
  KvFootprint compressed_footprint() const override;
  void compress(const PrefillView& prefill) override;
  void append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) override;
  void attend_compressed(size_t layer, size_t query_head, const float* query, float* out) override;

  PqCacheOptions options_;
  std::vector<QuantizedKv> key_codes_;  // [layer * kv_heads + kv_head]
  std::vector<float> scores_, keys_, values_;  // scratch
  std::vector<size_t> order_;
};

}  // namespace aqpim::core::llm
