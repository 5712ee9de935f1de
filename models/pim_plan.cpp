#include "models/pim_plan.h"

#include "core/pq_codec.h"
#include "models/pim_opcodes.h"

namespace aqpim::models::pim {

uint64_t Planner::mul(uint64_t a, uint64_t b) {
  uint64_t product;
  return __builtin_mul_overflow(a, b, &product) || product > too_large ? too_large : product;
}

uint64_t Planner::add(uint64_t a, uint64_t b) { return a + b < a || a + b > too_large ? too_large : a + b; }

Plan Planner::run() {
  if (!check_pe_mask()) return plan_;
  plan_.selected_pes = uint32_t(__builtin_popcountll(c_.pe_mask));
  plan_.tokens_per_pe = mul(c_.count, g_.banks_per_pe);
  const OpcodeSpec* spec = find_opcode(c_.opcode);
  if (!spec) {
    fail(Error::unknown_opcode, "opcode " + std::to_string(c_.opcode) + " is not defined");
    return plan_;
  }
  if (!spec->plan(*this)) {
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

bool Planner::fail(Error error, const std::string& reason) {
  plan_.error = error;
  plan_.reason = std::string(opcode_name(c_.opcode)) + ": " + reason;
  return false;
}

bool Planner::check_pe_mask() {
  if (c_.pe_mask == 0) return fail(Error::bad_pe_mask, "pe_mask selects no PE");
  if (g_.pe_count < 64 && (c_.pe_mask >> g_.pe_count) != 0)
    return fail(Error::bad_pe_mask, "pe_mask names PE " + std::to_string(highest_pe()) + " but the unit has " +
                                        std::to_string(g_.pe_count) + " PEs");
  return true;
}

bool Planner::need(std::initializer_list<std::pair<const char*, uint32_t>> fields) {
  for (const auto& [name, value] : fields)
    if (value == 0) return fail_shape(std::string(name) + " must be positive");
  return true;
}

bool Planner::need_clusters() {
  if (!need({{"clusters", c_.clusters}})) return false;
  if (k() > core::kMaxClusters)
    return fail_shape("clusters = " + std::to_string(k()) + " exceeds " + std::to_string(core::kMaxClusters));
  return true;
}

bool Planner::fits(Error error, const char* memory, const char* offset_field, uint64_t offset, uint64_t entries,
                   uint64_t capacity) {
  if (entries >= too_large) return fail_shape(std::string(memory) + " size too large");
  if (add(offset, entries) <= capacity) return true;
  return fail(error, std::string(memory) + " needs entries [" + std::to_string(offset) + ", " +
                         std::to_string(add(offset, entries)) + ") from " + offset_field + " but holds " +
                         std::to_string(capacity));
}

bool Planner::codebook_fits() {
  return fits(Error::codebook_overflow, "codebook SRAM", "codebook_offset", c_.codebook_offset, codebook_size(),
              g_.codebook_entries);
}

bool Planner::lut_fits(uint64_t entries) {
  return fits(Error::lut_overflow, "LUT SRAM", "lut_offset", c_.lut_offset, entries, g_.lut_entries);
}

bool Planner::output_accumulators_fit(uint64_t entries) {
  return fits(Error::accumulator_overflow, "accumulators", "output_accumulator_offset", c_.output_accumulator_offset,
              entries, g_.accumulator_entries);
}

bool Planner::row_aligned(uint64_t offset, const char* field) {
  if (offset % g_.row_bytes == 0) return true;
  return fail_shape(std::string(field) + " = " + std::to_string(offset) + " must start a row (" +
                    std::to_string(g_.row_bytes) + " bytes)");
}

bool Planner::register_file_tokens(uint64_t lanes, uint64_t& tokens) {
  tokens = lanes ? g_.grf_entries / lanes : 0;
  if (tokens > 0) return true;
  return fail_shape("the register file (" + std::to_string(g_.grf_entries) + " lanes) holds no token's " +
                    std::to_string(lanes) + " index lanes");
}

bool Planner::accumulators_fit(uint64_t entries) {
  return fits(Error::accumulator_overflow, "accumulators", "accumulator_offset", c_.accumulator_offset, entries,
              g_.accumulator_entries);
}

bool Planner::buffer_accumulators_fit(uint64_t entries) {
  return fits(Error::buffer_accumulator_overflow, "buffer accumulators", "buffer_accumulator_offset",
              c_.buffer_accumulator_offset, entries, g_.buffer_accumulator_entries);
}

// The IO slot of the highest selected PE must fit; slots of lower PEs then fit too.
bool Planner::io_slots_fit(uint64_t slot_bytes) {
  return fits(Error::io_overflow, "IO buffer", "io_offset + pe * io_stride",
              add(c_.io_offset, mul(highest_pe(), c_.io_stride)), slot_bytes, g_.io_buffer_bytes);
}

bool Planner::io_fits(uint64_t bytes) {
  return fits(Error::io_overflow, "IO buffer", "io_offset", c_.io_offset, bytes, g_.io_buffer_bytes);
}

void Planner::clear_cost(uint64_t entries) {
  if (c_.flags & flag_clear_accumulators) plan_.sram_bytes = add(plan_.sram_bytes, mul(entries, fp32_bytes));
}

void Planner::token_stream(StreamRole role, bool write, uint64_t base, uint64_t bytes_per_token) {
  plan_.streams.push_back(
      {role, write, false, add(base, mul(c_.first_token, bytes_per_token)), mul(c_.count, bytes_per_token)});
}

bool Planner::code_stream(bool write) {
  if (k() < 2) return fail_shape("packed codes need clusters >= 2");
  const uint64_t bits_per_token = mul(m(), core::code_bits(k()));
  const uint64_t first_bit = mul(c_.first_token, bits_per_token), range_bits = mul(c_.count, bits_per_token);
  if (first_bit % 8 || range_bits % 8)
    return fail_shape("packed codes of tokens [first_token, first_token + count) must start and end on a byte (" +
                      std::to_string(bits_per_token) + " bits per token)");
  plan_.streams.push_back({StreamRole::codes, write, false, add(c_.codes_offset, first_bit / 8), range_bits / 8});
  return true;
}

namespace {
uint64_t ceil_div(uint64_t value, uint64_t divisor) { return value / divisor + (value % divisor != 0); }
}  // namespace

uint64_t Planner::codebook_bank_stride() const {
  return mul(ceil_div(mul(k(), d(), fp16_bytes), g_.row_bytes), g_.row_bytes);
}

void Planner::read_bank_codebook() {
  plan_.streams.push_back(
      {StreamRole::codebook_image, false, false, c_.codebook_offset, mul(m(), codebook_bank_stride())});
}

bool Planner::table_fits_row() {
  if (mul(k(), fp16_bytes) <= g_.row_bytes) return true;
  return fail_shape("an inner-product table of clusters = " + std::to_string(k()) + " fp16 entries does not fit one " +
                    std::to_string(g_.row_bytes) + "-byte row (windows keep K <= " + std::to_string(g_.row_bytes / 2) +
                    ")");
}

bool Planner::needs_per_bank_pes() {
  if (g_.banks_per_pe == 1) return true;
  return fail_shape("needs one PE per bank (pim.placement=bank): a PE owns the sub-vectors of its bank");
}

bool Planner::code_index(hbm::IndirectPass::IndexStream& stream) {
  if (k() < 2) return fail_shape("packed codes need clusters >= 2");
  const uint64_t bits_per_token = mul(m(), core::code_bits(k()));
  const uint64_t first_bit = mul(c_.first_token, bits_per_token), range_bits = mul(c_.count, bits_per_token);
  if (first_bit % 8 || range_bits % 8)
    return fail_shape("packed codes of tokens [first_token, first_token + count) must start and end on a byte (" +
                      std::to_string(bits_per_token) + " bits per token)");
  stream = {add(c_.codes_offset, first_bit / 8), bits_per_token};
  return true;
}

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
