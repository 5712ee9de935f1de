// The sub-vector mapping: construction, shared helpers and the prefill (raw sub-vectors into their banks,
// in-memory k-means per window, encoding). Decode is in aqpim_subvector_decode.cpp.
#include "firmware/aqpim_subvector_firmware.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/fp16.h"
#include "firmware/pim_driver.h"

namespace aqpim::firmware {

namespace pim = hwif::pim;

namespace {

constexpr uint32_t kFp16Bytes = 2, kFp32Bytes = 4;

uint64_t round_up(uint64_t value, uint64_t granule) { return (value + granule - 1) / granule * granule; }

KvShape kv_shape(const AqpimFirmwareConfig& c) {
  return {c.model.layers, c.model.heads, c.model.kv_heads, c.model.head_dim, c.batch, c.context_tokens, c.decode_steps};
}

PimGeometry pim_geometry(const hwif::PlatformView& view) {
  return {uint32_t(view.units.size()), view.hbm.banks(), view.hbm.bank_bytes(), uint32_t(view.hbm.row_bytes)};
}

// The layout holding every coded token if it fits the banks, else the most coded tokens per head that fit
// (the rest overflow to CPU memory).
SubvectorLayout fitting_layout(const SubvectorFirmwareConfig& config, const hwif::PlatformView& view) {
  SubvectorOptions options{config.codebook_store, config.windows,
                           config.gqa_one_pass ? config.aqpim.model.heads / config.aqpim.model.kv_heads : 1, 0};
  const SubvectorLayout whole(kv_shape(config.aqpim), config.aqpim.quant, pim_geometry(view), options);
  if (whole.fits()) return whole;
  const uint32_t granule = whole.granule();
  uint32_t low = 0, high = whole.coded_capacity() / granule;  // in granules: fits(low) holds, fits(high) not
  while (high - low > 1) {
    const uint32_t middle = low + (high - low) / 2;
    options.max_coded_tokens = middle * granule;
    (SubvectorLayout(kv_shape(config.aqpim), config.aqpim.quant, pim_geometry(view), options).fits() ? low : high) =
        middle;
  }
  options.max_coded_tokens = low * granule;
  const SubvectorLayout fitting(kv_shape(config.aqpim), config.aqpim.quant, pim_geometry(view), options);
  if (low == 0 || !fitting.fits() || fitting.prompt_coded_tokens() == 0)
    throw std::invalid_argument("aqpim: not even the codebooks and one group of codes per head fit the PIM banks (" +
                                std::to_string(whole.bytes_per_bank_used() >> 20) + " MiB per bank needed, " +
                                std::to_string(view.hbm.bank_bytes() >> 20) + " MiB per bank)");
  return fitting;
}

}  // namespace

AqpimSubvectorFirmware::AqpimSubvectorFirmware(const SubvectorFirmwareConfig& config, const hwif::PlatformView& view,
                                               const WorkloadData* data)
    : AttentionFirmware(config.aqpim.workload(), data),
      config_(config),
      view_(view),
      layout_(fitting_layout(config, view)) {
  const auto& aqpim = config.aqpim;
  if (layout_.prompt_coded_tokens() == 0)
    throw std::invalid_argument("workload.context_tokens (" + std::to_string(aqpim.context_tokens) +
                                ") leaves no coded token beside the sink and recent fp16 tokens");
  if (config.codebook_store == CodebookStore::dram && uint64_t(aqpim.quant.centroids) * kFp16Bytes > view.hbm.row_bytes)
    throw std::invalid_argument("an inner-product table of " + std::to_string(aqpim.quant.centroids) +
                                " fp16 products does not fit a " + std::to_string(view.hbm.row_bytes) +
                                "-byte row: use windows (pq.windowed_clustering) or pim.codebook_store=sram");
  if (aqpim.value_path == core::ValuePath::kReconstruct && config.codebook_store == CodebookStore::sram)
    throw std::invalid_argument("the reconstruct value path looks values up in DRAM rows: it needs "
                                "pim.codebook_store=dram");
  if (aqpim.importance_weighting && aqpim.importance_queries > aqpim.context_tokens)
    throw std::invalid_argument("pq.importance_queries exceeds the context");
  const uint32_t fp16_tokens = aqpim.quant.sink_tokens + aqpim.quant.recent_tokens;
  const uint64_t all_coded = aqpim.context_tokens + aqpim.decode_steps > fp16_tokens
                                 ? aqpim.context_tokens + aqpim.decode_steps - fp16_tokens
                                 : 0;
  if (layout_.coded_capacity() < all_coded / layout_.granule() * layout_.granule())
    offload_ = std::make_unique<KvOffload>(aqpim.workload(), view,
                                           aqpim.quant.sink_tokens + layout_.coded_capacity(), data);
  const uint32_t heads = heads_per_pass(), dim = aqpim.model.head_dim;
  io_.queries = 0;
  io_.partials = heads * dim * kFp32Bytes;
  io_.outputs = io_.partials + heads * 2 * kFp32Bytes;
  if (data) {
    head_data_ = std::make_unique<HeadData>(aqpim.workload(), *data);
    if (aqpim.channel_presort) head_data_->calibrate_channel_orders(layout_.sub_dim());
    if (aqpim.importance_weighting && data->shape().prefill_queries < aqpim.importance_queries)
      throw std::invalid_argument("the workload data holds fewer prefill queries than pq.importance_queries");
  }
}

AqpimSubvectorFirmware::~AqpimSubvectorFirmware() = default;

void AqpimSubvectorFirmware::begin(hwif::Hal& hal) { pim_ = std::make_unique<PimDriver>(hal, view_); }

double AqpimSubvectorFirmware::offloaded_kv_bytes() const {
  return offload_ ? offload_->bytes(workload_.context_tokens + workload_.decode_steps) : 0.0;
}

uint32_t AqpimSubvectorFirmware::coded_tokens(uint32_t steps_done) const {
  const uint32_t fp16_tokens = config_.aqpim.quant.sink_tokens + config_.aqpim.quant.recent_tokens;
  const uint32_t length = workload_.context_tokens + steps_done, granule = layout_.granule();
  const uint32_t coded = length > fp16_tokens ? (length - fp16_tokens) / granule * granule : 0;
  return std::min(std::max(coded, layout_.prompt_coded_tokens()), layout_.coded_capacity());
}

std::vector<AqpimSubvectorFirmware::Head> AqpimSubvectorFirmware::layer_heads(uint32_t layer) const {
  std::vector<Head> heads;
  for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence)
    for (uint32_t kv_head = 0; kv_head < workload_.model.kv_heads; ++kv_head)
      heads.push_back({sequence, layer, kv_head, layout_.place(sequence, layer, kv_head)});
  // Heads sharing a unit in one layer take turns (they share its IO buffer and scratch); order by turn.
  std::stable_sort(heads.begin(), heads.end(), [](const Head& a, const Head& b) {
    return a.place.slot_in_layer < b.place.slot_in_layer;
  });
  return heads;
}

