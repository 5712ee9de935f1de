// The dataflow every firmware mode shares (AQPIM and the baselines), so they are charged the same GPU
// work for the same model and workload and differ only in where the KV cache lives and who attends:
//   prefill, layer by layer: the GPU computes the layer's projections and prompt attention (and the next
//     layer's, while the memory side stores this layer's K and V: store_layer);
//   decode, step by step and layer by layer: the GPU's projections for the batch's new tokens, then the
//     mode's attention (attend_layer), then the LM head.
// Functional runs record every decode attention output for checking.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "firmware/gpu_work.h"
#include "hwif/hal.h"
#include "firmware/workload_data.h"

namespace aqpim::firmware {

struct WorkloadConfig {
  ModelDims model;
  uint32_t batch = 1;
  uint32_t context_tokens = 0;
  uint32_t decode_steps = 0;
  GpuKernelModel gpu{0, 0, {0, 0}, {0, 0}};
};

class AttentionFirmware {
 public:
  virtual ~AttentionFirmware() = default;
  void run(hwif::Hal& hal);

  virtual const char* mode_name() const = 0;
  uint64_t prefill_end_ps() const { return prefill_end_ps_; }
  // Time spent in each phase up to the end of the prefill (the rest of the run is decode).
  const std::array<uint64_t, size_t(hwif::Phase::kCount)>& prefill_phase_ps() const { return prefill_phase_ps_; }
  // Functional mode: attention outputs [step][sequence][layer][head][head_dim]; empty otherwise.
  const std::vector<float>& outputs() const { return outputs_; }
  // KV bytes held in CPU memory at the end of the run (all layers and heads); 0 when everything fits.
  virtual double offloaded_kv_bytes() const { return 0.0; }
  // KV bytes held in the GPU's own HBM at the end of the run (0 when the cache lives in PIM).
  virtual double gpu_resident_kv_bytes() const { return 0.0; }
  const WorkloadConfig& workload() const { return workload_; }
  // Decode in `groups` groups of sequences (1: the whole batch at once): the GPU's dense work of one
  // group overlaps the attention of another, each group's work reading the weights again (roofline).
  // Throws std::invalid_argument outside [1, batch].
  void set_decode_micro_batches(uint32_t groups);

 protected:
  // data: the workload's values in functional mode, null for timing-only.
  AttentionFirmware(const WorkloadConfig& workload, const WorkloadData* data);

  virtual void begin(hwif::Hal& /*hal*/) {}
  // GPU work per prefill layer beyond projections and prompt attention (e.g. importance weights).
  virtual hwif::GpuWork extra_prefill_work() const { return {}; }
  virtual void store_layer(hwif::Hal& hal, uint32_t layer) = 0;
  virtual void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) = 0;
  // One layer of a decode step without pipelining: the GPU's projections, then attend_layer. A design that
  // orders the GPU's work around its attention otherwise (AttAcc's overlap options) overrides it.
  virtual void decode_layer(hwif::Hal& hal, uint32_t layer, uint32_t step);
  // Decode attention of sequences [first, first + count) of the batch only, in two halves, as pipelining
  // needs (set_decode_micro_batches): start issues the work and may return while PIM still runs it; finish
  // waits for it and collects the outputs. The host starts other groups between the two. A design that
  // cannot split the batch throws std::logic_error (the default: the whole layer, in start).
  virtual void start_attention(hwif::Hal& hal, uint32_t layer, uint32_t step, uint32_t first, uint32_t count);
  virtual void finish_attention(hwif::Hal& /*hal*/, uint32_t /*layer*/, uint32_t /*step*/, uint32_t /*first*/,
                                uint32_t /*count*/) {}

  uint32_t group() const { return workload_.model.heads / workload_.model.kv_heads; }
  bool functional() const { return data_ != nullptr; }
  bool pipelined() const { return micro_batches_ > 1; }
  float* output(uint32_t step, uint32_t sequence, uint32_t layer, uint32_t head);

  const WorkloadConfig workload_;
  const WorkloadData* data_;

  // The layer's dense kernels for `tokens` tokens in their three parts (kept while `tokens` stays the same).
  const DenseLayerParts& dense_layer(double tokens);

 private:
  void decode_step_pipelined(hwif::Hal& hal, uint32_t step);
  // The layer's dense kernels (projections, norms, activation) for `tokens` tokens, launched in order;
  // returns when the GPU will have finished them.
  uint64_t launch_dense_layer(hwif::Hal& hal, double tokens);
  void launch_lm_head(hwif::Hal& hal);
  uint32_t micro_batches_ = 1;
  // The last dense layer's kernels and their token count: every decode step launches the same ones.
  DenseLayerParts dense_parts_;
  double dense_tokens_ = -1;
  std::vector<float> outputs_;
  uint64_t prefill_end_ps_ = 0;
  std::array<uint64_t, size_t(hwif::Phase::kCount)> prefill_phase_ps_{};
};

}  // namespace aqpim::firmware
