// Baseline: SKVQ-like group quantisation (Duanmu et al., COLM 2024; docs/baselines.md). K and V are stored in
// the GPU's HBM as `bits`-bit integers, every group of group_size channels of a token with an fp16 scale and
// zero point; the sink and recent tokens (SKVQ's sliding window) stay fp16. The attention kernel dequantises
// as it reads (roofline over the stored bytes). When the quantised cache still outgrows the GPU's share,
// the tokens past it live in CPU memory and cross PCIe every step (KvOffload, as gpu_offload).
#pragma once

#include "firmware/kv_backend_runner.h"
#include "firmware/kv_offload.h"

namespace aqpim::firmware {

struct SkvqConfig {
  uint32_t bits = 2;           // 2 or 4, keys and values
  uint32_t group_size = 128;   // channels per group; divides head_dim
  uint32_t sink_tokens = 8;    // fp16
  uint32_t recent_tokens = 32; // fp16 sliding window
};

class SkvqFirmware : public GpuKvFirmware {
 public:
  // Throws std::invalid_argument on bits outside {2, 4}, a group_size not dividing head_dim, or an fp16 window
  // that alone outgrows gpu_kv_capacity_bytes.
  SkvqFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, const SkvqConfig& config,
               double gpu_kv_capacity_bytes, const WorkloadData* data);

  const char* mode_name() const override { return "skvq"; }
  double offloaded_kv_bytes() const override { return offload_.bytes(total_tokens()); }
  double gpu_resident_kv_bytes() const override;
  // One quantised token of one head: K and V codes plus an fp16 scale and zero per group each.
  double quantized_head_token_bytes() const;

 private:
  void store_layer(hwif::Hal& hal, uint32_t layer) override;
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;

  uint32_t total_tokens() const { return workload_.context_tokens + workload_.decode_steps; }
  uint32_t window(uint32_t length) const { return std::min(length, config_.sink_tokens + config_.recent_tokens); }
  // The offloaded range starts after the GPU's quantised tokens and the fp16 window (its index is a count).
  uint32_t first_offloaded(double gpu_kv_capacity_bytes) const;

  SkvqConfig config_;
  KvOffload offload_;
};

}  // namespace aqpim::firmware
