// Baseline: SnapKV-like eviction (Li et al., NeurIPS 2024; docs/baselines.md). At the end of the prefill each
// KV head keeps token_budget prompt tokens (its observation window and the earlier tokens the window's queries
// attend to most) and evicts the rest for good; decode tokens are all kept. Everything kept lives in the
// GPU's HBM in fp16; nothing crosses PCIe. The GPU computes all attention (roofline), over the kept tokens.
#pragma once

#include "firmware/kv_backend_runner.h"

namespace aqpim::firmware {

struct SnapKvConfig {
  uint32_t token_budget = 2048;  // prompt tokens kept per KV head, the window included
  uint32_t window = 32;          // observation window: the prompt's last tokens, always kept
};

class SnapKvFirmware : public GpuKvFirmware {
 public:
  // Throws std::invalid_argument unless window < token_budget and the kept tokens fit gpu_kv_capacity_bytes.
  SnapKvFirmware(const WorkloadConfig& workload, const SnapKvConfig& config, double gpu_kv_capacity_bytes,
                 const WorkloadData* data);

  const char* mode_name() const override { return "snapkv"; }
  double gpu_resident_kv_bytes() const override { return all_heads(fp16_head_token_bytes() * kept(total_tokens())); }
  // Tokens a head attends over when it holds `length` tokens.
  uint32_t kept(uint32_t length) const;

 private:
  // The prompt's K and V stay where the GPU computed them; the eviction frees memory and moves nothing.
  void store_layer(hwif::Hal& /*hal*/, uint32_t /*layer*/) override {}
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;

  uint32_t total_tokens() const { return workload_.context_tokens + workload_.decode_steps; }

  SnapKvConfig config_;
};

}  // namespace aqpim::firmware
