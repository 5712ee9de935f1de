// The sub-vector mapping's decode step (docs/firmware.md, "Sub-vector mapping"): tokens leaving the fp16
// window are encoded into their banks; then per head, for each pass (the whole GQA group, or one query
// head): inner-product tables and scores window by window, the buffer die's softmax with the GPU's fp16
// tokens, value lookups (or histograms) window by window, and the outputs gathered into the IO buffer.
#include <algorithm>
#include <cstring>

#include "core/fp16.h"
#include "core/kernels.h"
#include "firmware/aqpim_subvector_firmware.h"
#include "firmware/pim_driver.h"

namespace aqpim::firmware {

namespace pim = hwif::pim;

namespace {
constexpr uint32_t kFp16Bytes = 2, kFp32Bytes = 4;
}  // namespace

void AqpimSubvectorFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  start_attention(hal, layer, step, 0, workload_.batch);
  finish_attention(hal, layer, step, 0, workload_.batch);
}

void AqpimSubvectorFirmware::start_attention(hwif::Hal& hal, uint32_t layer, uint32_t step, uint32_t first,
                                             uint32_t count) {
  const uint32_t length = workload_.context_tokens + step + 1;  // tokens this step's query sees, itself included
  const uint32_t coded_before = coded_tokens(step), coded = coded_tokens(step + 1);
  std::vector<Head> heads;
  for (const Head& head : layer_heads(layer))
    if (head.sequence >= first && head.sequence < first + count) heads.push_back(head);
  if (coded > coded_before) append_leaving_tokens(hal, heads, coded_before, coded - coded_before);
  // A layer's offloaded tokens of every sequence cross PCIe in one transfer, with the first group.
  if (offload_ && first == 0) {
    // Tokens past PIM's capacity live in CPU memory; those older than the fp16 window come back each step.
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_->store_token(hal, layer, length - 1);
    hal.wait_copies();
    const uint32_t recent = std::min(length, config_.aqpim.quant.recent_tokens);
    offload_->fetch(hal, layer, std::max(offload_->first_token(), length - recent));
  }
  uint64_t gpu_share_end;
  {
    // The fp16 sink, overflow and recent tokens' attention runs on the GPU beside PIM's share.
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    gpu_share_end = hal.gpu_launch(attention_work(workload_.model, count, 1, length - coded, false));
  }
  // Turns: the heads sharing a slot of their units; the IO buffers are reused from one pass to the next, so
  // every pass but the group's last is finished before the next starts.
  std::vector<std::vector<Head>> turns;
  for (size_t begin = 0; begin < heads.size();) {
    size_t end = begin;
    while (end < heads.size() && heads[end].place.slot_in_layer == heads[begin].place.slot_in_layer) ++end;
    turns.emplace_back(heads.begin() + begin, heads.begin() + end);
    begin = end;
  }
  const uint32_t passes = group() / heads_per_pass();
  for (size_t t = 0; t < turns.size(); ++t)
    for (uint32_t pass = 0; pass < passes; ++pass) {
      InFlight pass_work{std::move(turns[t]), step, pass * heads_per_pass(), {}};
      start_pass(hal, pass_work, coded, gpu_share_end);
      if (t + 1 == turns.size() && pass + 1 == passes) {
        in_flight_[first] = std::move(pass_work);
      } else {
        finish_pass(hal, pass_work);
        turns[t] = std::move(pass_work.turn);
      }
    }
}

void AqpimSubvectorFirmware::finish_attention(hwif::Hal& hal, uint32_t /*layer*/, uint32_t /*step*/, uint32_t first,
                                              uint32_t /*count*/) {
  const auto found = in_flight_.find(first);
  if (found == in_flight_.end()) return;  // no head in these sequences
  finish_pass(hal, found->second);
  in_flight_.erase(found);
}

