#include "models/pim_plan.h"

#include <initializer_list>
#include <utility>

#include "core/pq_codec.h"

namespace aqpim::models::pim {
namespace {

// Every size and offset is computed saturating at `too_large`, so a descriptor whose sizes overflow 64
// bits is rejected as bad_shape instead of wrapping around into a small, accepted size.
constexpr uint64_t too_large = uint64_t(1) << 62;
constexpr uint64_t fp16_bytes = 2, fp32_bytes = 4;

uint64_t mul(uint64_t a, uint64_t b) {
  uint64_t product;
  return __builtin_mul_overflow(a, b, &product) || product > too_large ? too_large : product;
}
template <class... Rest>
uint64_t mul(uint64_t a, uint64_t b, Rest... rest) {
  return mul(mul(a, b), rest...);
}
uint64_t add(uint64_t a, uint64_t b) { return a + b < a || a + b > too_large ? too_large : a + b; }

class Planner {
 public:
  Planner(const Command& command, const Geometry& geometry) : c_(command), g_(geometry) {}

  Plan run() {
    if (!check_pe_mask()) return plan_;
    plan_.selected_pes = uint32_t(__builtin_popcountll(c_.pe_mask));
    plan_.tokens_per_pe = mul(c_.count, g_.banks_per_pe);
    if (!plan_opcode()) {
      plan_.streams.clear();
      return plan_;
    }
    for (const auto& stream : plan_.streams)
      if (stream.offset >= too_large || stream.bytes_per_bank >= too_large) {
        fail_shape("bank range too large");
        plan_.streams.clear();
        break;
      }
    return plan_;
  }

 private:
  // Shorthands of the descriptor's shape: m sub-vectors of d elements, K clusters, R = m * d row elements.
  uint64_t m() const { return c_.sub_vectors; }
  uint64_t k() const { return c_.clusters; }
  uint64_t d() const { return c_.dim; }
  uint64_t row() const { return mul(m(), d()); }
  uint64_t tokens() const { return plan_.tokens_per_pe; }
  uint64_t codebook_size() const { return mul(m(), k(), d()); }
  uint64_t highest_pe() const { return uint64_t(63 - __builtin_clzll(c_.pe_mask)); }

  bool fail(Error error, const std::string& reason) {
    plan_.error = error;
    plan_.reason = std::string(to_string(Opcode(c_.opcode))) + ": " + reason;
    return false;
  }
  bool fail_shape(const std::string& reason) { return fail(Error::bad_shape, reason); }

  bool check_pe_mask() {
    if (c_.pe_mask == 0) return fail(Error::bad_pe_mask, "pe_mask selects no PE");
    if (g_.pe_count < 64 && (c_.pe_mask >> g_.pe_count) != 0)
      return fail(Error::bad_pe_mask, "pe_mask names PE " + std::to_string(highest_pe()) + " but the unit has " +
                                          std::to_string(g_.pe_count) + " PEs");
    return true;
  }

  // Fields the opcode needs, by name: "count", "sub_vectors", "clusters", "dim", "length".
  bool need(std::initializer_list<std::pair<const char*, uint32_t>> fields) {
    for (const auto& [name, value] : fields)
      if (value == 0) return fail_shape(std::string(name) + " must be positive");
    return true;
  }
  bool need_clusters() {
    if (!need({{"clusters", c_.clusters}})) return false;
    if (k() > core::kMaxClusters)
      return fail_shape("clusters = " + std::to_string(k()) + " exceeds " + std::to_string(core::kMaxClusters));
    return true;
  }

  bool fits(Error error, const char* memory, const char* offset_field, uint64_t offset, uint64_t entries,
            uint64_t capacity) {
    if (entries >= too_large) return fail_shape(std::string(memory) + " size too large");
    if (add(offset, entries) <= capacity) return true;
    return fail(error, std::string(memory) + " needs entries [" + std::to_string(offset) + ", " +
                           std::to_string(add(offset, entries)) + ") from " + offset_field + " but holds " +
                           std::to_string(capacity));
  }
  bool codebook_fits() {
    return fits(Error::codebook_overflow, "codebook SRAM", "codebook_offset", c_.codebook_offset, codebook_size(),
                g_.codebook_entries);
  }
  bool lut_fits() {
    return fits(Error::lut_overflow, "LUT SRAM", "lut_offset", c_.lut_offset, mul(m(), k()), g_.lut_entries);
  }
  bool accumulators_fit(uint64_t entries) {
    return fits(Error::accumulator_overflow, "accumulators", "accumulator_offset", c_.accumulator_offset, entries,
                g_.accumulator_entries);
  }
  bool buffer_accumulators_fit(uint64_t entries) {
    return fits(Error::buffer_accumulator_overflow, "buffer accumulators", "buffer_accumulator_offset",
                c_.buffer_accumulator_offset, entries, g_.buffer_accumulator_entries);
  }
  // The IO slot of the highest selected PE must fit; slots of lower PEs then fit too.
  bool io_slots_fit(uint64_t slot_bytes) {
    return fits(Error::io_overflow, "IO buffer", "io_offset + pe * io_stride",
                add(c_.io_offset, mul(highest_pe(), c_.io_stride)), slot_bytes, g_.io_buffer_bytes);
  }
  bool io_fits(uint64_t bytes) {
    return fits(Error::io_overflow, "IO buffer", "io_offset", c_.io_offset, bytes, g_.io_buffer_bytes);
  }

