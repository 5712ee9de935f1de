#include "firmware/aqpim_firmware.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/accuracy_fixes.h"
#include "core/fp16.h"
#include "core/kernels.h"
#include "core/pq_codec.h"
#include "firmware/pim_driver.h"
#include "hwif/pim_commands.h"

namespace aqpim::firmware {

namespace pim = hwif::pim;

namespace {

constexpr uint32_t kFp16Bytes = 2, kFp32Bytes = 4;

uint64_t round_up(uint64_t value, uint64_t granule) { return (value + granule - 1) / granule * granule; }

}  // namespace

AqpimFirmware::AqpimFirmware(const AqpimFirmwareConfig& config, const hwif::PlatformView& view, const WorkloadData* data)
    : PimAttentionFirmware(
          config.workload(), view, data,
          KvLayout({config.model.layers, config.model.heads, config.model.kv_heads, config.model.head_dim, config.batch,
                    config.context_tokens, config.decode_steps},
                   config.quant,
                   {uint32_t(view.units.size()), view.hbm.banks(), view.hbm.bank_bytes(), uint32_t(view.hbm.row_bytes)})),
      config_(config) {
  const uint32_t fp16_tokens = config.quant.sink_tokens + config.quant.recent_tokens;
  prefill_rows_ = config.context_tokens > fp16_tokens ? (config.context_tokens - fp16_tokens) / lanes() : 0;
  if (prefill_rows_ == 0)
    throw std::invalid_argument("workload.context_tokens (" + std::to_string(config.context_tokens) +
                                ") leaves no full row of " + std::to_string(lanes()) +
                                " coded tokens beside the sink and recent fp16 tokens");
  if (config.importance_weighting && config.importance_queries > config.context_tokens)
    throw std::invalid_argument("pq.importance_queries exceeds the context");
  if (!layout_.fits())
    throw std::invalid_argument(
        "the AQPIM KV layout needs " + std::to_string(layout_.bytes_per_pe_used() >> 20) + " MiB per bank but a bank holds " +
        std::to_string(view.hbm.bank_bytes() >> 20) +
        " MiB (overflow to CPU memory is modelled for attacc and gpu_offload only): lower workload.context_tokens or "
        "workload.batch, or add hbm.pim_stacks");
  if (data) {
    if (config.importance_weighting && data->shape().prefill_queries < config.importance_queries)
      throw std::invalid_argument("the workload data holds fewer prefill queries than pq.importance_queries");
    prepare_channel_orders();
  }
}

AqpimFirmware::~AqpimFirmware() = default;

void AqpimFirmware::prepare_channel_orders() {
  // Offline calibration, folded into the projection weights in a real deployment: costs no run time.
  if (config_.channel_presort) head_data_->calibrate_channel_orders(layout_.sub_dim());
}

std::vector<float> AqpimFirmware::initial_codebook(const float* rows, size_t count, const QuantShape& quant,
                                                   uint32_t head_dim) {
  const size_t sub_dim = head_dim / quant.sub_vectors, clusters = quant.centroids;
  std::vector<float> codebook(size_t(quant.sub_vectors) * clusters * sub_dim);
  for (size_t i = 0; i < quant.sub_vectors; ++i)
    for (size_t k = 0; k < clusters; ++k) {
      const float* sub_vector = rows + (k * count / clusters) * head_dim + i * sub_dim;
      for (size_t d = 0; d < sub_dim; ++d)
        codebook[(i * clusters + k) * sub_dim + d] = core::round_to_fp16(sub_vector[d]);
    }
  return codebook;
}

// ---- prefill -------------------------------------------------------------------------------------------

hwif::GpuWork AqpimFirmware::extra_prefill_work() const {
  // The last t prompt queries' attention probabilities, from which the importance weights are summed.
  if (!config_.importance_weighting) return {};
  return attention_work(config_.model, config_.batch, config_.importance_queries, config_.context_tokens, false);
}

void AqpimFirmware::store_layer(hwif::Hal& hal, uint32_t layer) {
  const auto heads = layer_instances(layer);
  {
    // Copy engines write every pseudo-channel at once; clustering starts when all copies have landed.
    hwif::PhaseScope phase(hal, hwif::Phase::kKvWrite);
    for (const auto& head : heads) write_prefill_data(*pim_, head);
    hal.wait_copies();
  }
  cluster_and_encode(*pim_, heads);
}

void AqpimFirmware::write_prefill_data(PimDriver& pim, const HeadInstance& head) {
  const uint32_t rows = prefill_rows_, dim = config_.model.head_dim, row_bytes = uint32_t(view_.hbm.row_bytes);
  const uint32_t coded = rows * lanes(), first = config_.quant.sink_tokens;
  const uint64_t vector_bytes = round_up(uint64_t(rows) * dim * kFp16Bytes, row_bytes);
  const uint64_t weight_bytes = round_up(uint64_t(rows) * kFp32Bytes, row_bytes);
  const uint64_t codebook_bytes = uint64_t(config_.quant.centroids) * dim * kFp16Bytes;
  const SlotRegions slot = layout_.slot(head.place.slot);
  const bool functional = this->functional();

  for (bool keys : {true, false}) {
    std::vector<unsigned char> vectors, codebooks;
    if (functional) {
      const auto prompt = head_rows(head, keys, first, coded);
      vectors = lane_rows_image(prompt, vector_bytes);
      const auto initial = initial_codebook(prompt.data(), coded, config_.quant, dim);
      const auto bits = core::to_fp16_bits(initial.data(), initial.size());
      codebooks.resize(codebook_bytes * lanes());
      for (uint32_t bank = 0; bank < lanes(); ++bank)
        std::memcpy(codebooks.data() + bank * codebook_bytes, bits.data(), codebook_bytes);
    }
    pim.write_banks(head.place.unit, keys ? layout_.staging_k(head.place.slot_in_layer)
                                          : layout_.staging_v(head.place.slot_in_layer),
                    vector_bytes, functional ? vectors.data() : nullptr);
    pim.write_banks(head.place.unit, keys ? slot.codebook_k : slot.codebook_v, codebook_bytes,
                    functional ? codebooks.data() : nullptr);
  }
  if (!config_.importance_weighting) return;
  std::vector<unsigned char> weights;
  if (functional) {
    // The GPU's importance weights: attention the last t prompt queries pay each token (GQA heads summed).
    const auto all = head_data_->importance_weights(head.sequence, head.layer, head.kv_head, config_.importance_queries);
    weights.assign(weight_bytes * lanes(), 0);
    for (uint32_t c = 0; c < coded; ++c)
      std::memcpy(weights.data() + (c % lanes()) * weight_bytes + (c / lanes()) * kFp32Bytes, &all[first + c],
                  kFp32Bytes);
  }
  pim.write_banks(head.place.unit, slot.weights, weight_bytes, functional ? weights.data() : nullptr);
}

void AqpimFirmware::issue_kmeans(PimDriver& pim, const HeadInstance& head, bool keys) {
  const SlotRegions slot = layout_.slot(head.place.slot);
  pim::Command shape = command_shape(prefill_rows_);
  shape.bank_offset = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
  shape.codes_offset = keys ? slot.keys : slot.values;
  const uint64_t codebook_image = keys ? slot.codebook_k : slot.codebook_v;
  const uint32_t unit = head.place.unit;

  pim::Command load = shape;
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.bank_offset = codebook_image;
  std::vector<pim::Command> commands{load};
  for (uint32_t iteration = 0; iteration < config_.kmeans_iterations; ++iteration) {
    pim::Command assign = shape;
    assign.opcode = uint32_t(pim::Opcode::kmeans_assign);
    commands.push_back(assign);
    pim::Command accumulate = shape;
    accumulate.opcode = uint32_t(pim::Opcode::kmeans_accumulate);
    accumulate.flags = pim::flag_clear_accumulators | (config_.importance_weighting ? 0u : uint32_t(pim::flag_unweighted));
    accumulate.scalars_offset = slot.weights;
    commands.push_back(accumulate);
    pim::Command reduce = shape;
    reduce.opcode = uint32_t(pim::Opcode::reduce);
    reduce.flags = pim::flag_clear_accumulators;
    reduce.length = shape.sub_vectors * shape.clusters * (shape.dim + 1);
    commands.push_back(reduce);
    pim::Command update = shape;
    update.opcode = uint32_t(pim::Opcode::update_centroids);
    commands.push_back(update);
  }
  pim.submit(unit, commands);
}

void AqpimFirmware::cluster_and_encode(PimDriver& pim, const std::vector<HeadInstance>& heads) {
  hwif::Hal& hal = pim.hal();
  auto fence_all = [&] {
    for (const auto& head : heads) pim.fence(head.place.unit);
  };
  for (bool keys : {true, false}) {
    {
      hwif::PhaseScope phase(hal, hwif::Phase::kClustering);
      for (const auto& head : heads) issue_kmeans(pim, head, keys);
      fence_all();
    }
    hwif::PhaseScope phase(hal, hwif::Phase::kEncoding);
    for (const auto& head : heads) {
      const SlotRegions slot = layout_.slot(head.place.slot);
      pim::Command encode = command_shape(prefill_rows_);
      encode.opcode = uint32_t(pim::Opcode::encode);
      encode.bank_offset = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
      encode.codes_offset = keys ? slot.keys : slot.values;
      pim::Command store = encode;
      store.opcode = uint32_t(pim::Opcode::store_codebook);
      store.bank_offset = keys ? slot.codebook_k : slot.codebook_v;
      pim.submit(head.place.unit, {encode, store});
    }
    fence_all();
  }
}

// ---- decode --------------------------------------------------------------------------------------------

void AqpimFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  const uint32_t length = config_.context_tokens + step + 1;  // tokens this step's query sees, itself included
  const uint32_t fp16_tokens = config_.quant.sink_tokens + config_.quant.recent_tokens;
  // Tokens leave the fp16 window a bank row at a time: coded rows = floor((length - fp16 tokens) / lanes),
  // so when the window would hold recent + lanes tokens, its oldest `lanes` become a new row of every bank.
  const uint32_t rows_before = (length - 1 - fp16_tokens) / lanes();
  const uint32_t rows = (length - fp16_tokens) / lanes();
  {
    // The fp16 sink and recent tokens' attention runs on the GPU beside PIM's share.
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    hal.gpu_launch(attention_work(config_.model, config_.batch, 1, length - rows * lanes(), false));
  }
  const auto heads = layer_instances(layer);
  if (rows > rows_before) {
    hwif::PhaseScope phase(hal, hwif::Phase::kEncoding);
    for (const auto& head : heads)
      for (bool keys : {true, false}) stage_leaving_row(*pim_, head, keys, rows_before);
    hal.wait_copies();
    for (const auto& head : heads)
      for (bool keys : {true, false}) encode_leaving_row(*pim_, head, keys, rows_before);
  }
  attend_heads(hal, heads, step, rows);
}

