// Baseline: PQCache-like retrieval (Zhang et al., SIGMOD 2025; docs/baselines.md). The whole fp16 KV cache
// lives in CPU memory; the GPU's HBM keeps the product-quantised keys (codes and fp16 codebooks) and the
// sink and recent tokens in fp16. Every decode step and layer, the GPU scores the codes of every query head,
// picks the top_k coded tokens per KV head, fetches their exact K and V over PCIe (one transfer per layer,
// the CPU gathering the rows) and attends exactly over sink + selected + recent tokens.
#pragma once

#include <algorithm>

#include "firmware/kv_backend_runner.h"
#include "firmware/kv_offload.h"

namespace aqpim::firmware {

struct PqCacheConfig {
  uint32_t top_k = 1;          // coded tokens fetched per KV head and step
  uint32_t sub_vectors = 32;   // PQ of the keys: m sub-vectors of K centroids
  uint32_t centroids = 512;
  uint32_t sink_tokens = 8;    // kept on the GPU in fp16, always attended
  uint32_t recent_tokens = 32;
  uint32_t kmeans_iterations = 4;
  uint64_t seed = 1;
};

class PqCacheFirmware : public GpuKvFirmware {
 public:
  // Throws std::invalid_argument when top_k exceeds the coded tokens or the GPU's share does not fit
  // gpu_kv_capacity_bytes.
  PqCacheFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, const PqCacheConfig& config,
                  double gpu_kv_capacity_bytes, const WorkloadData* data);

  const char* mode_name() const override { return "pqcache"; }
  double offloaded_kv_bytes() const override { return offload_.bytes(total_tokens()); }
  double gpu_resident_kv_bytes() const override { return all_heads(gpu_head_bytes(total_tokens())); }
  // GPU work of scoring one step's codes of one layer when every head holds `length` tokens.
  hwif::GpuWork scoring_work(uint32_t length) const;

 private:
  void store_layer(hwif::Hal& hal, uint32_t layer) override;
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;

  uint32_t total_tokens() const { return workload_.context_tokens + workload_.decode_steps; }
  uint32_t coded(uint32_t length) const;
  // Coded tokens selected per KV head: top_k, or all of them while there are fewer.
  uint32_t fetched(uint32_t length) const { return std::min(config_.top_k, coded(length)); }
  // One head's bytes on the GPU: key codes and codebooks, sink and recent K and V in fp16.
  double gpu_head_bytes(uint32_t length) const;

  PqCacheConfig config_;
  KvOffload offload_;  // every token, from token 0
};

}  // namespace aqpim::firmware
