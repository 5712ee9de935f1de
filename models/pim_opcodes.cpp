// One section per opcode: its plan (operand checks, bank streams, operation counts; docs/models-pim.md has
// the timing formulas) and its functional result, then the table that names them.
#include "models/pim_opcodes.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "core/kernels.h"
#include "models/pim_opcode_functions.h"

namespace aqpim::models::pim {
namespace {

using P = Planner;

// Sub-vector i of every token of token-major rows, as the kernels take points.
void gather_sub_vectors(const std::vector<float>& rows, size_t tokens, size_t row, size_t i, size_t d,
                        std::vector<float>& points) {
  for (size_t n = 0; n < tokens; ++n) std::copy_n(rows.begin() + n * row + i * d, d, points.begin() + n * d);
}
std::vector<float> widen(const std::vector<core::fp16_bits>& values) {
  std::vector<float> result(values.size());
  std::transform(values.begin(), values.end(), result.begin(), core::fp16_to_float);
  return result;
}

// ---- nop -------------------------------------------------------------------------------------------------
bool plan_nop(P&) { return true; }

// ---- load_codebook, store_codebook: a codebook image in the lowest bank of each PE <-> its SRAM -----------
bool plan_codebook_move(P& p, bool store) {
  const Command& c = p.command();
  if (!p.need({{"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() || !p.codebook_fits())
    return false;
  p.plan().streams.push_back(
      {StreamRole::codebook_image, store, true, c.bank_offset, P::mul(p.codebook_size(), P::fp16_bytes)});
  p.plan().sram_bytes = P::mul(p.codebook_size(), P::fp16_bytes);
  return true;
}
bool plan_load_codebook(P& p) { return plan_codebook_move(p, false); }
bool plan_store_codebook(P& p) { return plan_codebook_move(p, true); }
size_t codebook_bytes(const Command& c) {
  return size_t(c.sub_vectors) * c.clusters * c.dim * sizeof(core::fp16_bits);
}
void compute_load_codebook(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  std::memcpy(pe.codebook.data() + s.command.codebook_offset, operands.stream(StreamRole::codebook_image),
              codebook_bytes(s.command));
}
void compute_store_codebook(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  std::memcpy(operands.stream(StreamRole::codebook_image), pe.codebook.data() + s.command.codebook_offset,
              codebook_bytes(s.command));
}

// ---- kmeans_assign, encode: nearest centroid per sub-vector -> packed codes ------------------------------
bool plan_assign(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters())
    return false;
  if (p.codebook_in_bank())
    p.read_bank_codebook();
  else if (!p.codebook_fits())
    return false;
  if (!p.write_codes()) return false;
  p.read_vectors();
  const uint64_t distances = P::mul(p.tokens(), p.m(), p.k());
  if (!(c.flags & flag_assign_in_buffer)) {
    p.plan().pe_mac_ops = P::mul(distances, p.d() + 1);  // d distance MACs + 1 MIN compare
    return true;
  }
  // The paper's Table I: distances (fp16) up to the buffer die, which takes the MIN and sends codes back.
  p.plan().pe_mac_ops = P::mul(distances, p.d());
  p.plan().buffer_ops = P::mul(p.plan().selected_pes, distances);
  p.plan().link_bytes = P::mul(p.plan().selected_pes, P::add(P::mul(distances, P::fp16_bytes),
                                                             P::mul(p.tokens(), p.m(), P::fp16_bytes)));
  return true;
}
void compute_assign(const ComputeStep& s, const PeOperands& operands, ProcessingElement&) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim;
  const size_t tokens = operands.tokens(), row = operands.row();
  const std::vector<float> rows = widen(operands.vectors());
  const std::vector<float>& centroids = s.codebook(operands);
  std::vector<float> points(tokens * d);
  std::vector<uint32_t> sub_codes(tokens);
  std::vector<uint16_t> codes(tokens * m);
  for (size_t i = 0; i < m; ++i) {
    gather_sub_vectors(rows, tokens, row, i, d, points);
    core::assign_nearest(points.data(), tokens, d, centroids.data() + i * k * d, k, sub_codes.data());
    for (size_t n = 0; n < tokens; ++n) codes[n * m + i] = uint16_t(sub_codes[n]);
  }
  operands.store_codes(codes);
}

// ---- kmeans_accumulate: weighted sums and weight sums per cluster ----------------------------------------
bool plan_kmeans_accumulate(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters())
    return false;
  const uint64_t entries = P::mul(p.m(), p.k(), p.d() + 1);  // sums, then weight sums
  if (!p.accumulators_fit(entries)) return false;
  if (!p.read_codes()) return false;
  p.read_vectors();
  if (!(c.flags & flag_unweighted)) p.read_scalars();
  p.plan().pe_mac_ops = P::mul(p.tokens(), p.m(), p.d() + 1);
  p.clear_cost(entries);
  return true;
}
void compute_kmeans_accumulate(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim;
  const size_t tokens = operands.tokens(), row = operands.row();
  float* accumulators = pe.accumulators.data() + s.command.accumulator_offset;
  const std::vector<float> rows = widen(operands.vectors());
  const std::vector<uint16_t> codes = operands.codes();
  const bool weighted = !(s.command.flags & flag_unweighted);
  const std::vector<float> weights = weighted ? operands.scalars() : std::vector<float>();
  s.clear_if_asked(accumulators, m * k * (d + 1));
  std::vector<float> points(tokens * d);
  std::vector<uint32_t> sub_codes(tokens);
  for (size_t i = 0; i < m; ++i) {
    gather_sub_vectors(rows, tokens, row, i, d, points);
    for (size_t n = 0; n < tokens; ++n) sub_codes[n] = codes[n * m + i];
    core::accumulate_by_code(points.data(), tokens, d, sub_codes.data(), weighted ? weights.data() : nullptr, k,
                             accumulators + i * k * d, accumulators + m * k * d + i * k);
  }
}

// ---- reduce: buffer PE sums every selected PE's accumulators ---------------------------------------------
bool plan_reduce(P& p) {
  const Command& c = p.command();
  if (!p.need({{"length", c.length}}) || !p.accumulators_fit(c.length) || !p.buffer_accumulators_fit(c.length))
    return false;
  p.plan().sram_bytes = P::mul(c.length, P::fp32_bytes);
  p.plan().link_bytes = P::mul(p.plan().selected_pes, c.length, P::fp32_bytes);
  p.plan().buffer_ops = P::mul(p.plan().selected_pes, c.length);
  return true;
}
void compute_reduce(const ComputeStep& s) {
  float* destination = s.unit.buffer_accumulators().data() + s.command.buffer_accumulator_offset;
  s.clear_if_asked(destination, s.command.length);
  for (const uint32_t pe : s.selected)
    core::add_into(destination, s.unit.pe(pe).accumulators.data() + s.command.accumulator_offset, s.command.length);
}

// ---- update_centroids: buffer PE finishes the means, broadcasts the new codebook -------------------------
bool plan_update_centroids(P& p) {
  const Command& c = p.command();
  if (!p.need({{"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() || !p.codebook_fits() ||
      !p.buffer_accumulators_fit(P::mul(p.m(), p.k(), p.d() + 1)))
    return false;
  p.plan().buffer_ops = P::mul(p.m(), p.k(), p.d() + 1);  // a reciprocal per cluster, a multiply per element
  // The current codebook comes up from the first selected PE (kept clusters), the new one is broadcast.
  p.plan().link_bytes = P::mul(2, p.codebook_size(), P::fp16_bytes);
  p.plan().sram_bytes = P::mul(p.codebook_size(), P::fp16_bytes);
  return true;
}
// Sums and weight sums sit in the buffer accumulators in kmeans_accumulate's layout; clusters nobody chose
// keep the centroid of the first selected PE (all PEs of a head hold the same codebook).
void compute_update_centroids(const ComputeStep& s) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim;
  const float* sums = s.unit.buffer_accumulators().data() + s.command.buffer_accumulator_offset;
  const float* weight_sums = sums + m * k * d;
  std::vector<float> centroids = s.codebook(s.selected.front());
  for (size_t i = 0; i < m; ++i)
    core::finish_centroids(sums + i * k * d, weight_sums + i * k, k, d, centroids.data() + i * k * d);
  for (const uint32_t pe : s.selected)
    std::transform(centroids.begin(), centroids.end(), s.unit.pe(pe).codebook.begin() + s.command.codebook_offset,
                   core::float_to_fp16);
}

// ---- build_lut: inner products of the IO query with every centroid ---------------------------------------
// With `heads` queries at io_offset (flag_interleaved_sub_vectors: whole head vectors), head h's tables at
// lut_offset + h x m x K.
bool plan_build_lut(P& p) {
  const Command& c = p.command();
  const uint64_t query_bytes = P::mul(p.heads(), p.io_vector_floats(), P::fp32_bytes);
  if (!p.need({{"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() || !p.codebook_fits() ||
      !p.lut_fits(P::mul(p.heads(), p.m(), p.k())) || !p.io_fits(query_bytes))
    return false;
  p.plan().pe_mac_ops = P::mul(p.heads(), p.m(), p.k(), p.d());
  p.plan().sram_bytes = P::mul(p.heads(), p.m(), p.k(), P::fp32_bytes);
  p.plan().link_bytes = query_bytes;  // the queries are broadcast once
  return true;
}
void compute_build_lut(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim, vector = s.io_vector_floats();
  const std::vector<float>& centroids = s.codebook(operands.pe());
  for (size_t h = 0; h < s.heads(); ++h) {
    const auto query = load_array<float>(s.unit.io_buffer().data() + s.command.io_offset + h * vector * 4, vector);
    for (size_t j = 0; j < m; ++j)
      core::build_lut(query.data() + size_t(s.global_sub_vector(operands.pe(), uint32_t(j))) * d,
                      centroids.data() + j * k * d, k, d, pe.lut.data() + s.command.lut_offset + (h * m + j) * k);
  }
}

// ---- score: sum of LUT entries the codes select ----------------------------------------------------------
bool plan_score(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}}) || !p.need_clusters() || !p.lut_fits())
    return false;
  if (!p.read_codes()) return false;
  p.write_result();
  p.plan().pe_mac_ops = P::mul(p.tokens(), p.m());
  return true;
}
void compute_score(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  std::vector<float> scores(operands.tokens());
  core::score_codes(pe.lut.data() + s.command.lut_offset, s.command.sub_vectors, s.command.clusters,
                    operands.codes().data(), operands.tokens(), scores.data());
  operands.store_result(scores);
}

// ---- softmax_partial, softmax_normalize ------------------------------------------------------------------
bool plan_softmax_partial(P& p) {
  if (!p.need({{"count", p.command().count}}) || !p.io_slots_fit(2 * P::fp32_bytes)) return false;
  p.read_scalars();
  p.plan().pe_mac_ops = P::mul(p.tokens(), 2);  // a max pass and an exp-and-add pass
  p.plan().link_bytes = P::mul(p.plan().selected_pes, 2 * P::fp32_bytes);
  return true;
}
void compute_softmax_partial(const ComputeStep&, const PeOperands& operands, ProcessingElement&) {
  const core::SoftmaxPartial partial = core::softmax_partial(operands.scalars().data(), operands.tokens());
  const float pair[2] = {partial.max, partial.sum};
  std::memcpy(operands.io_slot(), pair, sizeof pair);
}
bool plan_softmax_normalize(P& p) {
  if (!p.need({{"count", p.command().count}})) return false;
  p.read_scalars();
  p.write_result();
  p.plan().pe_mac_ops = P::mul(p.tokens(), 2);  // an exp and a multiply by the reciprocal
  return true;
}
void compute_softmax_normalize(const ComputeStep& s, const PeOperands& operands, ProcessingElement&) {
  std::vector<float> probabilities(operands.tokens());
  core::softmax_normalize(operands.scalars().data(), operands.tokens(),
                          {s.command.softmax_max, s.command.softmax_sum}, probabilities.data());
  operands.store_result(probabilities);
}

// ---- value_histogram, value_output, value_reconstruct: the two value paths ------------------------------
// With `heads` probabilities per token ([token][head]), head h's histograms at accumulator_offset + h x m x K.
bool plan_value_histogram(P& p) {
  const Command& c = p.command();
  const uint64_t bins = P::mul(p.heads(), p.m(), p.k());
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}}) || !p.need_clusters() || !p.accumulators_fit(bins))
    return false;
  if (!p.read_codes()) return false;
  p.token_stream(StreamRole::scalars, false, c.scalars_offset, P::mul(p.heads(), P::fp32_bytes));
  p.plan().pe_mac_ops = P::mul(p.tokens(), p.m(), p.heads());
  p.clear_cost(bins);
  return true;
}
void compute_value_histogram(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, heads = s.heads();
  float* accumulators = pe.accumulators.data() + s.command.accumulator_offset;
  s.clear_if_asked(accumulators, heads * m * k);
  const std::vector<uint16_t> codes = operands.codes();
  const auto probabilities = load_array<float>(operands.stream(StreamRole::scalars), operands.tokens() * heads);
  for (size_t h = 0; h < heads; ++h)
    core::accumulate_histogram(head_scalars(probabilities, heads, h).data(), codes.data(), operands.tokens(), m, k,
                               accumulators + h * m * k);
}
// The sub-vector mapping (flag_interleaved_sub_vectors) keeps the outputs in the accumulators, [head][j][d]
// from output_accumulator_offset, added up over windows (flag_clear_accumulators clears them first), for one
// gather_accumulators at the end; otherwise each PE's output goes to its IO slot.
bool plan_value_output(P& p) {
  const Command& c = p.command();
  const bool interleaved = c.flags & flag_interleaved_sub_vectors;
  if (!p.need({{"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() ||
      !p.accumulators_fit(P::mul(p.heads(), p.m(), p.k())))
    return false;
  if (p.codebook_in_bank())
    p.read_bank_codebook();
  else if (!p.codebook_fits())
    return false;
  const uint64_t outputs = P::mul(p.heads(), p.row());
  p.plan().pe_mac_ops = P::mul(p.heads(), p.m(), p.k(), p.d());
  if (interleaved) {
    if (!p.output_accumulators_fit(outputs)) return false;
    if (c.flags & flag_clear_accumulators) p.plan().sram_bytes = P::mul(outputs, P::fp32_bytes);
    return true;
  }
  if (!p.io_slots_fit(P::mul(outputs, P::fp32_bytes))) return false;
  p.plan().link_bytes = P::mul(p.plan().selected_pes, outputs, P::fp32_bytes);
  return true;
}
void compute_value_output(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const size_t m = s.command.sub_vectors, k = s.command.clusters, d = s.command.dim, heads = s.heads();
  const std::vector<float> codebook = s.codebook(operands);
  std::vector<float> out(heads * m * d);
  for (size_t h = 0; h < heads; ++h)
    core::histogram_times_codebook(pe.accumulators.data() + s.command.accumulator_offset + h * m * k, codebook.data(), m,
                                   k, d, out.data() + h * m * d);
  if (!(s.command.flags & flag_interleaved_sub_vectors)) return store_array(out, operands.io_slot());
  float* sums = pe.accumulators.data() + s.command.output_accumulator_offset;
  s.clear_if_asked(sums, out.size());
  core::add_into(sums, out.data(), out.size());
}
bool plan_value_reconstruct(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.need_clusters() ||
      !p.codebook_fits() || !p.accumulators_fit(p.row()))
    return false;
  if (!p.read_codes()) return false;
  p.read_scalars();
  p.plan().pe_mac_ops = P::mul(p.tokens(), p.row());
  p.clear_cost(p.row());
  return true;
}
void compute_value_reconstruct(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  float* accumulators = pe.accumulators.data() + s.command.accumulator_offset;
  s.clear_if_asked(accumulators, operands.row());
  core::accumulate_reconstructed(operands.scalars().data(), operands.codes().data(), operands.tokens(),
                                 s.command.sub_vectors, s.command.clusters, s.command.dim,
                                 s.codebook(operands.pe()).data(), accumulators);
}

// ---- mac_dot, mac_weighted: fp16 attention of the baselines ----------------------------------------------
bool plan_mac_dot(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) ||
      !p.io_fits(P::mul(p.row(), P::fp32_bytes)))
    return false;
  p.read_vectors();
  p.write_result();
  p.plan().pe_mac_ops = P::mul(p.tokens(), p.row());
  p.plan().link_bytes = P::mul(p.row(), P::fp32_bytes);
  return true;
}
void compute_mac_dot(const ComputeStep&, const PeOperands& operands, ProcessingElement&) {
  std::vector<float> scores(operands.tokens());
  core::dot_rows_fp16(operands.vectors().data(), operands.tokens(), operands.row(), operands.query().data(),
                      scores.data());
  operands.store_result(scores);
}
bool plan_mac_weighted(P& p) {
  const Command& c = p.command();
  if (!p.need({{"count", c.count}, {"sub_vectors", c.sub_vectors}, {"dim", c.dim}}) || !p.accumulators_fit(p.row()))
    return false;
  p.read_scalars();
  p.read_vectors();
  p.plan().pe_mac_ops = P::mul(p.tokens(), p.row());
  p.clear_cost(p.row());
  return true;
}
void compute_mac_weighted(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  float* accumulators = pe.accumulators.data() + s.command.accumulator_offset;
  s.clear_if_asked(accumulators, operands.row());
  core::accumulate_rows_fp16(operands.scalars().data(), operands.vectors().data(), operands.tokens(), operands.row(),
                             accumulators);
}

