// AQPIM as the paper maps it (docs/firmware.md, "Sub-vector mapping"): a head instance per pseudo-channel,
// each sub-vector in its own bank with its own codebook. Prefill clusters every sub-vector in its bank
// (distances on the bank PEs, the assignment MIN and the weight-sum reciprocals on the buffer die) and
// encodes; decode builds inner-product tables, looks scores up in them (intra-row indirection when the
// codebooks live in DRAM rows, the LUT SRAM otherwise), has the buffer die sum the PEs' partial scores
// and run the softmax together with the GPU's fp16 tokens, then weighs values by lookups in the value
// codebook's rows (or by histograms). Tokens that do not fit the banks overflow to CPU memory.
//
// Functional and timing-only runs issue the same commands with the same sizes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/attention.h"
#include "firmware/aqpim_firmware.h"
#include "firmware/attention_firmware.h"
#include "firmware/head_data.h"
#include "firmware/kv_offload.h"
#include "firmware/subvector_layout.h"
#include "hwif/platform_view.h"
#include "hwif/pim_commands.h"

namespace aqpim::firmware {

class PimDriver;

struct SubvectorFirmwareConfig {
  AqpimFirmwareConfig aqpim;  // quant.centroids: K of one window
  CodebookStore codebook_store = CodebookStore::dram;
  uint32_t windows = 1;               // codebooks per head and K or V
  bool gqa_one_pass = true;           // one pass over a KV head's codes serves its whole query group
  bool assignment_in_buffer = true;   // k-means MIN on the buffer die (the paper's Table I)
  bool coalesced_lookups = false;     // a table row serves a register-file load in one sweep of its columns
};

class AqpimSubvectorFirmware : public AttentionFirmware {
 public:
  // Throws std::invalid_argument when the configuration cannot run on the platform.
  AqpimSubvectorFirmware(const SubvectorFirmwareConfig& config, const hwif::PlatformView& view,
                         const WorkloadData* data);
  ~AqpimSubvectorFirmware() override;

  const char* mode_name() const override { return "aqpim"; }
  double offloaded_kv_bytes() const override;
  const SubvectorLayout& layout() const { return layout_; }
  const HeadData* head_data() const { return head_data_.get(); }
  // Coded tokens every head holds in PIM after `step` decode steps (step = 0: after the prefill).
  uint32_t coded_tokens(uint32_t steps_done) const;

 private:
  struct Head {
    uint32_t sequence, layer, kv_head;
    KvLayout::Placement place;
  };
  struct IoMap {
    uint32_t queries = 0, partials = 0, outputs = 0;
  };
  // Functional: what the GPU holds of a head (fp16 tokens' values) and its scores per query head of a pass.
  struct GpuShare {
    std::vector<float> values;
    std::vector<std::vector<float>> scores;
  };

  hwif::GpuWork extra_prefill_work() const override;
  void begin(hwif::Hal& hal) override;
  void store_layer(hwif::Hal& hal, uint32_t layer) override;
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;
  void start_attention(hwif::Hal& hal, uint32_t layer, uint32_t step, uint32_t first, uint32_t count) override;
  void finish_attention(hwif::Hal& hal, uint32_t layer, uint32_t step, uint32_t first, uint32_t count) override;

  // ---- shared by prefill and decode ----
  std::vector<Head> layer_heads(uint32_t layer) const;
  hwif::pim::Command shape(uint32_t first_token, uint32_t count) const;
  uint32_t window_of(uint32_t coded_token) const;
  uint32_t heads_per_pass() const { return config_.gqa_one_pass ? group() : 1; }
  uint32_t group() const { return workload_.model.heads / workload_.model.kv_heads; }
  // Per-bank image of a head's rows (stored channel order): bank b gets its sub-vectors, [token][j][d] fp16.
  std::vector<unsigned char> bank_vectors_image(const std::vector<float>& rows, uint64_t bytes_per_bank) const;
  // Per-bank image of all m codebooks ([i][c][d] floats): bank b gets its sub-vectors', row-aligned strides.
  std::vector<unsigned char> bank_codebook_image(const std::vector<float>& codebook) const;

  // ---- prefill (aqpim_subvector_firmware.cpp) ----
  void write_prefill_data(const Head& head);
  std::vector<hwif::pim::Command> kmeans_commands(const Head& head, bool keys, uint32_t window) const;
  std::vector<hwif::pim::Command> encode_commands(const Head& head, bool keys, uint32_t first, uint32_t count,
                                                  uint32_t window, uint64_t vectors) const;

  // ---- decode (aqpim_subvector_decode.cpp) ----
  void append_leaving_tokens(hwif::Hal& hal, const std::vector<Head>& heads, uint32_t first, uint32_t count);
  // One pass over a turn's heads (all on different units): started, then finished (outputs collected).
  struct InFlight {
    std::vector<Head> turn;
    uint32_t step, first_query;
    std::vector<GpuShare> shares;  // functional: per head of the turn
  };
  void start_pass(hwif::Hal& hal, InFlight& work, uint32_t coded, uint64_t gpu_share_end);
  void finish_pass(hwif::Hal& hal, const InFlight& work);
  std::vector<float> pass_queries(const Head& head, uint32_t step, uint32_t first_query) const;
  // Also appends each query head's (max, sum) partial to `partials`, for the buffer die.
  GpuShare gpu_share(const Head& head, uint32_t step, uint32_t coded, uint32_t first_query,
                     std::vector<float>& partials) const;
  // PIM's outputs (io: merged partials, then outputs) plus the GPU's share, into output().
  void finish_outputs(const Head& head, uint32_t step, uint32_t first_query, const GpuShare& share,
                      const std::vector<float>& io);
  hwif::pim::Command softmax_command(const Head& head, uint32_t coded) const;
  // The commands of one pass for the coded tokens [0, coded), window by window.
  std::vector<hwif::pim::Command> score_commands(const Head& head, uint32_t coded) const;
  std::vector<hwif::pim::Command> value_commands(const Head& head, uint32_t coded) const;
  // Functional: the GPU's fp16 tokens (sink, overflow, recent window) of a head at a step.
  void gpu_rows(const Head& head, uint32_t step, uint32_t coded, std::vector<float>& keys,
                std::vector<float>& values) const;

  SubvectorFirmwareConfig config_;
  const hwif::PlatformView& view_;
  SubvectorLayout layout_;
  IoMap io_;
  std::unique_ptr<KvOffload> offload_;  // null when every token fits the banks
  std::unique_ptr<HeadData> head_data_;  // functional runs only
  std::unique_ptr<PimDriver> pim_;
  std::map<uint32_t, InFlight> in_flight_;  // started passes by their group's first sequence
};

}  // namespace aqpim::firmware