void AqpimFirmware::stage_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row) {
  // The row's tokens go to the staging area, one token per bank.
  const uint64_t staging = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
  // Whole column accesses: a head narrower than one access (head_dim 8 = 16 bytes) is padded with zeros.
  const uint64_t token_bytes = round_up(uint64_t(config_.model.head_dim) * kFp16Bytes, view_.hbm.access_bytes);
  std::vector<unsigned char> image;
  if (data_) image = lane_rows_image(head_rows(head, keys, config_.quant.sink_tokens + row * lanes(), lanes()), token_bytes);
  pim.write_banks(head.place.unit, staging, token_bytes, data_ ? image.data() : nullptr);
}

void AqpimFirmware::encode_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row) {
  // PIM encodes the staged tokens into code row `row`.
  const uint64_t staging = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
  const SlotRegions slot = layout_.slot(head.place.slot);
  pim::Command load = command_shape(1);
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.bank_offset = keys ? slot.codebook_k : slot.codebook_v;
  pim::Command encode = load;
  encode.opcode = uint32_t(pim::Opcode::encode);
  encode.count = 1;
  // One token per bank: the staged vectors from the staging area, the codes into row `row` of the codes.
  // (first_token would move both streams; staging may sit below row x token bytes.)
  encode.bank_offset = staging;
  const uint64_t code_bytes_per_token = uint64_t(config_.quant.sub_vectors) * core::code_bits(config_.quant.centroids) / 8;
  encode.codes_offset = (keys ? slot.keys : slot.values) + uint64_t(row) * code_bytes_per_token;
  pim.submit(head.place.unit, {load, encode});
}

