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
#include <vector>

#include "core/attention.h"
#include "firmware/gpu_work.h"
#include "firmware/hal.h"
#include "firmware/kv_layout.h"
#include "firmware/platform_view.h"
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
};

class PimDriver;

class AqpimFirmware {
 public:
  // data: the workload's values in functional mode, null for timing-only. Throws std::invalid_argument
  // when the configuration cannot run on the platform (naming what does not fit).
  AqpimFirmware(const AqpimFirmwareConfig& config, const PlatformView& view, const WorkloadData* data);

  void run(Hal& hal);

  const KvLayout& layout() const { return layout_; }
  uint64_t prefill_end_ps() const { return prefill_end_ps_; }  // when the last layer's codes were stored
  // Coded tokens per head after the prefill (whole rows of every bank) and fp16 tokens left to the GPU.
  uint32_t coded_tokens_after_prefill() const { return prefill_rows_ * lanes(); }
  // Functional mode: attention outputs [step][sequence][layer][head][head_dim]; empty otherwise.
  const std::vector<float>& outputs() const { return outputs_; }
  // The channel order applied to a head instance's keys / values (empty without pre-sorting).
  const std::vector<uint32_t>& key_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;
  const std::vector<uint32_t>& value_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;

  // The codebook the GPU seeds in-memory k-means with: centroid k of every sub-space is that sub-vector of
  // row floor(k * count / K), an evenly spaced sample of the tokens (deterministic, no pass over the data),
  // rounded to fp16 as the codebook SRAM holds it. rows: count x head_dim, channels as stored.
  // Layout [sub_vector][cluster][sub_dim].
  static std::vector<float> initial_codebook(const float* rows, size_t count, const QuantShape& quant,
                                             uint32_t head_dim);

 private:
  struct HeadInstance {
    uint32_t sequence, layer, kv_head;
    KvLayout::Placement place;
  };
  struct IoMap {
    uint32_t queries = 0, partials = 0, outputs = 0, end = 0;
  };

  uint32_t lanes() const { return layout_.geometry().pes_per_unit; }
  uint32_t group() const { return layout_.group_size(); }
  std::vector<HeadInstance> layer_instances(uint32_t layer) const;
  uint64_t instance_index(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;

  void prepare_channel_orders();
  // Rows of tokens [first, first + count) of one head, in stored channel order, fp16-exact floats.
  std::vector<float> head_rows(const HeadInstance& head, bool keys, uint32_t first, uint32_t count) const;
  std::vector<float> decode_query(const HeadInstance& head, uint32_t g, uint32_t step) const;

  void prefill(Hal& hal, PimDriver& pim);
  void cluster_and_encode(PimDriver& pim, const std::vector<HeadInstance>& heads);
  void write_prefill_data(PimDriver& pim, const HeadInstance& head);
  void issue_kmeans(PimDriver& pim, const HeadInstance& head, bool keys);
  void decode_step(Hal& hal, PimDriver& pim, uint32_t step);
  void stage_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row);
  void encode_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row);
  void attend_layer(Hal& hal, PimDriver& pim, const std::vector<HeadInstance>& heads, uint32_t step, uint32_t rows,
                    uint32_t length);

  // Bank data helpers: per-bank images of a region, laid out [bank][bytes_per_bank] (functional only).
  std::vector<unsigned char> lane_rows_image(const std::vector<float>& rows, uint64_t bytes_per_bank) const;

  AqpimFirmwareConfig config_;
  const PlatformView& view_;
  const WorkloadData* data_;
  KvLayout layout_;
  IoMap io_;
  uint32_t prefill_rows_ = 0;   // coded rows of every bank after the prefill
  uint64_t prefill_end_ps_ = 0;
  std::vector<std::vector<uint32_t>> key_orders_, value_orders_;  // per head instance
  std::vector<float> outputs_;
};

}  // namespace aqpim::firmware
