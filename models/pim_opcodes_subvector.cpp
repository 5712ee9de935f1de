// The sub-vector mapping's opcodes (docs/models-pim.md, "Sub-vector mapping"): every PE owns some
// sub-vectors of a head, with their codebooks and codes in its bank. Scores and outputs therefore need all
// PEs: partial scores are summed on the buffer die, softmax runs there (the paper's Table I), and outputs
// are pieces of the head vector. The lookups of inner-product tables and value codebooks kept in DRAM rows
// are intra-row indirection passes (models/hbm/indirect_pass.h).
#include <algorithm>
#include <cstring>

#include "core/kernels.h"
#include "models/pim_opcode_functions.h"

namespace aqpim::models::pim {
namespace {

using P = Planner;

// The fp16 table rows of one PE, row r at r x row_bytes.
float table_entry(const unsigned char* table, size_t row_bytes, size_t row, size_t entry) {
  core::fp16_bits bits;
  std::memcpy(&bits, table + row * row_bytes + entry * sizeof bits, sizeof bits);
  return core::fp16_to_float(bits);
}

// Writes the same per-token results into every selected PE's result region (the buffer die broadcasts).
void broadcast_results(const ComputeStep& s, const std::vector<float>& values) {
  for (uint32_t rank = 0; rank < s.selected.size(); ++rank) store_array(values, s.operands(rank).stream(StreamRole::result));
}

}  // namespace

std::vector<float> head_scalars(const std::vector<float>& scalars, size_t heads, size_t h) {
  std::vector<float> values(scalars.size() / heads);
  for (size_t n = 0; n < values.size(); ++n) values[n] = scalars[n * heads + h];
  return values;
}

void store_head_outputs(const ComputeStep& s, uint32_t pe, const float* values, unsigned char* io) {
  const size_t m = s.command.sub_vectors, d = s.command.dim, vector = s.io_vector_floats();
  for (size_t h = 0; h < s.heads(); ++h)
    for (size_t j = 0; j < m; ++j) {
      const size_t place = h * vector + size_t(s.global_sub_vector(pe, uint32_t(j))) * d;
      std::memcpy(io + s.command.io_offset + place * sizeof(float), values + (h * m + j) * d, d * sizeof(float));
    }
}

// ---- build_table: codebook rows x IO queries -> an fp16 inner-product table row per sub-vector and head ----
bool plan_build_table(P& p) {
  const Command& c = p.command();
  if (!p.need({{"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() || !p.needs_per_bank_pes() ||
      !p.table_fits_row() || !p.row_aligned(c.result_offset, "result_offset") ||
      !p.io_fits(P::mul(p.heads(), p.io_vector_floats(), P::fp32_bytes)))
    return false;
  p.read_bank_codebook();
  p.plan().streams.push_back(
      {StreamRole::table, true, false, c.result_offset, P::mul(p.m(), p.heads(), p.geometry().row_bytes)});
  p.plan().pe_mac_ops = P::mul(p.m(), p.heads(), p.k(), p.d());
  p.plan().link_bytes = P::mul(p.heads(), p.io_vector_floats(), P::fp32_bytes);  // queries broadcast once
  return true;
}
void compute_build_table(const ComputeStep& s, const PeOperands& operands, ProcessingElement&) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim, heads = s.heads();
  const size_t row_bytes = s.unit.geometry().row_bytes, vector = s.io_vector_floats();
  const std::vector<float> codebook = s.bank_codebook(operands);
  const std::vector<unsigned char>& io = s.unit.io_buffer();
  unsigned char* table = operands.stream(StreamRole::table);
  std::vector<float> products(k);
  for (size_t j = 0; j < m; ++j)
    for (size_t h = 0; h < heads; ++h) {
      const auto query = load_array<float>(io.data() + s.command.io_offset + h * vector * 4, vector);
      const size_t i = s.global_sub_vector(operands.pe(), uint32_t(j));
      core::build_lut(query.data() + i * d, codebook.data() + j * k * d, k, d, products.data());
      store_array(core::to_fp16_bits(products.data(), k), table + (j * heads + h) * row_bytes);
    }
}

// ---- score_table: intra-row indirection over the table rows; partial scores summed on the buffer die ----
bool plan_score_table(P& p) {
  const Command& c = p.command();
  hbm::IndirectPass pass;
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}}) || !p.need_clusters() ||
      !p.needs_per_bank_pes() || !p.table_fits_row() || !p.row_aligned(c.bank_offset, "bank_offset") ||
      !p.code_index(pass.index[0]) || !p.register_file_tokens(p.m(), pass.tokens_per_chunk))
    return false;
  pass.tokens = p.tokens();
  pass.table_offset = c.bank_offset;
  pass.table_rows = P::mul(p.m(), p.heads());
  p.plan().streams.push_back({StreamRole::lookups, false, false, 0, 0, false, true, pass});
  p.token_stream(StreamRole::result, true, c.result_offset, P::mul(p.heads(), P::fp32_bytes));
  const uint64_t results = P::mul(p.tokens(), p.heads());
  p.plan().pe_mac_ops = P::mul(results, p.m());  // each token's m looked-up partials, per head
  p.plan().buffer_ops = P::mul(p.plan().selected_pes, results);
  p.plan().link_bytes = P::mul(p.plan().selected_pes + 1, results, P::fp32_bytes);  // partials up, sums down
  return true;
}
void compute_score_table(const ComputeStep& s) {
  const size_t m = s.command.sub_vectors, heads = s.heads(), row_bytes = s.unit.geometry().row_bytes;
  const size_t tokens = s.operands(0).tokens();
  std::vector<float> totals(tokens * heads, 0.0f);
  for (uint32_t rank = 0; rank < s.selected.size(); ++rank) {
    const PeOperands operands = s.operands(rank);
    const std::vector<uint16_t> codes = operands.codes();
    const unsigned char* table = operands.stream(StreamRole::table);
    for (size_t n = 0; n < tokens; ++n)
      for (size_t h = 0; h < heads; ++h) {
        float partial = 0.0f;
        for (size_t j = 0; j < m; ++j) partial += table_entry(table, row_bytes, j * heads + h, codes[n * m + j]);
        totals[n * heads + h] += partial;
      }
  }
  broadcast_results(s, totals);
}

