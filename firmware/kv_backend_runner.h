// Functional mode of the GPU-side baselines (PQCache, SnapKV, SKVQ): the accuracy back ends of core/llm,
// one per sequence, fed the workload's K, V and queries in the order their protocol asks (every prompt token,
// then end_prefill, then per decode step and layer the new token and the attention of every query head).
// The firmware keeps the timing; this keeps the math in core, where the accuracy runs check it too.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/llm/kv_backend.h"
#include "firmware/attention_firmware.h"

namespace aqpim::firmware {

class KvBackendRunner {
 public:
  using Factory = std::function<std::unique_ptr<core::llm::KvCacheBackend>()>;
  using Output = std::function<float*(uint32_t sequence, uint32_t head)>;
  KvBackendRunner(const WorkloadConfig& workload, const WorkloadData& data, Factory factory);

  // The decode step's new token of every KV head of `layer`, then every query head's attention, written to
  // output(sequence, head). The first call hands each back end the prompt and ends its prefill.
  void attend_layer(uint32_t layer, uint32_t step, const Output& output);

 private:
  void prefill();
  void append(uint32_t sequence, uint32_t layer, uint32_t token);

  WorkloadConfig workload_;
  const WorkloadData& data_;
  Factory factory_;
  std::vector<std::unique_ptr<core::llm::KvCacheBackend>> backends_;  // per sequence, after prefill()
};

// The three GPU-side baselines' common part: functional outputs from their back end, and the KV bytes the
// GPU's HBM keeps for the report.
class GpuKvFirmware : public AttentionFirmware {
 protected:
  // factory: the design's accuracy back end (used in functional mode only).
  GpuKvFirmware(const WorkloadConfig& workload, const WorkloadData* data, const KvBackendRunner::Factory& factory);
  // Functional mode: the layer's decode attention outputs from the back ends; nothing in timing mode.
  void compute_outputs(uint32_t layer, uint32_t step);
  // Bytes of K and V one token of every head instance (batch x layers x kv_heads) takes at head_bytes each.
  double all_heads(double head_bytes) const {
    return head_bytes * workload_.batch * workload_.model.layers * workload_.model.kv_heads;
  }
  // fp16 K and V of one token of one head.
  double fp16_head_token_bytes() const { return 4.0 * workload_.model.head_dim; }

 private:
  std::unique_ptr<KvBackendRunner> functional_;
};

}  // namespace aqpim::firmware