// ---- decode hooks: LUT scoring on codes, histogram (or reconstruct) values, fp16 sink + recent on the GPU

pim::Command AqpimFirmware::command_shape(uint32_t rows) const {
  pim::Command shape;
  shape.pe_mask = pim_->all_pes_mask();
  shape.sub_vectors = config_.quant.sub_vectors;
  shape.clusters = config_.quant.centroids;
  shape.dim = layout_.sub_dim();
  shape.count = rows;
  return shape;
}

std::vector<pim::Command> AqpimFirmware::score_commands(const HeadInstance& head, const pim::Command& shape) const {
  const SlotRegions slot = layout_.slot(head.place.slot);
  pim::Command load = shape;
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.bank_offset = slot.codebook_k;
  std::vector<pim::Command> commands{load};
  for (uint32_t g = 0; g < group(); ++g) {
    pim::Command lut = shape;
    lut.opcode = uint32_t(pim::Opcode::build_lut);
    lut.io_offset = io_.queries + g * config_.model.head_dim * kFp32Bytes;
    commands.push_back(lut);
    pim::Command score = shape;
    score.opcode = uint32_t(pim::Opcode::score);
    score.codes_offset = slot.keys;
    score.result_offset = slot.scores + g * layout_.scores_stride();
    commands.push_back(score);
  }
  return commands;
}