pim::Command AqpimSubvectorFirmware::shape(uint32_t first_token, uint32_t count) const {
  pim::Command command;
  const uint32_t banks = layout_.banks_used();
  command.pe_mask = banks >= 64 ? ~uint64_t(0) : (uint64_t(1) << banks) - 1;
  command.flags = pim::flag_interleaved_sub_vectors;
  command.sub_vectors = layout_.sub_vectors_per_bank();
  command.clusters = config_.aqpim.quant.centroids;
  command.dim = layout_.sub_dim();
  command.first_token = first_token;
  command.count = count;
  return command;
}

uint32_t AqpimSubvectorFirmware::window_of(uint32_t coded_token) const {
  uint32_t window = 0;
  while (window + 1 < config_.windows && coded_token >= layout_.window_first(window + 1)) ++window;
  return window;
}

std::vector<unsigned char> AqpimSubvectorFirmware::bank_vectors_image(const std::vector<float>& rows,
                                                                      uint64_t bytes_per_bank) const {
  const uint32_t dim = workload_.model.head_dim, d = layout_.sub_dim(), per_bank = layout_.sub_vectors_per_bank();
  const uint32_t banks_used = layout_.banks_used();
  std::vector<unsigned char> image(bytes_per_bank * view_.hbm.banks(), 0);
  const size_t tokens = rows.size() / dim;
  for (uint32_t bank = 0; bank < banks_used; ++bank)
    for (size_t n = 0; n < tokens; ++n)
      for (uint32_t j = 0; j < per_bank; ++j) {
        const uint32_t i = bank + j * banks_used;
        const auto bits = core::to_fp16_bits(&rows[n * dim + size_t(i) * d], d);
        std::memcpy(image.data() + bank * bytes_per_bank + ((n * per_bank + j) * d) * kFp16Bytes, bits.data(),
                    d * kFp16Bytes);
      }
  return image;
}

