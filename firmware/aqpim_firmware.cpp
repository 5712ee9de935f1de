#include "firmware/aqpim_firmware.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/accuracy_fixes.h"
#include "core/fp16.h"
#include "core/kernels.h"
#include "firmware/pim_driver.h"
#include "models/pim_commands.h"

namespace aqpim::firmware {

namespace pim = models::pim;

namespace {

constexpr uint32_t kFp16Bytes = 2, kFp32Bytes = 4, kCodeBytes = 2;

uint64_t round_up(uint64_t value, uint64_t granule) { return (value + granule - 1) / granule * granule; }

std::vector<core::fp16_bits> to_fp16(const float* values, size_t count) {
  std::vector<core::fp16_bits> bits(count);
  for (size_t i = 0; i < count; ++i) bits[i] = core::float_to_fp16(values[i]);
  return bits;
}

}  // namespace

AqpimFirmware::AqpimFirmware(const AqpimFirmwareConfig& config, const PlatformView& view, const WorkloadData* data)
    : config_(config),
      view_(view),
      data_(data),
      layout_({config.model.layers, config.model.heads, config.model.kv_heads, config.model.head_dim, config.batch,
               config.context_tokens, config.decode_steps},
              config.quant,
              {uint32_t(view.units.size()), view.hbm.banks(), view.hbm.bank_bytes(), uint32_t(view.hbm.row_bytes)}) {
  const uint32_t fp16_tokens = config.quant.sink_tokens + config.quant.recent_tokens;
  prefill_rows_ = config.context_tokens > fp16_tokens ? (config.context_tokens - fp16_tokens) / lanes() : 0;
  if (prefill_rows_ == 0)
    throw std::invalid_argument("workload.context_tokens (" + std::to_string(config.context_tokens) +
                                ") leaves no full row of " + std::to_string(lanes()) +
                                " coded tokens beside the sink and recent fp16 tokens");
  if (config.importance_weighting && config.importance_queries > config.context_tokens)
    throw std::invalid_argument("pq.importance_queries exceeds the context");
  io_.queries = 0;
  io_.partials = group() * config.model.head_dim * kFp32Bytes;
  io_.outputs = io_.partials + group() * view.pes_per_unit * 2 * kFp32Bytes;
  io_.end = io_.outputs + group() * view.pes_per_unit * config.model.head_dim * kFp32Bytes;
  if (data) {
    const auto& shape = data->shape();
    if (shape.batch != config.batch || shape.layers != config.model.layers || shape.heads != config.model.heads ||
        shape.kv_heads != config.model.kv_heads || shape.head_dim != config.model.head_dim ||
        shape.context_tokens != config.context_tokens || shape.decode_steps != config.decode_steps ||
        (config.importance_weighting && shape.prefill_queries < config.importance_queries))
      throw std::invalid_argument("the workload data's shape differs from the firmware configuration");
    outputs_.assign(size_t(config.decode_steps) * config.batch * config.model.layers * config.model.heads *
                        config.model.head_dim,
                    0.0f);
    prepare_channel_orders();
  }
}

uint64_t AqpimFirmware::instance_index(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  return (uint64_t(layer) * config_.batch + sequence) * config_.model.kv_heads + kv_head;
}

std::vector<AqpimFirmware::HeadInstance> AqpimFirmware::layer_instances(uint32_t layer) const {
  std::vector<HeadInstance> heads;
  for (uint32_t sequence = 0; sequence < config_.batch; ++sequence)
    for (uint32_t kv_head = 0; kv_head < config_.model.kv_heads; ++kv_head)
      heads.push_back({sequence, layer, kv_head, layout_.place(sequence, layer, kv_head)});
  // Heads sharing a unit in one layer take turns (they share its IO buffer); order by turn.
  std::stable_sort(heads.begin(), heads.end(), [](const HeadInstance& a, const HeadInstance& b) {
    return a.place.slot_in_layer < b.place.slot_in_layer;
  });
  return heads;
}

void AqpimFirmware::prepare_channel_orders() {
  const uint64_t instances = layout_.head_instances();
  key_orders_.assign(instances, {});
  value_orders_.assign(instances, {});
  if (!config_.channel_presort) return;
  // Offline calibration, folded into the projection weights in a real deployment: costs no run time.
  const uint32_t dim = config_.model.head_dim, stride = config_.model.kv_heads * dim;
  for (uint32_t layer = 0; layer < config_.model.layers; ++layer)
    for (uint32_t sequence = 0; sequence < config_.batch; ++sequence)
      for (uint32_t kv_head = 0; kv_head < config_.model.kv_heads; ++kv_head) {
        const uint64_t index = instance_index(sequence, layer, kv_head);
        const float* keys = data_->keys(sequence, layer) + size_t(kv_head) * dim;
        const float* values = data_->values(sequence, layer) + size_t(kv_head) * dim;
        key_orders_[index] = core::calibrate_channel_order(keys, config_.context_tokens, stride, dim,
                                                           layout_.sub_dim(), core::RopePairing::kHalfSplit);
        value_orders_[index] = core::calibrate_channel_order(values, config_.context_tokens, stride, dim,
                                                             layout_.sub_dim(), core::RopePairing::kNone);
      }
}

const std::vector<uint32_t>& AqpimFirmware::key_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  return key_orders_.at(instance_index(sequence, layer, kv_head));
}
const std::vector<uint32_t>& AqpimFirmware::value_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  return value_orders_.at(instance_index(sequence, layer, kv_head));
}

