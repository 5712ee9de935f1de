// SKVQ-like channel-reordered group quantisation (Duanmu et al., 2024), one of AQPIM's accuracy baselines.
//
// Per layer, a token's keys (and values) of all KV heads form one row of kv_dim channels. The channels are
// reordered by a calibrated permutation (units sorted by their value range on the calibration text, so
// channels of similar range share a group; key units are llama2.c's interleaved RoPE pairs so the order could
// be folded into W_k), then every group of `group_size` consecutive channels of every token is quantised
// asymmetrically to `bits`: zero point = the group's minimum and scale = (max - min) / (2^bits - 1), both
// scaled by clip_ratio (SKVQ's clipped dynamic quantisation, 1 = no clipping) and stored as fp16 (scale
// rounded up so the largest level still reaches the maximum). The first `sink_tokens` and the last
// `recent_tokens` (SKVQ's sliding window) stay fp16; a token leaving the window is quantised then. K and V
// are rounded to fp16 (the model's cache) before anything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/fp16.h"
#include "core/llm/calibration.h"
#include "core/llm/kv_backend.h"

namespace aqpim::core::llm {

struct SkvqOptions {
  size_t key_bits = 2;     // 1..16
  size_t value_bits = 2;   // 1..16
  size_t group_size = 0;   // channels per group along the reordered kv_dim (divides it); 0 = head_dim
  float clip_ratio = 1.0f; // (0, 1]
  size_t sink_tokens = 8;
  size_t recent_tokens = 32;
  bool channel_reorder = true;  // needs calibrated orders
  size_t group(size_t head_dim) const { return group_size ? group_size : head_dim; }
  void validate(const KvShape& shape) const;
};

// One group quantised: level i of channel c reconstructs as float(scale) * i + float(zero).
struct QuantizedGroup {
  fp16_bits scale = 0, zero = 0;
  std::vector<uint16_t> levels;
};
QuantizedGroup quantize_group(const float* values, size_t count, size_t bits, float clip_ratio = 1.0f);
void dequantize_group(const QuantizedGroup& group, float* out);

// Per layer, a kv_dim-entry permutation for keys and one for values (stored channel c = original order[c]),
// made for one group size.
struct SkvqChannelOrders {
  std::vector<std::vector<uint32_t>> keys, values;
};
// Groups channels that move together, for one group size: units (keys: RoPE pairs (2c, 2c+1), values:
// single channels) are placed group by group; each group starts from the unplaced unit with the widest range
// over the calibration tokens and greedily adds the unit that keeps the group's per-token span (max - min
// over its channels, summed over the calibration tokens) smallest, ties to the lower channel. SKVQ clusters
// channels by their (min, max) statistics; this greedy targets the same per-token group range directly.
SkvqChannelOrders calibrate_skvq_channel_orders(const KvCalibration& calibration, size_t group_size);

class SkvqBackend final : public CompressingKvBackend {
 public:
  // orders: required when options.channel_reorder (kept by pointer: must outlive the back end).
  explicit SkvqBackend(const SkvqOptions& options, const SkvqChannelOrders* orders = nullptr);
  std::string name() const override { return "skvq"; }

 private:
  // Quantised tokens: bits per element (packed per layer) as codes, an fp16 scale and zero per group as
  // metadata, plus two kv_dim channel orders per layer when reordering; sink and window rows in fp16.
  KvFootprint compressed_footprint() const override;
  void compress(const PrefillView& prefill) override;
  void append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) override;
  void attend_compressed(size_t layer, size_t query_head, const float* query, float* out) override;
  void quantize_row(size_t layer, size_t token);

  struct Layer {
    size_t tokens = 0;
    size_t quantized_end = 0;       // tokens [sink, quantized_end) are quantised
    std::vector<float> keys, values;  // [token][kv_dim]: what the cache reconstructs (fp16 or dequantised)
    std::vector<float> pending_keys, pending_values;
    size_t pending_heads = 0;
  };
  SkvqOptions options_;
  const SkvqChannelOrders* orders_;
  std::vector<Layer> layers_;
};

}  // namespace aqpim::core::llm