std::vector<unsigned char> AqpimSubvectorFirmware::bank_codebook_image(const std::vector<float>& codebook) const {
  const uint32_t d = layout_.sub_dim(), per_bank = layout_.sub_vectors_per_bank(), banks_used = layout_.banks_used();
  const size_t entries = size_t(config_.aqpim.quant.centroids) * d;
  // Row-aligned strides where PIM looks the codebook up in rows; back to back where it loads it into SRAM.
  const uint64_t stride = config_.codebook_store == CodebookStore::dram ? layout_.codebook_stride()
                                                                        : entries * kFp16Bytes;
  const uint64_t bytes_per_bank = per_bank * layout_.codebook_stride();
  std::vector<unsigned char> image(bytes_per_bank * view_.hbm.banks(), 0);
  for (uint32_t bank = 0; bank < banks_used; ++bank)
    for (uint32_t j = 0; j < per_bank; ++j) {
      const auto bits = core::to_fp16_bits(&codebook[size_t(bank + j * banks_used) * entries], entries);
      std::memcpy(image.data() + bank * bytes_per_bank + j * stride, bits.data(), entries * kFp16Bytes);
    }
  return image;
}

// ---- prefill -------------------------------------------------------------------------------------------

hwif::GpuWork AqpimSubvectorFirmware::extra_prefill_work() const {
  // The last t prompt queries' attention probabilities, from which the importance weights are summed.
  if (!config_.aqpim.importance_weighting) return {};
  return attention_work(workload_.model, workload_.batch, config_.aqpim.importance_queries, workload_.context_tokens,
                        false);
}

void AqpimSubvectorFirmware::store_layer(hwif::Hal& hal, uint32_t layer) {
  const auto heads = layer_heads(layer);
  {
    // Copy engines write every pseudo-channel at once; clustering starts when all copies have landed.
    hwif::PhaseScope phase(hal, hwif::Phase::kKvWrite);
    for (const auto& head : heads) write_prefill_data(head);
    hal.wait_copies();
  }
  if (offload_) {
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_->store_prompt(hal, layer);
    hal.wait_copies();
  }
  auto fence_all = [&] {
    for (const auto& head : heads) pim_->fence(head.place.unit);
  };
  for (bool keys : {true, false})
    for (uint32_t window = 0; window < config_.windows; ++window) {
      {
        hwif::PhaseScope phase(hal, hwif::Phase::kClustering);
        for (const auto& head : heads) pim_->submit(head.place.unit, kmeans_commands(head, keys, window));
        fence_all();
      }
      hwif::PhaseScope phase(hal, hwif::Phase::kEncoding);
      const uint32_t first = layout_.window_first(window), count = layout_.window_first(window + 1) - first;
      const uint64_t token_bytes = uint64_t(layout_.sub_vectors_per_bank()) * layout_.sub_dim() * kFp16Bytes;
      for (const auto& head : heads)
        pim_->submit(head.place.unit,
                     encode_commands(head, keys, first, count, window,
                                     layout_.prefill_vectors(head.place.slot_in_layer, keys) + first * token_bytes));
      fence_all();
    }
}

void AqpimSubvectorFirmware::write_prefill_data(const Head& head) {
  const auto& aqpim = config_.aqpim;
  const uint32_t dim = aqpim.model.head_dim, sink = aqpim.quant.sink_tokens, coded = layout_.prompt_coded_tokens();
  const uint32_t row_bytes = uint32_t(view_.hbm.row_bytes);
  const uint64_t vector_bytes = round_up(uint64_t(coded) * layout_.sub_vectors_per_bank() * layout_.sub_dim() * kFp16Bytes,
                                         row_bytes);
  const uint64_t codebook_bytes = layout_.sub_vectors_per_bank() * layout_.codebook_stride();
  const bool functional = this->functional();
  for (bool keys : {true, false}) {
    std::vector<unsigned char> vectors, codebooks;
    if (functional) {
      const auto prompt = head_data_->rows(head.sequence, head.layer, head.kv_head, keys, sink, coded);
      vectors = bank_vectors_image(prompt, vector_bytes);
      // Window 0 starts from the GPU's sample; every later window from the one before it (copied in PIM).
      codebooks = bank_codebook_image(
          AqpimFirmware::initial_codebook(prompt.data(), layout_.window_first(1), aqpim.quant, dim));
    }
    pim_->write_banks(head.place.unit, layout_.prefill_vectors(head.place.slot_in_layer, keys), vector_bytes,
                      functional ? vectors.data() : nullptr);
    pim_->write_banks(head.place.unit, layout_.codebook(head.place.slot, keys, 0), codebook_bytes,
                      functional ? codebooks.data() : nullptr);
  }
  if (!aqpim.importance_weighting) return;
  const uint64_t weight_bytes = round_up(uint64_t(coded) * kFp32Bytes, row_bytes);
  std::vector<unsigned char> weights;
  if (functional) {
    // The GPU's importance weights: attention the last t prompt queries pay each token (GQA heads summed).
    const auto all = head_data_->importance_weights(head.sequence, head.layer, head.kv_head, aqpim.importance_queries);
    weights.assign(weight_bytes * view_.hbm.banks(), 0);
    for (uint32_t bank = 0; bank < layout_.banks_used(); ++bank)
      std::memcpy(weights.data() + bank * weight_bytes, &all[sink], size_t(coded) * kFp32Bytes);
  }
  pim_->write_banks(head.place.unit, layout_.weights(head.place.slot_in_layer), weight_bytes,
                    functional ? weights.data() : nullptr);
}