// ---- score_summed: the same with the tables in the LUT SRAM ([head][sub-vector][centroid]) ----
bool plan_score_summed(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}}) || !p.need_clusters() ||
      !p.lut_fits(P::mul(p.heads(), p.m(), p.k())) || !p.read_codes())
    return false;
  p.token_stream(StreamRole::result, true, c.result_offset, P::mul(p.heads(), P::fp32_bytes));
  const uint64_t results = P::mul(p.tokens(), p.heads());
  p.plan().pe_mac_ops = P::mul(results, p.m());
  p.plan().buffer_ops = P::mul(p.plan().selected_pes, results);
  p.plan().link_bytes = P::mul(p.plan().selected_pes + 1, results, P::fp32_bytes);
  return true;
}
void compute_score_summed(const ComputeStep& s) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, heads = s.heads();
  const size_t tokens = s.operands(0).tokens();
  std::vector<float> totals(tokens * heads, 0.0f), partial(tokens);
  for (uint32_t rank = 0; rank < s.selected.size(); ++rank) {
    const PeOperands operands = s.operands(rank);
    const std::vector<uint16_t> codes = operands.codes();
    const float* lut = s.unit.pe(operands.pe()).lut.data() + s.command.lut_offset;
    for (size_t h = 0; h < heads; ++h) {
      core::score_codes(lut + h * m * k, m, k, codes.data(), tokens, partial.data());
      for (size_t n = 0; n < tokens; ++n) totals[n * heads + h] += partial[n];
    }
  }
  broadcast_results(s, totals);
}

// ---- softmax_buffer: the buffer die merges the GPU's partial and normalizes, probabilities to every bank ----
bool plan_softmax_buffer(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}}) || !p.io_fits(P::mul(p.heads(), 2 * P::fp32_bytes))) return false;
  const uint64_t bytes_per_token = P::mul(p.heads(), P::fp32_bytes);
  // The scores every bank holds are the same: the buffer die reads one copy.
  p.plan().streams.push_back({StreamRole::scalars, false, false, P::add(c.scalars_offset, P::mul(c.first_token, bytes_per_token)),
                              P::mul(c.count, bytes_per_token), true});
  p.token_stream(StreamRole::result, true, c.result_offset, bytes_per_token);
  const uint64_t results = P::mul(p.tokens(), p.heads());
  p.plan().buffer_ops = P::mul(results, 4);  // max, exp and sum, then exp and the reciprocal's multiply
  p.plan().link_bytes = P::mul(2, results, P::fp32_bytes);  // scores up, probabilities down (broadcast)
  return true;
}
void compute_softmax_buffer(const ComputeStep& s) {
  const size_t heads = s.heads();
  const std::vector<float> scores = load_array<float>(s.operands(0).stream(StreamRole::scalars),
                                                      s.operands(0).tokens() * heads);
  unsigned char* io = s.unit.io_buffer().data() + s.command.io_offset;
  std::vector<float> probabilities(scores.size());
  for (size_t h = 0; h < heads; ++h) {
    const std::vector<float> head = head_scalars(scores, heads, h);
    float gpu[2];
    std::memcpy(gpu, io + h * sizeof gpu, sizeof gpu);
    const core::SoftmaxPartial total =
        core::merge_softmax(core::softmax_partial(head.data(), head.size()), {gpu[0], gpu[1]});
    std::vector<float> normalized(head.size());
    core::softmax_normalize(head.data(), head.size(), total, normalized.data());
    for (size_t n = 0; n < head.size(); ++n) probabilities[n * heads + h] = normalized[n];
    const float pair[2] = {total.max, total.sum};
    std::memcpy(io + h * sizeof pair, pair, sizeof pair);
  }
  broadcast_results(s, probabilities);
}

