#include "firmware/pim_attention_firmware.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/accuracy_fixes.h"
#include "core/fp16.h"
#include "core/kernels.h"
#include "firmware/pim_driver.h"

namespace aqpim::firmware {

namespace pim = hwif::pim;

namespace {

constexpr uint32_t kFp16Bytes = 2, kFp32Bytes = 4;

}  // namespace

PimAttentionFirmware::PimAttentionFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view,
                                           const WorkloadData* data, const KvLayout& layout)
    : AttentionFirmware(workload, data), view_(view), layout_(layout) {
  io_.queries = 0;
  io_.partials = group() * workload.model.head_dim * kFp32Bytes;
  io_.outputs = io_.partials + group() * view.pes_per_unit * 2 * kFp32Bytes;
  io_.end = io_.outputs + group() * view.pes_per_unit * workload.model.head_dim * kFp32Bytes;
  if (data) head_data_ = std::make_unique<HeadData>(workload, *data);
}

PimAttentionFirmware::~PimAttentionFirmware() = default;

std::vector<PimAttentionFirmware::HeadInstance> PimAttentionFirmware::layer_instances(uint32_t layer) const {
  std::vector<HeadInstance> heads;
  for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence)
    for (uint32_t kv_head = 0; kv_head < workload_.model.kv_heads; ++kv_head)
      heads.push_back({sequence, layer, kv_head, layout_.place(sequence, layer, kv_head)});
  // Heads sharing a unit in one layer take turns (they share its IO buffer); order by turn.
  std::stable_sort(heads.begin(), heads.end(), [](const HeadInstance& a, const HeadInstance& b) {
    return a.place.slot_in_layer < b.place.slot_in_layer;
  });
  return heads;
}

std::vector<unsigned char> PimAttentionFirmware::lane_rows_image(const std::vector<float>& rows,
                                                          uint64_t bytes_per_bank) const {
  // Coded token c of the head sits in bank c % lanes at row c / lanes: rows[] are in coded-token order.
  const uint32_t dim = workload_.model.head_dim;
  std::vector<unsigned char> image(bytes_per_bank * lanes(), 0);
  const size_t tokens = rows.size() / dim;
  for (size_t c = 0; c < tokens; ++c) {
    const auto bits = core::to_fp16_bits(&rows[c * dim], dim);
    std::memcpy(image.data() + (c % lanes()) * bytes_per_bank + (c / lanes()) * dim * kFp16Bytes, bits.data(),
                dim * kFp16Bytes);
  }
  return image;
}

void PimAttentionFirmware::begin(hwif::Hal& hal) { pim_ = std::make_unique<PimDriver>(hal, view_); }