std::vector<pim::Command> AqpimFirmware::value_commands(const HeadInstance& head, const pim::Command& shape) const {
  const uint32_t dim = config_.model.head_dim, pes = view_.pes_per_unit;
  const SlotRegions slot = layout_.slot(head.place.slot);
  pim::Command load = shape;
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.bank_offset = slot.codebook_v;
  std::vector<pim::Command> commands{load};
  for (uint32_t g = 0; g < group(); ++g) {
    pim::Command value = shape;
    value.flags = pim::flag_clear_accumulators;
    value.scalars_offset = slot.scores + g * layout_.scores_stride();
    value.codes_offset = slot.values;
    if (values_in_io()) {
      value.opcode = uint32_t(pim::Opcode::value_histogram);
      commands.push_back(value);
      pim::Command output = shape;
      output.opcode = uint32_t(pim::Opcode::value_output);
      output.io_offset = io_.outputs + g * pes * dim * kFp32Bytes;
      output.io_stride = dim * kFp32Bytes;
      commands.push_back(output);
    } else {
      value.opcode = uint32_t(pim::Opcode::value_reconstruct);
      value.accumulator_offset = g * dim;
      commands.push_back(value);
    }
  }
  return commands;
}

void AqpimFirmware::gpu_rows(const HeadInstance& head, uint32_t rows, uint32_t step, std::vector<float>& keys,
                             std::vector<float>& values) const {
  // The sink tokens and everything after the coded rows (the recent window, the step's token included).
  const uint32_t sink = config_.quant.sink_tokens, coded_end = sink + rows * lanes();
  const uint32_t length = config_.context_tokens + step + 1;
  for (bool is_key : {true, false}) {
    auto& out = is_key ? keys : values;
    out = head_rows(head, is_key, 0, sink);
    const auto recent = head_rows(head, is_key, coded_end, length - coded_end);
    out.insert(out.end(), recent.begin(), recent.end());
  }
}

}  // namespace aqpim::firmware