std::vector<float> AqpimFirmware::head_rows(const HeadInstance& head, bool keys, uint32_t first, uint32_t count) const {
  const uint32_t dim = config_.model.head_dim, stride = config_.model.kv_heads * dim;
  const float* source = (keys ? data_->keys(head.sequence, head.layer) : data_->values(head.sequence, head.layer)) +
                        size_t(first) * stride + size_t(head.kv_head) * dim;
  std::vector<float> rows(size_t(count) * dim);
  const auto& order = keys ? key_order(head.sequence, head.layer, head.kv_head)
                           : value_order(head.sequence, head.layer, head.kv_head);
  if (order.empty()) {
    for (uint32_t n = 0; n < count; ++n) std::memcpy(&rows[size_t(n) * dim], source + size_t(n) * stride, dim * 4);
  } else {
    core::apply_channel_order(order, source, count, stride, rows.data());
  }
  return rows;
}

std::vector<float> AqpimFirmware::decode_query(const HeadInstance& head, uint32_t g, uint32_t step) const {
  const uint32_t dim = config_.model.head_dim, head_index = head.kv_head * group() + g;
  const float* source = data_->decode_queries(head.sequence, head.layer) +
                        (size_t(step) * config_.model.heads + head_index) * dim;
  std::vector<float> query(source, source + dim);
  const auto& order = key_order(head.sequence, head.layer, head.kv_head);
  if (!order.empty()) core::apply_channel_order(order, source, 1, dim, query.data());
  // Scaling the query once scales every score: q . k / sqrt(d) = (q / sqrt(d)) . k, as core::attention does.
  const float scale = 1.0f / std::sqrt(float(dim));
  for (float& value : query) value *= scale;
  return query;
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

std::vector<unsigned char> AqpimFirmware::lane_rows_image(const std::vector<float>& rows,
                                                          uint64_t bytes_per_bank) const {
  // Coded token c of the head sits in bank c % lanes at row c / lanes: rows[] are in coded-token order.
  const uint32_t dim = config_.model.head_dim;
  std::vector<unsigned char> image(bytes_per_bank * lanes(), 0);
  const size_t tokens = rows.size() / dim;
  for (size_t c = 0; c < tokens; ++c) {
    const auto bits = to_fp16(&rows[c * dim], dim);
    std::memcpy(image.data() + (c % lanes()) * bytes_per_bank + (c / lanes()) * dim * kFp16Bytes, bits.data(),
                dim * kFp16Bytes);
  }
  return image;
}

void AqpimFirmware::run(Hal& hal) {
  PimDriver pim(hal, view_);
  prefill(hal, pim);
  prefill_end_ps_ = hal.now_ps();
  for (uint32_t step = 0; step < config_.decode_steps; ++step) decode_step(hal, pim, step);
}

// ---- prefill -------------------------------------------------------------------------------------------

void AqpimFirmware::prefill(Hal& hal, PimDriver& pim) {
  const ModelDims& model = config_.model;
  const double prompt_tokens = double(config_.batch) * config_.context_tokens;
  auto launch_layer = [&] {
    hal.gpu_launch(projection_work(model, prompt_tokens));
    hal.gpu_launch(attention_work(model, config_.batch, config_.context_tokens, config_.context_tokens, true));
    if (config_.importance_weighting)  // the last t queries' probabilities over the prompt
      hal.gpu_launch(attention_work(model, config_.batch, config_.importance_queries, config_.context_tokens, false));
  };
  {
    PhaseScope phase(hal, Phase::kGpuDense);
    launch_layer();
  }
  for (uint32_t layer = 0; layer < model.layers; ++layer) {
    {
      PhaseScope phase(hal, Phase::kGpuDense);
      hal.gpu_wait();  // this layer's K and V exist now
    }
    if (layer + 1 < model.layers) launch_layer();  // the GPU computes the next layer meanwhile
    const auto heads = layer_instances(layer);
    {
      // Copy engines write every pseudo-channel at once; clustering starts when all copies have landed.
      PhaseScope phase(hal, Phase::kKvWrite);
      for (const auto& head : heads) write_prefill_data(pim, head);
      hal.wait_copies();
    }
    cluster_and_encode(pim, heads);
  }
  PhaseScope phase(hal, Phase::kGpuDense);
  hal.gpu_launch(lm_head_work(model, config_.batch));
  hal.gpu_wait();
}

void AqpimFirmware::write_prefill_data(PimDriver& pim, const HeadInstance& head) {
  const uint32_t rows = prefill_rows_, dim = config_.model.head_dim, row_bytes = uint32_t(view_.hbm.row_bytes);
  const uint32_t coded = rows * lanes(), first = config_.quant.sink_tokens;
  const uint64_t vector_bytes = round_up(uint64_t(rows) * dim * kFp16Bytes, row_bytes);
  const uint64_t weight_bytes = round_up(uint64_t(rows) * kFp32Bytes, row_bytes);
  const uint64_t codebook_bytes = uint64_t(config_.quant.centroids) * dim * kFp16Bytes;
  const SlotRegions slot = layout_.slot(head.place.slot);
  const bool functional = data_ != nullptr;

  for (bool keys : {true, false}) {
    std::vector<unsigned char> vectors, codebooks;
    if (functional) {
      const auto prompt = head_rows(head, keys, first, coded);
      vectors = lane_rows_image(prompt, vector_bytes);
      const auto initial = initial_codebook(prompt.data(), coded, config_.quant, dim);
      const auto bits = to_fp16(initial.data(), initial.size());
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
    const uint32_t t = config_.importance_queries, stride = config_.model.kv_heads * dim;
    const auto& shape = data_->shape();
    std::vector<float> last_queries(size_t(t) * group() * dim);
    for (uint32_t q = 0; q < t; ++q)
      for (uint32_t g = 0; g < group(); ++g)
        std::memcpy(&last_queries[(size_t(q) * group() + g) * dim],
                    data_->prefill_queries(head.sequence, head.layer) +
                        ((size_t(shape.prefill_queries - t + q) * config_.model.heads) + head.kv_head * group() + g) *
                            dim,
                    dim * 4);
    const float* keys = data_->keys(head.sequence, head.layer) + size_t(head.kv_head) * dim;
    const auto all = core::importance_weights(last_queries.data(), t, group(), keys, config_.context_tokens, stride, dim);
    weights.assign(weight_bytes * lanes(), 0);
    for (uint32_t c = 0; c < coded; ++c)
      std::memcpy(weights.data() + (c % lanes()) * weight_bytes + (c / lanes()) * kFp32Bytes, &all[first + c],
                  kFp32Bytes);
  }
  pim.write_banks(head.place.unit, slot.weights, weight_bytes, functional ? weights.data() : nullptr);
}

void AqpimFirmware::issue_kmeans(PimDriver& pim, const HeadInstance& head, bool keys) {
  const SlotRegions slot = layout_.slot(head.place.slot);
  pim::Command shape;
  shape.pe_mask = pim.all_pes_mask();
  shape.sub_vectors = config_.quant.sub_vectors;
  shape.clusters = config_.quant.centroids;
  shape.dim = layout_.sub_dim();
  shape.count = prefill_rows_;
  shape.bank_offset = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
  shape.codes_offset = keys ? slot.codes_k : slot.codes_v;
  const uint64_t codebook_image = keys ? slot.codebook_k : slot.codebook_v;
  const uint32_t unit = head.place.unit;

  pim::Command load = shape;
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.bank_offset = codebook_image;
  pim.issue(unit, load);
  for (uint32_t iteration = 0; iteration < config_.kmeans_iterations; ++iteration) {
    pim::Command assign = shape;
    assign.opcode = uint32_t(pim::Opcode::kmeans_assign);
    pim.issue(unit, assign);
    pim::Command accumulate = shape;
    accumulate.opcode = uint32_t(pim::Opcode::kmeans_accumulate);
    accumulate.flags = pim::flag_clear_accumulators | (config_.importance_weighting ? 0u : uint32_t(pim::flag_unweighted));
    accumulate.scalars_offset = slot.weights;
    pim.issue(unit, accumulate);
    pim::Command reduce = shape;
    reduce.opcode = uint32_t(pim::Opcode::reduce);
    reduce.flags = pim::flag_clear_accumulators;
    reduce.length = shape.sub_vectors * shape.clusters * (shape.dim + 1);
    pim.issue(unit, reduce);
    pim::Command update = shape;
    update.opcode = uint32_t(pim::Opcode::update_centroids);
    pim.issue(unit, update);
  }
}

void AqpimFirmware::cluster_and_encode(PimDriver& pim, const std::vector<HeadInstance>& heads) {
  Hal& hal = pim.hal();
  auto fence_all = [&] {
    for (const auto& head : heads) pim.fence(head.place.unit);
  };
  for (bool keys : {true, false}) {
    {
      PhaseScope phase(hal, Phase::kClustering);
      for (const auto& head : heads) issue_kmeans(pim, head, keys);
      fence_all();
    }
    PhaseScope phase(hal, Phase::kEncoding);
    for (const auto& head : heads) {
      const SlotRegions slot = layout_.slot(head.place.slot);
      pim::Command encode;
      encode.opcode = uint32_t(pim::Opcode::encode);
      encode.pe_mask = pim.all_pes_mask();
      encode.sub_vectors = config_.quant.sub_vectors;
      encode.clusters = config_.quant.centroids;
      encode.dim = layout_.sub_dim();
      encode.count = prefill_rows_;
      encode.bank_offset = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
      encode.codes_offset = keys ? slot.codes_k : slot.codes_v;
      pim.issue(head.place.unit, encode);
      pim::Command store = encode;
      store.opcode = uint32_t(pim::Opcode::store_codebook);
      store.bank_offset = keys ? slot.codebook_k : slot.codebook_v;
      pim.issue(head.place.unit, store);
    }
    fence_all();
  }
}

// ---- decode --------------------------------------------------------------------------------------------

void AqpimFirmware::decode_step(Hal& hal, PimDriver& pim, uint32_t step) {
  const ModelDims& model = config_.model;
  const uint32_t length = config_.context_tokens + step + 1;  // tokens this step's query sees, itself included
  const uint32_t fp16_tokens = config_.quant.sink_tokens + config_.quant.recent_tokens;
  // Tokens leave the fp16 window a bank row at a time: coded rows = floor((length - fp16 tokens) / lanes),
  // so when the window would hold recent + lanes tokens, its oldest `lanes` become a new row of every bank.
  const uint32_t rows_before = (length - 1 - fp16_tokens) / lanes();
  const uint32_t rows = (length - fp16_tokens) / lanes();
  for (uint32_t layer = 0; layer < model.layers; ++layer) {
    {
      PhaseScope phase(hal, Phase::kGpuDense);
      hal.gpu_launch(projection_work(model, config_.batch));
      hal.gpu_wait();
      // The fp16 sink and recent tokens' attention runs on the GPU beside PIM's share.
      hal.gpu_launch(attention_work(model, config_.batch, 1, length - rows * lanes(), false));
    }
    const auto heads = layer_instances(layer);
    if (rows > rows_before) {
      PhaseScope phase(hal, Phase::kEncoding);
      for (const auto& head : heads)
        for (bool keys : {true, false}) stage_leaving_row(pim, head, keys, rows_before);
      hal.wait_copies();
      for (const auto& head : heads)
        for (bool keys : {true, false}) encode_leaving_row(pim, head, keys, rows_before);
    }
    attend_layer(hal, pim, heads, step, rows, length);
  }
  PhaseScope phase(hal, Phase::kGpuDense);
  hal.gpu_launch(lm_head_work(model, config_.batch));
  hal.gpu_wait();
}

void AqpimFirmware::stage_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row) {
  // The row's tokens go to the staging area, one token per bank.
  const uint64_t staging = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
  const uint64_t token_bytes = uint64_t(config_.model.head_dim) * kFp16Bytes;
  std::vector<unsigned char> image;
  if (data_) image = lane_rows_image(head_rows(head, keys, config_.quant.sink_tokens + row * lanes(), lanes()), token_bytes);
  pim.write_banks(head.place.unit, staging, token_bytes, data_ ? image.data() : nullptr);
}

void AqpimFirmware::encode_leaving_row(PimDriver& pim, const HeadInstance& head, bool keys, uint32_t row) {
  // PIM encodes the staged tokens into code row `row`.
  const uint64_t staging = keys ? layout_.staging_k(head.place.slot_in_layer) : layout_.staging_v(head.place.slot_in_layer);
  const uint64_t token_bytes = uint64_t(config_.model.head_dim) * kFp16Bytes;

  const SlotRegions slot = layout_.slot(head.place.slot);
  pim::Command load;
  load.opcode = uint32_t(pim::Opcode::load_codebook);
  load.pe_mask = pim.all_pes_mask();
  load.sub_vectors = config_.quant.sub_vectors;
  load.clusters = config_.quant.centroids;
  load.dim = layout_.sub_dim();
  load.bank_offset = keys ? slot.codebook_k : slot.codebook_v;
  pim.issue(head.place.unit, load);
  pim::Command encode = load;
  encode.opcode = uint32_t(pim::Opcode::encode);
  encode.first_token = row;
  encode.count = 1;
  // Token streams start at offset + first_token * bytes_per_token: aim that at the staging row.
  encode.bank_offset = staging - uint64_t(row) * token_bytes;
  encode.codes_offset = keys ? slot.codes_k : slot.codes_v;
  pim.issue(head.place.unit, encode);
}

void AqpimFirmware::attend_layer(Hal& hal, PimDriver& pim, const std::vector<HeadInstance>& heads, uint32_t step,
                                 uint32_t rows, uint32_t length) {
  const uint32_t dim = config_.model.head_dim, pes = view_.pes_per_unit, groups = group();
  const bool functional = data_ != nullptr;
  const uint32_t coded = rows * lanes();
  pim::Command shape;
  shape.pe_mask = pim.all_pes_mask();
  shape.sub_vectors = config_.quant.sub_vectors;
  shape.clusters = config_.quant.centroids;
  shape.dim = layout_.sub_dim();
  shape.count = rows;

  // One turn per slot_in_layer: heads sharing a unit in this layer would share its IO buffer.
  for (size_t begin = 0; begin < heads.size();) {
    size_t end = begin;
    while (end < heads.size() && heads[end].place.slot_in_layer == heads[begin].place.slot_in_layer) ++end;
    const size_t turn = end - begin;
    auto fence_turn = [&] {
      for (size_t h = begin; h < end; ++h) pim.fence(heads[h].place.unit);
    };

    // Scores: LUT per query head from the K codebook, then the code gather.
    std::vector<std::vector<float>> queries(turn * groups);
    {
      PhaseScope phase(hal, Phase::kScoring);
      for (size_t h = begin; h < end; ++h) {
        const HeadInstance& head = heads[h];
        const SlotRegions slot = layout_.slot(head.place.slot);
        for (uint32_t g = 0; g < groups; ++g) {
          if (functional) queries[(h - begin) * groups + g] = decode_query(head, g, step);
          pim.write_io(head.place.unit, io_.queries + g * dim * kFp32Bytes,
                       functional ? queries[(h - begin) * groups + g].data() : nullptr, dim * kFp32Bytes);
        }
        pim::Command load = shape;
        load.opcode = uint32_t(pim::Opcode::load_codebook);
        load.bank_offset = slot.codebook_k;
        pim.issue(head.place.unit, load);
        for (uint32_t g = 0; g < groups; ++g) {
          pim::Command lut = shape;
          lut.opcode = uint32_t(pim::Opcode::build_lut);
          lut.io_offset = io_.queries + g * dim * kFp32Bytes;
          pim.issue(head.place.unit, lut);
          pim::Command score = shape;
          score.opcode = uint32_t(pim::Opcode::score);
          score.codes_offset = slot.codes_k;
          score.result_offset = slot.scores + g * layout_.scores_stride();
          pim.issue(head.place.unit, score);
        }
      }
      fence_turn();
    }

    // Softmax: per-PE partials, merged on the GPU with the fp16 tokens' partial, then normalised in place.
    std::vector<core::SoftmaxPartial> totals(turn * groups);
    std::vector<std::vector<float>> window_scores(turn * groups);
    {
      PhaseScope phase(hal, Phase::kSoftmax);
      for (size_t h = begin; h < end; ++h) {
        const SlotRegions slot = layout_.slot(heads[h].place.slot);
        for (uint32_t g = 0; g < groups; ++g) {
          pim::Command partial = shape;
          partial.opcode = uint32_t(pim::Opcode::softmax_partial);
          partial.scalars_offset = slot.scores + g * layout_.scores_stride();
          partial.io_offset = io_.partials + g * pes * 2 * kFp32Bytes;
          partial.io_stride = 2 * kFp32Bytes;
          pim.issue(heads[h].place.unit, partial);
        }
      }
      fence_turn();
      for (size_t h = begin; h < end; ++h) {
        const HeadInstance& head = heads[h];
        std::vector<float> partials(size_t(groups) * pes * 2);
        pim.read_io(head.place.unit, io_.partials, functional ? partials.data() : nullptr,
                    partials.size() * kFp32Bytes);
        if (!functional) continue;
        const auto window_keys = head_rows(head, true, 0, config_.quant.sink_tokens);
        auto recent_keys = head_rows(head, true, config_.quant.sink_tokens + coded,
                                     length - config_.quant.sink_tokens - coded);
        auto keys = window_keys;
        keys.insert(keys.end(), recent_keys.begin(), recent_keys.end());
        const auto key_bits = to_fp16(keys.data(), keys.size());
        const size_t fp16_tokens = keys.size() / dim;
        for (uint32_t g = 0; g < groups; ++g) {
          auto& scores = window_scores[(h - begin) * groups + g];
          scores.resize(fp16_tokens);
          core::dot_rows_fp16(key_bits.data(), fp16_tokens, dim, queries[(h - begin) * groups + g].data(),
                              scores.data());
          core::SoftmaxPartial total = core::softmax_partial(scores.data(), fp16_tokens);
          for (uint32_t pe = 0; pe < pes; ++pe)
            total = core::merge_softmax(total, {partials[(g * pes + pe) * 2], partials[(g * pes + pe) * 2 + 1]});
          totals[(h - begin) * groups + g] = total;
        }
      }
      for (size_t h = begin; h < end; ++h) {
        const SlotRegions slot = layout_.slot(heads[h].place.slot);
        for (uint32_t g = 0; g < groups; ++g) {
          pim::Command normalize = shape;
          normalize.opcode = uint32_t(pim::Opcode::softmax_normalize);
          normalize.scalars_offset = normalize.result_offset = slot.scores + g * layout_.scores_stride();
          normalize.softmax_max = functional ? totals[(h - begin) * groups + g].max : 0.0f;
          normalize.softmax_sum = functional ? totals[(h - begin) * groups + g].sum : 1.0f;
          pim.issue(heads[h].place.unit, normalize);
        }
      }
      fence_turn();
    }

    // Values: per-PE partial outputs from the V codebook, summed on the GPU with the fp16 tokens' part.
    const bool histogram = config_.value_path == core::ValuePath::kHistogram;
    PhaseScope phase(hal, Phase::kValue);
    for (size_t h = begin; h < end; ++h) {
      const SlotRegions slot = layout_.slot(heads[h].place.slot);
      pim::Command load = shape;
      load.opcode = uint32_t(pim::Opcode::load_codebook);
      load.bank_offset = slot.codebook_v;
      pim.issue(heads[h].place.unit, load);
      for (uint32_t g = 0; g < groups; ++g) {
        pim::Command value = shape;
        value.flags = pim::flag_clear_accumulators;
        value.scalars_offset = slot.scores + g * layout_.scores_stride();
        value.codes_offset = slot.codes_v;
        if (histogram) {
          value.opcode = uint32_t(pim::Opcode::value_histogram);
          pim.issue(heads[h].place.unit, value);
          pim::Command output = shape;
          output.opcode = uint32_t(pim::Opcode::value_output);
          output.io_offset = io_.outputs + g * pes * dim * kFp32Bytes;
          output.io_stride = dim * kFp32Bytes;
          pim.issue(heads[h].place.unit, output);
        } else {
          value.opcode = uint32_t(pim::Opcode::value_reconstruct);
          value.accumulator_offset = g * dim;
          pim.issue(heads[h].place.unit, value);
        }
      }
    }
    fence_turn();
    for (size_t h = begin; h < end; ++h) {
      const HeadInstance& head = heads[h];
      std::vector<float> pe_outputs(size_t(groups) * pes * dim);
      if (histogram) {
        pim.read_io(head.place.unit, io_.outputs, functional ? pe_outputs.data() : nullptr,
                    pe_outputs.size() * kFp32Bytes);
      } else {
        for (uint32_t pe = 0; pe < pes; ++pe)
          for (uint32_t g = 0; g < groups; ++g)
            pim.hal().read(view_.units[head.place.unit].registers_base + pim::reg::pe_windows +
                               pe * pim::reg::pe_window + pim::reg::pe_accumulators + g * dim * kFp32Bytes,
                           functional ? &pe_outputs[(size_t(g) * pes + pe) * dim] : nullptr, dim * kFp32Bytes);
      }
      if (!functional) continue;
      const auto sink_values = head_rows(head, false, 0, config_.quant.sink_tokens);
      const auto recent_values = head_rows(head, false, config_.quant.sink_tokens + coded,
                                           length - config_.quant.sink_tokens - coded);
      auto values = sink_values;
      values.insert(values.end(), recent_values.begin(), recent_values.end());
      const auto value_bits = to_fp16(values.data(), values.size());
      const auto& order = value_order(head.sequence, head.layer, head.kv_head);
      for (uint32_t g = 0; g < groups; ++g) {
        const auto& scores = window_scores[(h - begin) * groups + g];
        std::vector<float> probabilities(scores.size()), stored(dim, 0.0f);
        core::softmax_normalize(scores.data(), scores.size(), totals[(h - begin) * groups + g], probabilities.data());
        core::accumulate_rows_fp16(probabilities.data(), value_bits.data(), scores.size(), dim, stored.data());
        for (uint32_t pe = 0; pe < pes; ++pe) core::add_into(stored.data(), &pe_outputs[(size_t(g) * pes + pe) * dim], dim);
        const uint32_t head_index = head.kv_head * groups + g;
        float* out = &outputs_[(((size_t(step) * config_.batch + head.sequence) * config_.model.layers + head.layer) *
                                    config_.model.heads +
                                head_index) *
                               dim];
        for (uint32_t c = 0; c < dim; ++c) out[order.empty() ? c : order[c]] = stored[c];
      }
    }
    begin = end;
  }
}

}  // namespace aqpim::firmware