// One window's k-means on its prompt tokens: window 0 from the GPU's sample, later ones from a copy of the
// previous window's codebook (the paper's new page); distances in the banks, the MIN on the buffer die.
std::vector<pim::Command> AqpimSubvectorFirmware::kmeans_commands(const Head& head, bool keys, uint32_t window) const {
  const uint32_t first = layout_.window_first(window), count = layout_.window_first(window + 1) - first;
  const bool dram = config_.codebook_store == CodebookStore::dram;
  const uint64_t codebook = layout_.codebook(head.place.slot, keys, window);
  std::vector<pim::Command> commands;
  pim::Command base = shape(first, count);
  base.bank_offset = layout_.prefill_vectors(head.place.slot_in_layer, keys);
  base.codes_offset = layout_.codes(head.place.slot, keys);
  base.codebook_offset = dram ? uint32_t(codebook) : 0;
  if (dram && window > 0) {
    pim::Command copy = base;
    copy.opcode = uint32_t(pim::Opcode::copy_rows);
    copy.bank_offset = layout_.codebook(head.place.slot, keys, window - 1);
    copy.result_offset = codebook;
    copy.length = uint32_t(layout_.sub_vectors_per_bank() * layout_.codebook_stride());
    commands.push_back(copy);
  }
  if (!dram) {
    // Heads sharing a unit share its codebook SRAM: start from the bank image (the previous window's final
    // codebook for a later window) and leave the result in the bank image again.
    pim::Command load = base;
    load.opcode = uint32_t(pim::Opcode::load_codebook);
    load.bank_offset = window > 0 ? layout_.codebook(head.place.slot, keys, window - 1) : codebook;
    commands.push_back(load);
  }
  const uint32_t in_bank = dram ? uint32_t(pim::flag_codebook_in_bank) : 0u;
  for (uint32_t iteration = 0; iteration < config_.aqpim.kmeans_iterations; ++iteration) {
    pim::Command assign = base;
    assign.opcode = uint32_t(pim::Opcode::kmeans_assign);
    assign.flags |= in_bank | (config_.assignment_in_buffer ? uint32_t(pim::flag_assign_in_buffer) : 0u);
    commands.push_back(assign);
    pim::Command accumulate = base;
    accumulate.opcode = uint32_t(pim::Opcode::kmeans_accumulate);
    accumulate.flags |= pim::flag_clear_accumulators |
                        (config_.aqpim.importance_weighting ? 0u : uint32_t(pim::flag_unweighted));
    accumulate.scalars_offset = layout_.weights(head.place.slot_in_layer);
    commands.push_back(accumulate);
    pim::Command finish = base;
    finish.opcode = uint32_t(pim::Opcode::finish_centroids);
    finish.flags |= in_bank;
    commands.push_back(finish);
  }
  if (!dram) {
    pim::Command store = base;
    store.opcode = uint32_t(pim::Opcode::store_codebook);
    store.bank_offset = codebook;
    commands.push_back(store);
  }
  return commands;
}

// Encodes coded tokens [first, first + count) from `vectors` (their raw sub-vectors, the first at its start)
// with window `window`'s codebook; an SRAM store keeps a copy of the codebook in the bank.
std::vector<pim::Command> AqpimSubvectorFirmware::encode_commands(const Head& head, bool keys, uint32_t first,
                                                                  uint32_t count, uint32_t window,
                                                                  uint64_t vectors) const {
  const bool dram = config_.codebook_store == CodebookStore::dram;
  const uint64_t codebook = layout_.codebook(head.place.slot, keys, window);
  pim::Command encode = shape(0, count);
  encode.opcode = uint32_t(pim::Opcode::encode);
  encode.flags |= (dram ? uint32_t(pim::flag_codebook_in_bank) : 0u) |
                  (config_.assignment_in_buffer ? uint32_t(pim::flag_assign_in_buffer) : 0u);
  encode.bank_offset = vectors;
  encode.codebook_offset = dram ? uint32_t(codebook) : 0;
  // The codes of token `first` start on a byte: coded tokens move in granules.
  encode.codes_offset = layout_.codes(head.place.slot, keys) +
                        uint64_t(first) * layout_.sub_vectors_per_bank() * layout_.code_bits() / 8;
  if (dram) return {encode};
  pim::Command load = encode;
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.bank_offset = codebook;
  return {load, encode};
}

}  // namespace aqpim::firmware