  // Clearing the accumulators is an SRAM write of the whole destination.
  void clear_cost(uint64_t entries) {
    if (c_.flags & flag_clear_accumulators) plan_.sram_bytes = add(plan_.sram_bytes, mul(entries, fp32_bytes));
  }

  // Per-token bank regions: a token range [first_token, first_token + count) of an array in every bank.
  void token_stream(StreamRole role, bool write, uint64_t base, uint64_t bytes_per_token) {
    plan_.streams.push_back(
        {role, write, false, add(base, mul(c_.first_token, bytes_per_token)), mul(c_.count, bytes_per_token)});
  }
  void read_vectors() { token_stream(StreamRole::vectors, false, c_.bank_offset, mul(row(), fp16_bytes)); }
  // Codes are packed (core/pq_codec.h): a token range must start and end on a byte of the bit stream.
  bool code_stream(bool write) {
    if (k() < 2) return fail_shape("packed codes need clusters >= 2");
    const uint64_t bits_per_token = mul(m(), core::code_bits(k()));
    const uint64_t first_bit = mul(c_.first_token, bits_per_token), range_bits = mul(c_.count, bits_per_token);
    if (first_bit % 8 || range_bits % 8)
      return fail_shape("packed codes of tokens [first_token, first_token + count) must start and end on a byte (" +
                        std::to_string(bits_per_token) + " bits per token)");
    plan_.streams.push_back({StreamRole::codes, write, false, add(c_.codes_offset, first_bit / 8), range_bits / 8});
    return true;
  }
  bool read_codes() { return code_stream(false); }
  bool write_codes() { return code_stream(true); }
  void read_scalars() { token_stream(StreamRole::scalars, false, c_.scalars_offset, fp32_bytes); }
  void write_result() { token_stream(StreamRole::result, true, c_.result_offset, fp32_bytes); }