void PimAttentionFirmware::attend_heads(hwif::Hal& hal, const std::vector<HeadInstance>& heads, uint32_t step,
                                        uint32_t rows) {
  PimDriver& pim = *pim_;
  const uint32_t dim = workload_.model.head_dim, pes = view_.pes_per_unit, groups = group();
  const bool functional = this->functional();
  const pim::Command shape = command_shape(rows);

  // One turn per slot_in_layer: heads sharing a unit in this layer would share its IO buffer.
  for (size_t begin = 0; begin < heads.size();) {
    size_t end = begin;
    while (end < heads.size() && heads[end].place.slot_in_layer == heads[begin].place.slot_in_layer) ++end;
    const size_t turn = end - begin;
    auto fence_turn = [&] {
      for (size_t h = begin; h < end; ++h) pim.fence(heads[h].place.unit);
    };

    std::vector<std::vector<float>> queries(turn * groups);
    {
      hwif::PhaseScope phase(hal, hwif::Phase::kScoring);
      for (size_t h = begin; h < end; ++h) {
        for (uint32_t g = 0; g < groups; ++g) {
          if (functional) queries[(h - begin) * groups + g] = decode_query(heads[h], g, step);
          pim.write_io(heads[h].place.unit, io_.queries + g * dim * kFp32Bytes,
                       functional ? queries[(h - begin) * groups + g].data() : nullptr, dim * kFp32Bytes);
        }
        pim.submit(heads[h].place.unit, score_commands(heads[h], shape));
      }
      fence_turn();
    }

    // Softmax: per-PE partials, merged on the GPU with the GPU-held tokens' partial, then normalised in place.
    std::vector<core::SoftmaxPartial> totals(turn * groups);
    std::vector<std::vector<float>> gpu_scores(turn * groups), gpu_values(turn);
    {
      hwif::PhaseScope phase(hal, hwif::Phase::kSoftmax);
      for (size_t h = begin; h < end; ++h) {
        const SlotRegions slot = layout_.slot(heads[h].place.slot);
        std::vector<pim::Command> partials;
        for (uint32_t g = 0; g < groups; ++g) {
          pim::Command partial = shape;
          partial.opcode = uint32_t(pim::Opcode::softmax_partial);
          partial.scalars_offset = slot.scores + g * layout_.scores_stride();
          partial.io_offset = io_.partials + g * pes * 2 * kFp32Bytes;
          partial.io_stride = 2 * kFp32Bytes;
          partials.push_back(partial);
        }
        pim.submit(heads[h].place.unit, partials);
      }
      fence_turn();
      for (size_t h = begin; h < end; ++h) {
        // Timing-only reads move no data: no buffer either (decode reads millions of these).
        const size_t partial_count = size_t(groups) * pes * 2;
        std::vector<float> partials(functional ? partial_count : 0);
        pim.read_io(heads[h].place.unit, io_.partials, functional ? partials.data() : nullptr,
                    partial_count * kFp32Bytes);
        if (!functional) continue;
        std::vector<float> keys;
        gpu_rows(heads[h], rows, step, keys, gpu_values[h - begin]);
        const auto key_bits = core::to_fp16_bits(keys.data(), keys.size());
        const size_t gpu_tokens = keys.size() / dim;
        for (uint32_t g = 0; g < groups; ++g) {
          auto& scores = gpu_scores[(h - begin) * groups + g];
          scores.resize(gpu_tokens);
          core::dot_rows_fp16(key_bits.data(), gpu_tokens, dim, queries[(h - begin) * groups + g].data(), scores.data());
          core::SoftmaxPartial total = core::softmax_partial(scores.data(), gpu_tokens);
          for (uint32_t pe = 0; pe < pes; ++pe)
            total = core::merge_softmax(total, {partials[(g * pes + pe) * 2], partials[(g * pes + pe) * 2 + 1]});
          totals[(h - begin) * groups + g] = total;
        }
      }
      for (size_t h = begin; h < end; ++h) {
        const SlotRegions slot = layout_.slot(heads[h].place.slot);
        std::vector<pim::Command> normalizes;
        for (uint32_t g = 0; g < groups; ++g) {
          pim::Command normalize = shape;
          normalize.opcode = uint32_t(pim::Opcode::softmax_normalize);
          normalize.scalars_offset = normalize.result_offset = slot.scores + g * layout_.scores_stride();
          normalize.softmax_max = functional ? totals[(h - begin) * groups + g].max : 0.0f;
          normalize.softmax_sum = functional ? totals[(h - begin) * groups + g].sum : 1.0f;
          normalizes.push_back(normalize);
        }
        pim.submit(heads[h].place.unit, normalizes);
      }
      fence_turn();
    }

    // Values: per-PE partial outputs, summed on the GPU with the GPU-held tokens' part.
    hwif::PhaseScope phase(hal, hwif::Phase::kValue);
    for (size_t h = begin; h < end; ++h) {
      std::vector<pim::Command> commands = value_commands(heads[h], shape);
      for (uint32_t g = 0; !values_in_io() && g < groups; ++g) {
        // The buffer die collects each PE's output into the IO buffer.
        pim::Command gather = shape;
        gather.opcode = uint32_t(pim::Opcode::gather_accumulators);
        gather.length = dim;
        gather.accumulator_offset = g * dim;
        gather.io_offset = io_.outputs + g * pes * dim * kFp32Bytes;
        gather.io_stride = dim * kFp32Bytes;
        commands.push_back(gather);
      }
      pim.submit(heads[h].place.unit, commands);
    }
    fence_turn();
    for (size_t h = begin; h < end; ++h) {
      const HeadInstance& head = heads[h];
      const size_t output_count = size_t(groups) * pes * dim;
      std::vector<float> pe_outputs(functional ? output_count : 0);
      pim.read_io(head.place.unit, io_.outputs, functional ? pe_outputs.data() : nullptr, output_count * kFp32Bytes);
      if (!functional) continue;
      const auto value_bits = core::to_fp16_bits(gpu_values[h - begin].data(), gpu_values[h - begin].size());
      for (uint32_t g = 0; g < groups; ++g) {
        const auto& scores = gpu_scores[(h - begin) * groups + g];
        std::vector<float> probabilities(scores.size()), stored(dim, 0.0f);
        core::softmax_normalize(scores.data(), scores.size(), totals[(h - begin) * groups + g], probabilities.data());
        core::accumulate_rows_fp16(probabilities.data(), value_bits.data(), scores.size(), dim, stored.data());
        for (uint32_t pe = 0; pe < pes; ++pe) core::add_into(stored.data(), &pe_outputs[(size_t(g) * pes + pe) * dim], dim);
        head_data_->unorder_output(head.sequence, head.layer, head.kv_head, stored.data(),
                                   output(step, head.sequence, head.layer, head.kv_head * groups + g));
      }
    }
    begin = end;
  }
}

}  // namespace aqpim::firmware