// ---- move_bank_to_io, move_io_to_bank, gather_accumulators: data movement over the buffer-die link -------
bool plan_move(P& p, bool to_bank) {
  const Command& c = p.command();
  const uint64_t slot_bytes = P::mul(c.length, p.geometry().banks_per_pe);
  if (!p.need({{"length", c.length}}) || !p.io_slots_fit(slot_bytes)) return false;
  p.plan().streams.push_back({StreamRole::raw, to_bank, false, c.bank_offset, c.length});
  // io_stride 0 on a move to the banks broadcasts one slot: it crosses the link once.
  const uint64_t slots = to_bank && c.io_stride == 0 ? 1 : p.plan().selected_pes;
  p.plan().link_bytes = P::mul(slots, slot_bytes);
  return true;
}
bool plan_move_bank_to_io(P& p) { return plan_move(p, false); }
bool plan_move_io_to_bank(P& p) { return plan_move(p, true); }
size_t moved_bytes(const ComputeStep& s) { return size_t(s.command.length) * s.unit.geometry().banks_per_pe; }
void compute_move_bank_to_io(const ComputeStep& s, const PeOperands& operands, ProcessingElement&) {
  std::memcpy(operands.io_slot(), operands.stream(StreamRole::raw), moved_bytes(s));
}
void compute_move_io_to_bank(const ComputeStep& s, const PeOperands& operands, ProcessingElement&) {
  std::memcpy(operands.stream(StreamRole::raw), operands.io_slot(), moved_bytes(s));
}
// Each selected PE sends `length` fp32 accumulators over the link to its IO slot; interleaved (the sub-vector
// mapping), its [head][j][d] outputs to their places in the `heads` head vectors at io_offset.
bool plan_gather_accumulators(P& p) {
  const Command& c = p.command();
  const bool interleaved = c.flags & flag_interleaved_sub_vectors;
  if (!p.need({{"length", c.length}}) || !p.accumulators_fit(c.length) ||
      !(interleaved ? p.io_fits(P::mul(p.heads(), p.io_vector_floats(), P::fp32_bytes))
                    : p.io_slots_fit(P::mul(c.length, P::fp32_bytes))))
    return false;
  if (interleaved && c.length != P::mul(p.heads(), p.row()))
    return p.fail_shape("length must be heads x sub_vectors x dim when interleaved");
  p.plan().sram_bytes = P::mul(c.length, P::fp32_bytes);
  p.plan().link_bytes = P::mul(p.plan().selected_pes, c.length, P::fp32_bytes);
  return true;
}
void compute_gather_accumulators(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe) {
  const float* values = pe.accumulators.data() + s.command.accumulator_offset;
  if (s.command.flags & flag_interleaved_sub_vectors)
    return store_head_outputs(s, operands.pe(), values, s.unit.io_buffer().data());
  std::memcpy(operands.io_slot(), values, size_t(s.command.length) * sizeof(float));
}