void AqpimSubvectorFirmware::append_leaving_tokens(hwif::Hal& hal, const std::vector<Head>& heads, uint32_t first,
                                                   uint32_t count) {
  hwif::PhaseScope phase(hal, hwif::Phase::kEncoding);
  const uint32_t sink = config_.aqpim.quant.sink_tokens, row_bytes = uint32_t(view_.hbm.row_bytes);
  const uint64_t token_bytes = uint64_t(layout_.sub_vectors_per_bank()) * layout_.sub_dim() * kFp16Bytes;
  const uint64_t bytes = (count * token_bytes + row_bytes - 1) / row_bytes * row_bytes;
  for (const auto& head : heads)
    for (bool keys : {true, false}) {
      std::vector<unsigned char> image;
      if (functional())
        image = bank_vectors_image(head_data_->rows(head.sequence, head.layer, head.kv_head, keys, sink + first, count),
                                   bytes);
      pim_->write_banks(head.place.unit, layout_.prefill_vectors(head.place.slot_in_layer, keys), bytes,
                        functional() ? image.data() : nullptr);
    }
  hal.wait_copies();
  // No online centroid update: appended tokens take the last window's codebook.
  for (const auto& head : heads)
    for (bool keys : {true, false})
      pim_->submit(head.place.unit, encode_commands(head, keys, first, count, config_.windows - 1,
                                                    layout_.prefill_vectors(head.place.slot_in_layer, keys)));
  for (const auto& head : heads) pim_->fence(head.place.unit);
}

// Scores, the buffer die's softmax (merging the GPU's fp16 tokens) and the value lookups of one pass. Unless
// decode is pipelined, the host waits for each stage, so the phases show where a step's time goes; pipelined,
// the unit runs the stages back to back and the host only waits in finish_pass.
void AqpimSubvectorFirmware::start_pass(hwif::Hal& hal, InFlight& work, uint32_t coded, uint64_t gpu_share_end) {
  const uint32_t dim = workload_.model.head_dim, heads = heads_per_pass();
  const bool functional = this->functional(), fence_stages = !pipelined();
  const auto& turn = work.turn;
  auto fence_turn = [&] {
    if (fence_stages)
      for (const auto& head : turn) pim_->fence(head.place.unit);
  };
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kScoring);
    for (const auto& head : turn) {
      const auto queries = functional ? pass_queries(head, work.step, work.first_query) : std::vector<float>();
      pim_->write_io(head.place.unit, io_.queries, functional ? queries.data() : nullptr, heads * dim * kFp32Bytes);
      pim_->submit(head.place.unit, score_commands(head, coded));
    }
    fence_turn();
  }
  // The GPU's fp16 tokens' partial goes to the buffer die, which merges it into the softmax.
  work.shares.assign(turn.size(), {});
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kSoftmax);
    hal.wait_until(gpu_share_end);
    for (size_t t = 0; t < turn.size(); ++t) {
      std::vector<float> partials;
      if (functional) work.shares[t] = gpu_share(turn[t], work.step, coded, work.first_query, partials);
      pim_->write_io(turn[t].place.unit, io_.partials, functional ? partials.data() : nullptr,
                     heads * 2 * kFp32Bytes);
      pim_->submit(turn[t].place.unit, {softmax_command(turn[t], coded)});
    }
    fence_turn();
  }
  hwif::PhaseScope phase(hal, hwif::Phase::kValue);
  for (const auto& head : turn) pim_->submit(head.place.unit, value_commands(head, coded));
}

void AqpimSubvectorFirmware::finish_pass(hwif::Hal& hal, const InFlight& work) {
  const uint32_t dim = workload_.model.head_dim, heads = heads_per_pass();
  const bool functional = this->functional();
  hwif::PhaseScope phase(hal, hwif::Phase::kValue);
  for (const auto& head : work.turn) pim_->fence(head.place.unit);
  for (size_t t = 0; t < work.turn.size(); ++t) {
    // The buffer die left each head's merged (max, sum) in the partials and PIM's output after them.
    std::vector<float> io(functional ? size_t(heads) * (dim + 2) : 0);
    pim_->read_io(work.turn[t].place.unit, io_.partials, functional ? io.data() : nullptr,
                  heads * (dim + 2) * kFp32Bytes);
    if (functional) finish_outputs(work.turn[t], work.step, work.first_query, work.shares[t], io);
  }
}

std::vector<float> AqpimSubvectorFirmware::pass_queries(const Head& head, uint32_t step, uint32_t first_query) const {
  std::vector<float> queries;
  for (uint32_t h = 0; h < heads_per_pass(); ++h) {
    const auto query = head_data_->query(head.sequence, head.layer, head.kv_head, first_query + h, step);
    queries.insert(queries.end(), query.begin(), query.end());
  }
  return queries;
}

