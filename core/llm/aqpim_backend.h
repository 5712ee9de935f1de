// AQPIM's KV cache on the real model: exact through prefill, then every layer's K and V product-quantised
// per KV head as the hardware does after prefill (core/kv_quantizer.h, core/accuracy_fixes.h), decode tokens
// appended with the last codebook (no centroid update, append_token), attention on the codes
// (pq_head_attention). Every accuracy fix is a switch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/attention.h"
#include "core/kv_quantizer.h"
#include "core/llm/calibration.h"
#include "core/llm/kv_backend.h"

namespace aqpim::core::llm {

struct AqpimOptions {
  size_t sub_dim = 4;          // channels per sub-vector: m = head_dim / sub_dim (AQPIM: 4)
  size_t clusters = 64;        // K per sub-space (AQPIM: 512; keep it well below the coded tokens here)
  size_t iterations = 4;       // k-means iterations (AQPIM: 4)
  uint64_t seed = 0;           // k-means seed (each window, sub-space derive their own)
  size_t sink_tokens = 8;      // fp16 attention-sink tokens (AQPIM: 8; 0 = fix off)
  size_t recent_tokens = 32;   // fp16 recent window (AQPIM: 32; 0 = fix off)
  bool importance_weighting = true;  // weighted k-means, weights from the last t prefill queries
  size_t importance_queries = 32;    // t (AQPIM: 32)
  bool channel_presort = true;       // calibrated channel orders (need calibration data)
  size_t window_tokens = 0;          // page-aware windows: coded tokens per codebook (0 = one codebook)
  ValuePath value_path = ValuePath::kHistogram;
  bool fp16_kv = true;               // K, V rounded to fp16 before quantising (HBM holds fp16 KV)
  bool train_on_recent = false;      // k-means also sees the recent window (KvQuantizationOptions)

  KvQuantizationOptions quantization(size_t head_dim) const;
};

// Channel orders per layer and KV head, [layer * kv_heads + kv_head] (stored channel c = original channel
// order[c]).
struct ChannelOrders {
  std::vector<std::vector<uint32_t>> keys, values;
};

// AQPIM's pre-sorting calibrated on calibration data: calibrate_channel_order per layer and KV head, keys
// with llama2.c's interleaved RoPE pairs kept together (so the order folds into W_k), values freely. With
// sub_dim 1 every channel is its own sub-space and the orders are the identity; another odd sub_dim cannot
// keep RoPE pairs together (std::invalid_argument).
ChannelOrders calibrate_aqpim_channel_orders(const KvCalibration& calibration, size_t sub_dim);

class AqpimBackend final : public CompressingKvBackend {
 public:
  // orders: required when options.channel_presort (kept by pointer: must outlive the back end).
  explicit AqpimBackend(const AqpimOptions& options, const ChannelOrders* orders = nullptr);
  std::string name() const override { return "aqpim"; }
  const QuantizedKvCache& layer_cache(size_t layer) const { return caches_.at(layer); }

 private:
  // Codes and fp16 codebooks of every K and V head (stored_bytes), fp16 sink and recent rows, and (with
  // pre-sorting) two channel orders per KV head as metadata, although AQPIM folds them into the weights.
  KvFootprint compressed_footprint() const override;
  void compress(const PrefillView& prefill) override;
  void append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) override;
  void attend_compressed(size_t layer, size_t query_head, const float* query, float* out) override;

  AqpimOptions options_;
  const ChannelOrders* orders_;
  std::vector<QuantizedKvCache> caches_;  // per layer
};

}  // namespace aqpim::core::llm