// ---- value_table: lookups in the value codebook's rows, weighted by the probabilities -> accumulators ----
bool plan_value_table(P& p) {
  const Command& c = p.command();
  hbm::IndirectPass pass;
  const uint64_t outputs = P::mul(p.heads(), p.row());
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() ||
      !p.needs_per_bank_pes() || !p.row_aligned(c.codebook_offset, "codebook_offset") ||
      !p.code_index(pass.index[0]) || !p.output_accumulators_fit(outputs) ||
      !p.register_file_tokens(P::add(p.m(), P::mul(2, p.heads())), pass.tokens_per_chunk))  // codes, fp32 weights
    return false;
  const uint64_t bytes_per_token = P::mul(p.heads(), P::fp32_bytes);
  pass.index[1] = {P::add(c.scalars_offset, P::mul(c.first_token, bytes_per_token)), P::mul(bytes_per_token, 8)};
  pass.tokens = p.tokens();
  pass.table_offset = c.codebook_offset;
  pass.rows_per_table = p.codebook_bank_stride() / p.geometry().row_bytes;
  pass.table_rows = P::mul(p.m(), pass.rows_per_table);
  p.plan().streams.push_back({StreamRole::lookups, false, false, 0, 0, false, true, pass});
  p.plan().pe_mac_ops = P::mul(p.tokens(), outputs);
  if (c.flags & flag_clear_accumulators) p.plan().sram_bytes = P::mul(outputs, P::fp32_bytes);
  return true;
}
void compute_value_table(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim, heads = s.heads();
  float* out = pe.accumulators.data() + s.command.output_accumulator_offset;
  s.clear_if_asked(out, heads * m * d);
  const std::vector<float> codebook = s.codebook_from_image(operands.stream(StreamRole::table));
  const std::vector<uint16_t> codes = operands.codes();
  const std::vector<float> probabilities = load_array<float>(operands.stream(StreamRole::scalars), operands.tokens() * heads);
  for (size_t h = 0; h < heads; ++h) {
    const std::vector<float> weights = head_scalars(probabilities, heads, h);
    core::accumulate_reconstructed(weights.data(), codes.data(), operands.tokens(), m, k, d, codebook.data(),
                                   out + h * m * d);
  }
}

// ---- copy_rows: bank bytes to other bank bytes in every selected bank (the read and write share a buffer) ----
bool plan_copy_rows(P& p) {
  const Command& c = p.command();
  if (!p.need({{"length", c.length}})) return false;
  p.plan().streams.push_back({StreamRole::raw, false, false, c.bank_offset, c.length});
  p.plan().streams.push_back({StreamRole::raw, true, false, c.result_offset, c.length});
  return true;
}

// ---- finish_centroids: each PE's own weighted means; the buffer die supplies the weight-sum reciprocals ----
bool plan_finish_centroids(P& p) {
  const Command& c = p.command();
  if (!p.need({{"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() ||
      !p.accumulators_fit(P::mul(p.m(), p.k(), p.d() + 1)))
    return false;
  if (p.codebook_in_bank()) {
    p.read_bank_codebook();  // clusters nobody chose keep their centroid
    p.plan().streams.push_back(
        {StreamRole::codebook_image, true, false, c.codebook_offset, P::mul(p.m(), p.codebook_bank_stride())});
  } else {
    if (!p.codebook_fits()) return false;
    p.plan().sram_bytes = P::mul(p.codebook_size(), P::fp16_bytes);
  }
  const uint64_t weight_sums = P::mul(p.plan().selected_pes, p.m(), p.k());
  p.plan().pe_mac_ops = P::mul(p.m(), p.k(), p.d());  // sums x reciprocal
  p.plan().buffer_ops = weight_sums;                   // one reciprocal each
  p.plan().link_bytes = P::mul(2, weight_sums, P::fp32_bytes);
  return true;
}
void compute_finish_centroids(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim;
  const float* sums = pe.accumulators.data() + s.command.accumulator_offset;
  const float* weight_sums = sums + m * k * d;
  std::vector<float> centroids = s.codebook(operands);
  for (size_t j = 0; j < m; ++j)
    core::finish_centroids(sums + j * k * d, weight_sums + j * k, k, d, centroids.data() + j * k * d);
  if (!(s.command.flags & flag_codebook_in_bank)) {
    std::transform(centroids.begin(), centroids.end(), pe.codebook.begin() + s.command.codebook_offset,
                   core::float_to_fp16);
    return;
  }
  unsigned char* image = operands.stream(StreamRole::codebook_image);
  for (size_t j = 0; j < m; ++j)
    store_array(core::to_fp16_bits(centroids.data() + j * k * d, k * d), image + j * s.codebook_bank_stride());
}

}  // namespace aqpim::models::pim
