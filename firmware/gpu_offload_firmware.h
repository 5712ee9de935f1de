// Baseline (a): GPU only, FlexGen-style. The KV cache lives in the GPU's HBM as far as it fits beside the
// weights; every head's tokens beyond that share live in CPU memory and cross PCIe at every decode step,
// layer by layer. The GPU computes all attention (roofline), in fp16, exactly.
#pragma once

#include <algorithm>

#include "firmware/attention_firmware.h"
#include "firmware/kv_offload.h"

namespace aqpim::firmware {

class GpuOffloadFirmware : public AttentionFirmware {
 public:
  // gpu_kv_capacity_bytes: GPU HBM left for the KV cache (capacity minus weights).
  GpuOffloadFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, double gpu_kv_capacity_bytes,
                     const WorkloadData* data);

  const char* mode_name() const override { return "gpu_offload"; }
  double offloaded_kv_bytes() const override {
    return offload_.bytes(workload_.context_tokens + workload_.decode_steps);
  }
  // Tokens of every head the GPU's HBM holds; later tokens are in CPU memory.
  uint32_t resident_tokens() const { return offload_.first_token(); }

  double gpu_resident_kv_bytes() const override {
    const double tokens = double(workload_.context_tokens) + workload_.decode_steps;
    return kv_bytes_per_token(workload_) * std::min<double>(resident_tokens(), tokens);
  }
  // K and V of one token position for every layer, KV head and sequence, one head's token taking
  // head_token_bytes (0: fp16 rows).
  static double kv_bytes_per_token(const WorkloadConfig& workload, double head_token_bytes = 0);
  // Tokens per head that fit `capacity_bytes` of K and V for every head instance of the workload, one token
  // of one head taking head_token_bytes (0: fp16 rows).
  static uint32_t tokens_fitting(const WorkloadConfig& workload, double capacity_bytes, double head_token_bytes = 0);

 private:
  void store_layer(hwif::Hal& hal, uint32_t layer) override;
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;

  KvOffload offload_;
};

}  // namespace aqpim::firmware