AqpimSubvectorFirmware::GpuShare AqpimSubvectorFirmware::gpu_share(const Head& head, uint32_t step, uint32_t coded,
                                                                   uint32_t first_query,
                                                                   std::vector<float>& partials) const {
  const uint32_t dim = workload_.model.head_dim;
  GpuShare share;
  std::vector<float> keys;
  gpu_rows(head, step, coded, keys, share.values);
  const auto key_bits = core::to_fp16_bits(keys.data(), keys.size());
  const size_t tokens = keys.size() / dim;
  const auto queries = pass_queries(head, step, first_query);
  for (uint32_t h = 0; h < heads_per_pass(); ++h) {
    std::vector<float> scores(tokens);
    core::dot_rows_fp16(key_bits.data(), tokens, dim, &queries[size_t(h) * dim], scores.data());
    const core::SoftmaxPartial partial = core::softmax_partial(scores.data(), tokens);
    partials.push_back(partial.max);
    partials.push_back(partial.sum);
    share.scores.push_back(std::move(scores));
  }
  return share;
}

void AqpimSubvectorFirmware::finish_outputs(const Head& head, uint32_t step, uint32_t first_query,
                                            const GpuShare& share, const std::vector<float>& io) {
  const uint32_t dim = workload_.model.head_dim, heads = heads_per_pass();
  const auto value_bits = core::to_fp16_bits(share.values.data(), share.values.size());
  for (uint32_t h = 0; h < heads; ++h) {
    const auto& scores = share.scores[h];
    const core::SoftmaxPartial total{io[h * 2], io[h * 2 + 1]};
    std::vector<float> probabilities(scores.size()), stored(dim, 0.0f);
    core::softmax_normalize(scores.data(), scores.size(), total, probabilities.data());
    core::accumulate_rows_fp16(probabilities.data(), value_bits.data(), scores.size(), dim, stored.data());
    core::add_into(stored.data(), &io[heads * 2 + size_t(h) * dim], dim);
    head_data_->unorder_output(head.sequence, head.layer, head.kv_head, stored.data(),
                               output(step, head.sequence, head.layer, head.kv_head * group() + first_query + h));
  }
}

pim::Command AqpimSubvectorFirmware::softmax_command(const Head& head, uint32_t coded) const {
  pim::Command softmax = shape(0, coded);
  softmax.opcode = uint32_t(pim::Opcode::softmax_buffer);
  softmax.heads = heads_per_pass();
  softmax.scalars_offset = layout_.scores(head.place.slot_in_layer);
  softmax.result_offset = layout_.probabilities(head.place.slot_in_layer);
  softmax.io_offset = io_.partials;
  return softmax;
}

// Per window: the inner-product tables of the pass's query heads (DRAM rows, or the LUT SRAM after loading
// the window's codebook), then the window's scores, summed over the banks on the buffer die.
std::vector<pim::Command> AqpimSubvectorFirmware::score_commands(const Head& head, uint32_t coded) const {
  const uint32_t heads = heads_per_pass();
  const bool dram = config_.codebook_store == CodebookStore::dram;
  std::vector<pim::Command> commands;
  for (uint32_t window = 0; window < config_.windows; ++window) {
    const uint32_t first = layout_.window_first(window);
    const uint32_t end = window + 1 == config_.windows ? coded : std::min(coded, layout_.window_first(window + 1));
    if (end <= first) continue;
    const uint64_t codebook = layout_.codebook(head.place.slot, true, window);
    pim::Command tables = shape(0, 0);
    tables.heads = heads;
    tables.io_offset = io_.queries;
    if (dram) {
      tables.opcode = uint32_t(pim::Opcode::build_table);
      tables.codebook_offset = uint32_t(codebook);
      tables.result_offset = layout_.tables(head.place.slot_in_layer);
    } else {
      pim::Command load = shape(0, 0);
      load.opcode = uint32_t(pim::Opcode::load_codebook);
      load.bank_offset = codebook;
      commands.push_back(load);
      tables.opcode = uint32_t(pim::Opcode::build_lut);
    }
    commands.push_back(tables);
    pim::Command score = shape(first, end - first);
    score.opcode = uint32_t(dram ? pim::Opcode::score_table : pim::Opcode::score_summed);
    score.heads = heads;
    score.bank_offset = layout_.tables(head.place.slot_in_layer);
    score.codes_offset = layout_.codes(head.place.slot, true);
    score.result_offset = layout_.scores(head.place.slot_in_layer);
    commands.push_back(score);
  }
  return commands;
}