  bool plan_opcode() {
    switch (Opcode(c_.opcode)) {
      case Opcode::nop:
        return true;
      case Opcode::load_codebook:
      case Opcode::store_codebook: {
        if (!need({{"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters() || !codebook_fits())
          return false;
        const bool store = Opcode(c_.opcode) == Opcode::store_codebook;
        plan_.streams.push_back(
            {StreamRole::codebook_image, store, true, c_.bank_offset, mul(codebook_size(), fp16_bytes)});
        plan_.sram_bytes = mul(codebook_size(), fp16_bytes);
        return true;
      }
      case Opcode::kmeans_assign:
      case Opcode::encode:
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters() ||
            !codebook_fits())
          return false;
        if (!write_codes()) return false;
        read_vectors();
        plan_.pe_mac_ops = mul(tokens(), m(), k(), d() + 1);  // d distance MACs + 1 MIN compare per centroid
        return true;
      case Opcode::kmeans_accumulate: {
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters())
          return false;
        const uint64_t entries = mul(m(), k(), d() + 1);  // sums, then weight sums
        if (!accumulators_fit(entries)) return false;
        if (!read_codes()) return false;
        read_vectors();
        if (!(c_.flags & flag_unweighted)) read_scalars();
        plan_.pe_mac_ops = mul(tokens(), m(), d() + 1);
        clear_cost(entries);
        return true;
      }
      case Opcode::reduce:
        if (!need({{"length", c_.length}}) || !accumulators_fit(c_.length) || !buffer_accumulators_fit(c_.length))
          return false;
        plan_.sram_bytes = mul(c_.length, fp32_bytes);
        plan_.link_bytes = mul(plan_.selected_pes, c_.length, fp32_bytes);
        plan_.buffer_ops = mul(plan_.selected_pes, c_.length);
        return true;
      case Opcode::update_centroids:
        if (!need({{"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters() || !codebook_fits() ||
            !buffer_accumulators_fit(mul(m(), k(), d() + 1)))
          return false;
        plan_.buffer_ops = mul(m(), k(), d() + 1);  // a reciprocal per cluster, a multiply per element
        // The current codebook comes up from the first selected PE (kept clusters), the new one is broadcast.
        plan_.link_bytes = mul(2, codebook_size(), fp16_bytes);
        plan_.sram_bytes = mul(codebook_size(), fp16_bytes);
        return true;
      case Opcode::build_lut:
        if (!need({{"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters() || !codebook_fits() ||
            !lut_fits() || !io_fits(mul(row(), fp32_bytes)))
          return false;
        plan_.pe_mac_ops = mul(m(), k(), d());
        plan_.sram_bytes = mul(m(), k(), fp32_bytes);
        plan_.link_bytes = mul(row(), fp32_bytes);  // the query is broadcast once
        return true;
      case Opcode::score:
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}}) || !need_clusters() || !lut_fits())
          return false;
        if (!read_codes()) return false;
        write_result();
        plan_.pe_mac_ops = mul(tokens(), m());
        return true;
      case Opcode::softmax_partial:
        if (!need({{"count", c_.count}}) || !io_slots_fit(2 * fp32_bytes)) return false;
        read_scalars();
        plan_.pe_mac_ops = mul(tokens(), 2);  // a max pass and an exp-and-add pass
        plan_.link_bytes = mul(plan_.selected_pes, 2 * fp32_bytes);
        return true;
      case Opcode::softmax_normalize:
        if (!need({{"count", c_.count}})) return false;
        read_scalars();
        write_result();
        plan_.pe_mac_ops = mul(tokens(), 2);  // an exp and a multiply by the reciprocal
        return true;
      case Opcode::value_histogram:
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}}) || !need_clusters() ||
            !accumulators_fit(mul(m(), k())))
          return false;
        if (!read_codes()) return false;
        read_scalars();
        plan_.pe_mac_ops = mul(tokens(), m());
        clear_cost(mul(m(), k()));
        return true;
      case Opcode::value_output:
        if (!need({{"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters() || !codebook_fits() ||
            !accumulators_fit(mul(m(), k())) || !io_slots_fit(mul(row(), fp32_bytes)))
          return false;
        plan_.pe_mac_ops = mul(m(), k(), d());
        plan_.link_bytes = mul(plan_.selected_pes, row(), fp32_bytes);
        return true;
      case Opcode::value_reconstruct:
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !need_clusters() ||
            !codebook_fits() || !accumulators_fit(row()))
          return false;
        if (!read_codes()) return false;
        read_scalars();
        plan_.pe_mac_ops = mul(tokens(), row());
        clear_cost(row());
        return true;
      case Opcode::mac_dot:
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) ||
            !io_fits(mul(row(), fp32_bytes)))
          return false;
        read_vectors();
        write_result();
        plan_.pe_mac_ops = mul(tokens(), row());
        plan_.link_bytes = mul(row(), fp32_bytes);
        return true;
      case Opcode::mac_weighted:
        if (!need({{"count", c_.count}, {"sub_vectors", c_.sub_vectors}, {"dim", c_.dim}}) || !accumulators_fit(row()))
          return false;
        read_scalars();
        read_vectors();
        plan_.pe_mac_ops = mul(tokens(), row());
        clear_cost(row());
        return true;
      case Opcode::move_bank_to_io:
      case Opcode::move_io_to_bank: {
        const uint64_t slot_bytes = mul(c_.length, g_.banks_per_pe);
        if (!need({{"length", c_.length}}) || !io_slots_fit(slot_bytes)) return false;
        const bool to_bank = Opcode(c_.opcode) == Opcode::move_io_to_bank;
        plan_.streams.push_back({StreamRole::raw, to_bank, false, c_.bank_offset, c_.length});
        // io_stride 0 on a move to the banks broadcasts one slot: it crosses the link once.
        const uint64_t slots = to_bank && c_.io_stride == 0 ? 1 : plan_.selected_pes;
        plan_.link_bytes = mul(slots, slot_bytes);
        return true;
      }
      case Opcode::gather_accumulators:
        // Each selected PE sends `length` fp32 accumulators over the link to its IO slot.
        if (!need({{"length", c_.length}}) || !accumulators_fit(c_.length) || !io_slots_fit(mul(c_.length, fp32_bytes)))
          return false;
        plan_.sram_bytes = mul(c_.length, fp32_bytes);
        plan_.link_bytes = mul(plan_.selected_pes, c_.length, fp32_bytes);
        return true;
      case Opcode::count_:
        break;
    }
    return fail(Error::unknown_opcode, "opcode " + std::to_string(c_.opcode) + " is not defined");
  }

  const Command& c_;
  const Geometry& g_;
  Plan plan_;
};

uint64_t ceil_div(uint64_t value, uint64_t divisor) { return value / divisor + (value % divisor != 0); }

}  // namespace

Plan plan_command(const Command& command, const Geometry& geometry) { return Planner(command, geometry).run(); }

PhaseCycles phase_cycles(const Plan& plan, const Rates& rates) {
  PhaseCycles cycles;
  cycles.mac = ceil_div(plan.pe_mac_ops, rates.macs_per_unit);
  cycles.buffer = ceil_div(plan.buffer_ops, rates.buffer_macs);
  cycles.sram = ceil_div(plan.sram_bytes, rates.sram_bytes_per_cycle);
  cycles.link = ceil_div(plan.link_bytes, rates.link_bytes_per_cycle);
  cycles.overhead = rates.issue_overhead_cycles;
  return cycles;
}

}  // namespace aqpim::models::pim
