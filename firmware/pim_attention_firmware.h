// What the PIM designs share (AQPIM on codes, the AttAcc-like baseline on fp16 rows): the KV layout over the
// units' banks, head placement, and a decode step's attention on PIM — scores into every bank, per-PE
// softmax partials merged on the GPU with the share of tokens the GPU holds, normalisation in place, and
// per-PE partial outputs summed on the GPU with the GPU's share. A design supplies the commands that
// produce scores and value outputs, and which tokens the GPU holds.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "firmware/attention_firmware.h"
#include "firmware/head_data.h"
#include "firmware/kv_layout.h"
#include "hwif/platform_view.h"
#include "hwif/pim_commands.h"

namespace aqpim::firmware {

class PimDriver;

class PimAttentionFirmware : public AttentionFirmware {
 public:
  ~PimAttentionFirmware() override;
  const KvLayout& layout() const { return layout_; }
  // Functional runs: the head instances' data in stored channel order (null for timing-only runs).
  const HeadData* head_data() const { return head_data_.get(); }

 protected:
  struct HeadInstance {
    uint32_t sequence, layer, kv_head;
    KvLayout::Placement place;
  };
  struct IoMap {
    uint32_t queries = 0, partials = 0, outputs = 0, end = 0;
  };

  // Throws std::invalid_argument when the unit's IO buffer cannot hold a step's queries and partials.
  PimAttentionFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, const WorkloadData* data,
                       const KvLayout& layout);

  void begin(hwif::Hal& hal) override;

  // The command fields every PIM command of a decode step shares, for `rows` rows of every bank.
  virtual hwif::pim::Command command_shape(uint32_t rows) const = 0;
  // The commands that leave query head g's scores at slot.scores + g * scores_stride in every bank (queries
  // are in the IO buffer at io_.queries + g * head_dim * 4).
  virtual std::vector<hwif::pim::Command> score_commands(const HeadInstance& head,
                                                           const hwif::pim::Command& shape) const = 0;
  // The commands that leave PE p's partial output of query head g in the IO buffer at io_.outputs +
  // (g * PEs + p) * head_dim * 4 (values_in_io) or in PE p's accumulators at g * head_dim (then the loop
  // gathers them into the IO buffer).
  virtual std::vector<hwif::pim::Command> value_commands(const HeadInstance& head,
                                                           const hwif::pim::Command& shape) const = 0;
  virtual bool values_in_io() const = 0;
  // Functional mode: the tokens the GPU holds for this head at this step, as fp16-exact rows in stored
  // channel order, keys and values.
  virtual void gpu_rows(const HeadInstance& head, uint32_t rows, uint32_t step, std::vector<float>& keys,
                        std::vector<float>& values) const = 0;

  // One decode step's attention for `heads` (one layer), PIM holding `rows` rows of every bank.
  void attend_heads(hwif::Hal& hal, const std::vector<HeadInstance>& heads, uint32_t step, uint32_t rows);

  uint32_t lanes() const { return layout_.geometry().pes_per_unit; }
  std::vector<HeadInstance> layer_instances(uint32_t layer) const;
  // Rows of tokens [first, first + count) of one head, in stored channel order, fp16-exact floats.
  std::vector<float> head_rows(const HeadInstance& head, bool keys, uint32_t first, uint32_t count) const {
    return head_data_->rows(head.sequence, head.layer, head.kv_head, keys, first, count);
  }
  std::vector<float> decode_query(const HeadInstance& head, uint32_t g, uint32_t step) const {
    return head_data_->query(head.sequence, head.layer, head.kv_head, g, step);
  }
  // Per-bank image of rows in token order (token c -> bank c % lanes, row c / lanes), [bank][bytes_per_bank].
  std::vector<unsigned char> lane_rows_image(const std::vector<float>& rows, uint64_t bytes_per_bank) const;

  const hwif::PlatformView& view_;
  KvLayout layout_;
  IoMap io_;
  std::unique_ptr<PimDriver> pim_;
  std::unique_ptr<HeadData> head_data_;
};

}  // namespace aqpim::firmware
