// Baseline (b): AttAcc-like PIM with an fp16 KV cache. Every token's K and V rows live uncompressed in the
// PIM banks (token t in bank t mod 16, row t / 16); decode attention runs on the bank PEs as fp16 MAC
// streams (mac_dot for scores, mac_weighted for values), with the same softmax merge on the GPU as AQPIM.
// Tokens that do not fill a whole bank row stay with the GPU; when the cache outgrows the PIM capacity,
// each head's tokens beyond what its slot holds live in CPU memory and cross PCIe every step.
#pragma once

#include "firmware/kv_offload.h"
#include "firmware/pim_attention_firmware.h"

namespace aqpim::firmware {

// The overlap options of AttAcc's own simulator (scale-snu/attacc_simulator, src/system.py), per decode layer.
struct AttAccOptions {
  // --pipeopt: head by head, the GPU's QKV and output projections run behind the PIM attention except the
  // first head's QKV and the last head's output projection (1 / heads of each).
  bool head_pipeline = false;
  // --ffopt: share of the FFN the GPU keeps, the rest running on PIM bandwidth at the same time (1: none).
  double ffn_gpu_share = 1.0;
};


class AttAccFirmware : public PimAttentionFirmware {
 public:
  AttAccFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, const WorkloadData* data,
                 const AttAccOptions& options = {});

  const char* mode_name() const override { return "attacc"; }
  double offloaded_kv_bytes() const override {
    return offload_.bytes(workload_.context_tokens + workload_.decode_steps);
  }
  // Rows of every bank a head may hold in PIM (the rest of its tokens overflow to CPU memory).
  uint32_t pim_rows_capacity() const { return layout_.rows_per_pe(); }

 private:
  void store_layer(hwif::Hal& hal, uint32_t layer) override;
  void attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;
  void decode_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) override;
  hwif::pim::Command command_shape(uint32_t rows) const override;
  std::vector<hwif::pim::Command> score_commands(const HeadInstance& head,
                                                   const hwif::pim::Command& shape) const override;
  std::vector<hwif::pim::Command> value_commands(const HeadInstance& head,
                                                   const hwif::pim::Command& shape) const override;
  bool values_in_io() const override { return false; }
  void gpu_rows(const HeadInstance& head, uint32_t rows, uint32_t step, std::vector<float>& keys,
                std::vector<float>& values) const override;

  uint32_t pim_rows(uint32_t length) const { return std::min(length / lanes(), pim_rows_capacity()); }
  void write_rows(const HeadInstance& head, uint32_t first_row, uint32_t rows);

  AttAccOptions options_;
  KvOffload offload_;
  std::vector<float> fetched_;  // functional: this layer's offloaded tokens, as KvOffload::fetch returns them
};

}  // namespace aqpim::firmware