// In opcode order: find_opcode() indexes it.
constexpr OpcodeSpec kOpcodes[] = {
    {Opcode::nop, "nop", "nothing (a queue filler)", plan_nop, nullptr, nullptr},
    {Opcode::load_codebook, "load_codebook", "codebook image in each PE's lowest bank -> codebook SRAM",
     plan_load_codebook, nullptr, compute_load_codebook},
    {Opcode::store_codebook, "store_codebook", "codebook SRAM -> image in each PE's lowest bank", plan_store_codebook,
     nullptr, compute_store_codebook},
    {Opcode::kmeans_assign, "kmeans_assign", "bank vectors x codebook -> bank codes (distances + MIN)", plan_assign,
     nullptr, compute_assign},
    {Opcode::kmeans_accumulate, "kmeans_accumulate",
     "bank vectors, codes, weights -> accumulators (weighted sums, weight sums)", plan_kmeans_accumulate, nullptr,
     compute_kmeans_accumulate},
    {Opcode::reduce, "reduce", "buffer PE: sum of the selected PEs' accumulators -> buffer accumulators",
     plan_reduce, compute_reduce, nullptr},
    {Opcode::update_centroids, "update_centroids",
     "buffer accumulators -> new centroids -> codebook SRAM of every selected PE", plan_update_centroids,
     compute_update_centroids, nullptr},
    {Opcode::encode, "encode", "as kmeans_assign: the decode-time append of new tokens' codes", plan_assign, nullptr,
     compute_assign},
    {Opcode::build_lut, "build_lut", "IO query x codebook -> LUT SRAM", plan_build_lut, nullptr, compute_build_lut},
    {Opcode::score, "score", "bank codes, LUT -> bank scores", plan_score, nullptr, compute_score},
    {Opcode::softmax_partial, "softmax_partial", "bank scores -> (max, sum) in each PE's IO slot",
     plan_softmax_partial, nullptr, compute_softmax_partial},
    {Opcode::softmax_normalize, "softmax_normalize", "bank scores, descriptor (max, sum) -> bank probabilities",
     plan_softmax_normalize, nullptr, compute_softmax_normalize},
    {Opcode::value_histogram, "value_histogram", "bank probabilities, codes -> accumulators (per-centroid sums)",
     plan_value_histogram, nullptr, compute_value_histogram},
    {Opcode::value_output, "value_output", "accumulators (histogram) x codebook -> output vector in the IO slot",
     plan_value_output, nullptr, compute_value_output},
    {Opcode::value_reconstruct, "value_reconstruct",
     "bank probabilities, codes, codebook -> accumulators (output vector)", plan_value_reconstruct, nullptr,
     compute_value_reconstruct},
    {Opcode::mac_dot, "mac_dot", "bank fp16 rows . IO query -> bank scores", plan_mac_dot, nullptr, compute_mac_dot},
    {Opcode::mac_weighted, "mac_weighted", "bank probabilities, fp16 rows -> accumulators (output vector)",
     plan_mac_weighted, nullptr, compute_mac_weighted},
    {Opcode::move_bank_to_io, "move_bank_to_io", "bank bytes -> IO slot of each PE", plan_move_bank_to_io, nullptr,
     compute_move_bank_to_io},
    {Opcode::move_io_to_bank, "move_io_to_bank", "IO slot of each PE (or one broadcast slot) -> bank bytes",
     plan_move_io_to_bank, nullptr, compute_move_io_to_bank},
    {Opcode::gather_accumulators, "gather_accumulators", "accumulators of each PE -> its IO slot (fp32)",
     plan_gather_accumulators, nullptr, compute_gather_accumulators},
    {Opcode::build_table, "build_table",
     "bank codebooks x IO queries -> an fp16 inner-product table row per sub-vector and query head",
     plan_build_table, nullptr, compute_build_table},
    {Opcode::score_table, "score_table",
     "bank codes -> row-hit lookups in the table rows -> partial scores summed on the buffer die -> every bank",
     plan_score_table, compute_score_table, nullptr},
    {Opcode::softmax_buffer, "softmax_buffer",
     "buffer PE: one bank's scores + IO partial (max, sum) -> probabilities to every bank, total to IO",
     plan_softmax_buffer, compute_softmax_buffer, nullptr},
    {Opcode::value_table, "value_table",
     "bank codes, probabilities -> row-hit lookups in the value codebook's rows -> accumulators (outputs)",
     plan_value_table, nullptr, compute_value_table},
    {Opcode::copy_rows, "copy_rows", "bank bytes -> bank bytes elsewhere, in every selected bank", plan_copy_rows,
     nullptr, nullptr},
    {Opcode::finish_centroids, "finish_centroids",
     "each PE: own k-means sums -> own centroids (buffer die: weight-sum reciprocals) -> SRAM or bank",
     plan_finish_centroids, nullptr, compute_finish_centroids},
    {Opcode::score_summed, "score_summed",
     "bank codes x LUT SRAM -> partial scores summed on the buffer die -> every bank", plan_score_summed,
     compute_score_summed, nullptr},
};
static_assert(std::size(kOpcodes) == size_t(Opcode::count_), "one table entry per opcode");

constexpr bool table_in_opcode_order() {
  for (size_t i = 0; i < std::size(kOpcodes); ++i)
    if (size_t(kOpcodes[i].opcode) != i) return false;
  return true;
}
static_assert(table_in_opcode_order(), "kOpcodes[i] must describe opcode i");

}  // namespace

const OpcodeSpec* find_opcode(uint32_t opcode) { return opcode < std::size(kOpcodes) ? &kOpcodes[opcode] : nullptr; }

std::string_view opcode_name(uint32_t opcode) {
  const OpcodeSpec* spec = find_opcode(opcode);
  return spec ? spec->name : "unknown";
}

std::string opcode_reference_markdown() {
  std::string text = "| code | opcode | operands -> result |\n|---|---|---|\n";
  for (const auto& spec : kOpcodes)
    text += "| " + std::to_string(uint32_t(spec.opcode)) + " | `" + std::string(spec.name) + "` | " +
            std::string(spec.summary) + " |\n";
  return text;
}

std::string pim_reference_markdown() {
  return "### Registers and windows\n\n" + register_reference_markdown() + "\n### Opcodes\n\n" +
         opcode_reference_markdown();
}

}  // namespace aqpim::models::pim
