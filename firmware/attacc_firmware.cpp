#include "firmware/attacc_firmware.h"

#include <algorithm>
#include <cstring>

#include "firmware/pim_driver.h"

namespace aqpim::firmware {

namespace pim = hwif::pim;

namespace {

constexpr uint32_t kFp16Bytes = 2, kFp32Bytes = 4;

KvShape kv_shape(const WorkloadConfig& w) {
  return {w.model.layers, w.model.heads, w.model.kv_heads, w.model.head_dim, w.batch, w.context_tokens, w.decode_steps};
}

PimGeometry geometry(const hwif::PlatformView& view) {
  return {uint32_t(view.units.size()), view.hbm.banks(), view.hbm.bank_bytes(), uint32_t(view.hbm.row_bytes)};
}

// The fp16 layout holding every token if it fits, else the most rows per head slot that fit the banks.
KvLayout fitting_layout(const WorkloadConfig& workload, const hwif::PlatformView& view) {
  const KvLayout whole(kv_shape(workload), {}, geometry(view), KvFormat::fp16_rows);
  if (whole.fits()) return whole;
  uint32_t low = 0, high = whole.rows_per_pe();  // fits(low) holds, fits(high) does not
  while (high - low > 1) {
    const uint32_t middle = low + (high - low) / 2;
    (KvLayout(kv_shape(workload), {}, geometry(view), KvFormat::fp16_rows, middle).fits() ? low : high) = middle;
  }
  if (low == 0) throw std::invalid_argument("attacc: not one bank row per head fits the PIM capacity");
  return KvLayout(kv_shape(workload), {}, geometry(view), KvFormat::fp16_rows, low);
}

// A share of each kernel's work, on the same thread blocks (AttAcc scales a kernel's time by the share).
void launch_share(hwif::Hal& hal, const std::vector<hwif::GpuWork>& kernels, double share) {
  if (share <= 0) return;
  for (hwif::GpuWork kernel : kernels) {
    kernel.flops *= share;
    kernel.bytes *= share;
    kernel.fixed_seconds *= share;
    hal.gpu_launch(kernel);
  }
}

}  // namespace

AttAccFirmware::AttAccFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, const WorkloadData* data,
                               const AttAccOptions& options)
    : PimAttentionFirmware(workload, view, data, fitting_layout(workload, view)),
      options_(options),
      offload_(workload, view,
               // Every token fits: nothing is offloaded. Else tokens past the slot's rows go to CPU memory.
               layout_.rows_per_pe() * view.hbm.banks() >= workload.context_tokens + workload.decode_steps
                   ? workload.context_tokens + workload.decode_steps
                   : layout_.rows_per_pe() * view.hbm.banks(),
               data) {}

void AttAccFirmware::write_rows(const HeadInstance& head, uint32_t first_row, uint32_t rows) {
  const uint32_t dim = workload_.model.head_dim, row_bytes = uint32_t(view_.hbm.row_bytes);
  const SlotRegions slot = layout_.slot(head.place.slot);
  const uint64_t token_bytes = uint64_t(dim) * kFp16Bytes;
  // Whole DRAM rows where the range allows (one contiguous write), else the token rows themselves.
  const uint64_t bytes = first_row == 0 ? (uint64_t(rows) * token_bytes + row_bytes - 1) / row_bytes * row_bytes
                                        : uint64_t(rows) * token_bytes;
  for (bool keys : {true, false}) {
    std::vector<unsigned char> image;
    if (functional()) image = lane_rows_image(head_rows(head, keys, first_row * lanes(), rows * lanes()), bytes);
    pim_->write_banks(head.place.unit, (keys ? slot.keys : slot.values) + first_row * token_bytes, bytes,
                      functional() ? image.data() : nullptr);
  }
}

void AttAccFirmware::store_layer(hwif::Hal& hal, uint32_t layer) {
  const auto heads = layer_instances(layer);
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kKvWrite);
    for (const auto& head : heads) write_rows(head, 0, pim_rows(workload_.context_tokens));
    hal.wait_copies();
  }
  hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
  offload_.store_prompt(hal, layer);
  hal.wait_copies();
}

void AttAccFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  const uint32_t length = workload_.context_tokens + step + 1;
  const uint32_t rows = pim_rows(length), rows_before = pim_rows(length - 1);
  const auto heads = layer_instances(layer);
  if (rows > rows_before) {
    // A bank row has filled up: its tokens move from the GPU into PIM.
    hwif::PhaseScope phase(hal, hwif::Phase::kKvWrite);
    for (const auto& head : heads) write_rows(head, rows_before, rows - rows_before);
    hal.wait_copies();
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_.store_token(hal, layer, length - 1);
    hal.wait_copies();
    fetched_ = offload_.fetch(hal, layer, length);
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    hal.gpu_launch(attention_work(workload_.model, workload_.batch, 1, length - rows * lanes(), false));
  }
  attend_heads(hal, heads, step, rows);
}

// AttAcc's decode layer with its overlap options (docs/firmware.md, "The AttAcc baseline as its authors
// simulate it"). The GPU runs its launches in order, so whatever of the attention's own GPU work (the tokens
// it holds) comes later waits behind the projections it overlaps, as on one GPU.
void AttAccFirmware::decode_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  if (!options_.head_pipeline && options_.ffn_gpu_share == 1.0) return PimAttentionFirmware::decode_layer(hal, layer, step);
  const DenseLayerParts& work = dense_layer(workload_.batch);
  // Pipelined, attention starts once the first head's q, k, v exist and the other heads' projections, QKV
  // and output, run beside it; the last head's output projection waits for its attention.
  const double exposed = options_.head_pipeline ? 1.0 / workload_.model.heads : 1.0;
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
    launch_share(hal, work.qkv, exposed);
    hal.gpu_wait();
    launch_share(hal, work.qkv, 1.0 - exposed);
    launch_share(hal, work.output, 1.0 - exposed);
  }
  attend_layer(hal, layer, step);
  hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
  launch_share(hal, work.output, exposed);
  // The FFN's other share streams through the PIM banks meanwhile; the split balances the two (AttAcc's
  // _ff_parallel), so the GPU's share is the FFN's time.
  launch_share(hal, work.ffn, options_.ffn_gpu_share);
  hal.gpu_wait();
}

pim::Command AttAccFirmware::command_shape(uint32_t rows) const {
  pim::Command shape;
  shape.pe_mask = pim_->all_pes_mask();
  shape.sub_vectors = 1;
  shape.dim = workload_.model.head_dim;
  shape.count = rows;
  return shape;
}

std::vector<pim::Command> AttAccFirmware::score_commands(const HeadInstance& head, const pim::Command& shape) const {
  const SlotRegions slot = layout_.slot(head.place.slot);
  std::vector<pim::Command> commands;
  for (uint32_t g = 0; g < group(); ++g) {
    pim::Command dot = shape;
    dot.opcode = uint32_t(pim::Opcode::mac_dot);
    dot.bank_offset = slot.keys;
    dot.io_offset = io_.queries + g * workload_.model.head_dim * kFp32Bytes;
    dot.result_offset = slot.scores + g * layout_.scores_stride();
    commands.push_back(dot);
  }
  return commands;
}

std::vector<pim::Command> AttAccFirmware::value_commands(const HeadInstance& head, const pim::Command& shape) const {
  const SlotRegions slot = layout_.slot(head.place.slot);
  std::vector<pim::Command> commands;
  for (uint32_t g = 0; g < group(); ++g) {
    pim::Command weighted = shape;
    weighted.opcode = uint32_t(pim::Opcode::mac_weighted);
    weighted.flags = pim::flag_clear_accumulators;
    weighted.bank_offset = slot.values;
    weighted.scalars_offset = slot.scores + g * layout_.scores_stride();
    weighted.accumulator_offset = g * workload_.model.head_dim;
    commands.push_back(weighted);
  }
  return commands;
}

void AttAccFirmware::gpu_rows(const HeadInstance& head, uint32_t rows, uint32_t step, std::vector<float>& keys,
                              std::vector<float>& values) const {
  // Tokens after the PIM rows: in the GPU's HBM up to the offload boundary, the rest came back over PCIe.
  const uint32_t dim = workload_.model.head_dim, length = workload_.context_tokens + step + 1;
  const uint32_t first = rows * lanes(), resident_end = std::min(length, offload_.first_token());
  keys = head_rows(head, true, first, resident_end > first ? resident_end - first : 0);
  values = head_rows(head, false, first, resident_end > first ? resident_end - first : 0);
  for (uint32_t token = std::max(first, offload_.first_token()); token < length; ++token) {
    const float* row = offload_.fetched_row(fetched_, token, head.sequence, head.kv_head);
    keys.insert(keys.end(), row, row + dim);
    values.insert(values.end(), row + dim, row + 2 * dim);
  }
}

}  // namespace aqpim::firmware