// Per window: values weighted by the probabilities into the accumulators (lookups in the value codebook's
// rows, or a histogram times the codebook); then the PEs' pieces of each head's output into the IO buffer.
std::vector<pim::Command> AqpimSubvectorFirmware::value_commands(const Head& head, uint32_t coded) const {
  const uint32_t heads = heads_per_pass(), m = layout_.sub_vectors_per_bank();
  const uint32_t histogram_entries = heads * m * config_.aqpim.quant.centroids;
  const bool dram = config_.codebook_store == CodebookStore::dram;
  const bool reconstruct = config_.aqpim.value_path == core::ValuePath::kReconstruct;
  std::vector<pim::Command> commands;
  bool first_window = true;
  for (uint32_t window = 0; window < config_.windows; ++window) {
    const uint32_t first = layout_.window_first(window);
    const uint32_t end = window + 1 == config_.windows ? coded : std::min(coded, layout_.window_first(window + 1));
    if (end <= first) continue;
    const uint64_t codebook = layout_.codebook(head.place.slot, false, window);
    pim::Command weigh = shape(first, end - first);
    weigh.heads = heads;
    weigh.codes_offset = layout_.codes(head.place.slot, false);
    weigh.scalars_offset = layout_.probabilities(head.place.slot_in_layer);
    weigh.output_accumulator_offset = histogram_entries;
    const uint32_t clear = first_window ? uint32_t(pim::flag_clear_accumulators) : 0u;
    first_window = false;
    if (reconstruct) {
      weigh.opcode = uint32_t(pim::Opcode::value_table);
      weigh.flags |= clear;
      weigh.codebook_offset = uint32_t(codebook);
      commands.push_back(weigh);
      continue;
    }
    if (!dram) {
      pim::Command load = shape(0, 0);
      load.opcode = uint32_t(pim::Opcode::load_codebook);
      load.bank_offset = codebook;
      commands.push_back(load);
    }
    weigh.opcode = uint32_t(pim::Opcode::value_histogram);
    weigh.flags |= pim::flag_clear_accumulators;
    commands.push_back(weigh);
    pim::Command output = weigh;
    output.opcode = uint32_t(pim::Opcode::value_output);
    output.flags = pim::flag_interleaved_sub_vectors | clear | (dram ? uint32_t(pim::flag_codebook_in_bank) : 0u);
    output.codebook_offset = dram ? uint32_t(codebook) : 0;
    commands.push_back(output);
  }
  pim::Command gather = shape(0, 0);
  gather.opcode = uint32_t(pim::Opcode::gather_accumulators);
  gather.heads = heads;
  gather.accumulator_offset = histogram_entries;
  gather.length = heads * m * layout_.sub_dim();
  gather.io_offset = io_.outputs;
  commands.push_back(gather);
  return commands;
}

void AqpimSubvectorFirmware::gpu_rows(const Head& head, uint32_t step, uint32_t coded, std::vector<float>& keys,
                                      std::vector<float>& values) const {
  // The sink tokens and everything after the coded ones: overflow (back from CPU memory) and the recent window.
  const uint32_t sink = config_.aqpim.quant.sink_tokens, coded_end = sink + coded;
  const uint32_t length = workload_.context_tokens + step + 1;
  for (bool is_key : {true, false}) {
    auto& out = is_key ? keys : values;
    out = head_data_->rows(head.sequence, head.layer, head.kv_head, is_key, 0, sink);
    const auto rest = head_data_->rows(head.sequence, head.layer, head.kv_head, is_key, coded_end, length - coded_end);
    out.insert(out.end(), rest.begin(), rest.end());
  }
}

}  // namespace aqpim::firmware
