// AQPIM's dataflow as firmware on the host: prefill (raw KV into PIM banks, in-memory k-means, encoding)
// and decode steps (LUT, score, softmax, value aggregation on the PIM units), with the GPU's dense work
// timed by the host's roofline. Every PIM computation is a PIM command; the GPU side (the fp16 sink and
// recent tokens, softmax merge, output sum) is the work AQPIM leaves on the GPU. docs/firmware.md
// describes the sequence and the choices.
//
// Functional and timing-only runs execute the same code path and issue the same commands with the same
// sizes; only whether data pointers are passed differs, so both give identical simulated time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/attention.h"
#include "hwif/hal.h"
#include "firmware/pim_attention_firmware.h"
#include "firmware/workload_data.h"

namespace aqpim::firmware {

struct AqpimFirmwareConfig {
  ModelDims model;
  uint32_t batch = 1;
  uint32_t context_tokens = 0;
  uint32_t decode_steps = 0;
  QuantShape quant;
  uint32_t kmeans_iterations = 4;
  bool importance_weighting = true;
  uint32_t importance_queries = 32;
  bool channel_presort = false;
  core::ValuePath value_path = core::ValuePath::kHistogram;
  uint64_t seed = 1;
  GpuKernelModel gpu{0, 0, {0, 0}, {0, 0}};
  WorkloadConfig workload() const { return {model, batch, context_tokens, decode_steps, gpu}; }
};

class AqpimFirmware : public PimAttentionFirmware {
 public:
  // data: the workload's values in functional mode, null for timing-only. Throws std::invalid_argument
  // when the configuration cannot run on the platform (naming what does not fit).
  AqpimFirmware(const AqpimFirmwareConfig& config, const hwif::PlatformView& view, const WorkloadData* data);
  ~AqpimFirmware() override;

  const char* mode_name() const override { return "aqpim"; }
  // Coded tokens per head after the prefill (whole rows of every bank) and fp16 tokens left to the GPU.
  uint32_t coded_tokens_after_prefill() const { return prefill_rows_ * lanes(); }

  // The codebook the GPU seeds in-memory k-means with: centroid k of every sub-space is that sub-vector of
  // row floor(k * count / K), an evenly spaced sample of the tokens (deterministic, no pass over the data),
  // rounded to fp16 as the codebook SRAM holds it. rows: count x head_dim, channels as stored.
  // Layout [sub_vector][cluster][sub_dim].
  static std::vector<float> initial_codebook(const float* rows, size_t count, const QuantShape& quant,
                                             uint32_t head_dim);

 private:
  hwif::GpuWork extra_prefill_work() const override;
  void store_layer(hwif::Hal& hal, uint32_t layer) override;
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;
  hwif::pim::Command command_shape(uint32_t rows) const override;
  std::vector<hwif::pim::Command> score_commands(const HeadInstance& head,
                                                   const hwif::pim::Command& shape) const override;
  std::vector<hwif::pim::Command> value_commands(const HeadInstance& head,
                                                   const hwif::pim::Command& shape) const override;
  bool values_in_io() const override { return config_.value_path == core::ValuePath::kHistogram; }
  void gpu_rows(const HeadInstance& head, uint32_t rows, uint32_t step, std::vector<float>& keys,
                std::vector<float>& values) const override;

  void prepare_channel_orders();
  void cluster_and_encode(PimDriver& pim, const std::vector<HeadInstance>& heads);
  void write_prefill_data(PimDriver& pim, const HeadInstance& head);
  void issue_kmeans(PimDriver& pim, const HeadInstance& head, bool keys);
  void stage_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row);
  void encode_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row);

  AqpimFirmwareConfig config_;
  uint32_t prefill_rows_ = 0;   // coded rows of every bank after the prefill
};

}  // namespace aqpim::firmware
