// What a PIM command needs, decided from the descriptor and the unit's geometry alone (never from data):
// validation against the configured SRAMs, the bank-side streams to issue, and the operation counts the
// timing formulas take. Because functional and timing-only mode execute the same plan, their timing is
// identical by construction. Plain C++ (no SystemC) so it is unit-tested on its own; the formulas are
// documented per opcode in docs/models-pim.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>

#include "hwif/pim_commands.h"
#include "models/hbm/indirect_pass.h"

namespace aqpim::models::pim {

// The model's side of the PIM interface extends the interface's own names (descriptor, opcodes, errors,
// registers): inside the models, pim::Command and pim::Plan read alike.
using namespace hwif::pim;

struct Geometry {
  uint32_t pe_count = 16;             // bank-level PEs of the pseudo-channel
  uint32_t banks_per_pe = 1;          // 1 (per-bank placement) or banks per bank group
  uint64_t codebook_entries = 32768;  // fp16 entries per PE
  uint64_t lut_entries = 4096;        // fp32 entries per PE
  uint64_t accumulator_entries = 4096;
  uint64_t buffer_accumulator_entries = 16384;
  uint64_t io_buffer_bytes = 65536;
  uint64_t row_bytes = 1024;    // a DRAM row of the banks: one inner-product table (K fp16) must fit
  uint64_t column_bytes = 32;   // what one column access of a bank moves
  uint32_t grf_entries = 256;   // 16-bit lanes of a PE's register file (code indices; fp32 values take two)
};

// Which operand a bank stream carries; the unit routes data by it. An indirect pass (role `lookups`)
// carries the codes, the per-token scalars and the table rows in one transaction; the unit splits them.
enum class StreamRole { vectors, codes, scalars, result, codebook_image, raw, table, lookups };
inline constexpr size_t stream_role_count = size_t(StreamRole::lookups) + 1;

struct BankStream {
  StreamRole role;
  bool write;
  bool first_bank_only;  // only the lowest bank of each selected PE takes part (codebook images)
  uint64_t offset;       // inside each bank
  uint64_t bytes_per_bank;
  bool lowest_pe_only = false;  // only the lowest selected PE's banks take part (the buffer die reads one copy)
  bool indirect = false;        // an intra-row indirection pass: `pass` instead of offset and bytes
  hbm::IndirectPass pass{};
};

// Bytes per bank a stream's data holds: its range, or an indirect pass's index streams and table rows.
inline uint64_t stream_data_bytes_per_bank(const BankStream& stream, const Geometry& geometry) {
  if (!stream.indirect) return stream.bytes_per_bank;
  return stream.pass.index_bytes(0) + stream.pass.index_bytes(1) + stream.pass.table_rows * geometry.row_bytes;
}

// The few streams of one command, held inline: decode plans tens of millions of commands, and a heap
// allocation each was a measurable share of the simulation's wall time.
class BankStreams {
 public:
  static constexpr size_t capacity = 4;  // the most any opcode issues is 3 (kmeans_accumulate)

  void push_back(const BankStream& stream) {
    if (size_ == capacity) throw std::logic_error("pim::BankStreams: more than 4 streams in one command");
    streams_[size_++] = stream;
  }
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const BankStream& operator[](size_t index) const { return streams_[index]; }
  const BankStream* begin() const { return streams_.data(); }
  const BankStream* end() const { return streams_.data() + size_; }

 private:
  std::array<BankStream, capacity> streams_{};
  size_t size_ = 0;
};

struct Plan {
  Error error = Error::none;
  std::string reason;               // readable, names the field and the limit; empty when accepted
  BankStreams streams;              // issued reads first, then writes, each in list order
  uint64_t tokens_per_pe = 0;       // count x banks_per_pe
  uint64_t pe_mac_ops = 0;          // per PE (PEs run in lockstep)
  uint64_t buffer_ops = 0;          // on the buffer-die PE
  uint64_t sram_bytes = 0;          // per PE, SRAM traffic not fed straight into the MAC lanes
  uint64_t link_bytes = 0;          // between the PEs and the buffer die (shared by all PEs)
  uint32_t selected_pes = 0;

  bool ok() const { return error == Error::none; }
};

Plan plan_command(const Command& command, const Geometry& geometry);

// Builds one command's plan. The opcode table (models/pim_opcodes.h) gives each opcode a plan function
// that states its operand checks, bank streams and operation counts with the helpers below; run() does
// what every opcode shares (PE mask, opcode lookup, stream range limits). Sizes saturate at too_large, so a
// descriptor whose sizes overflow 64 bits is rejected as bad_shape instead of wrapping into a small one.
class Planner {
 public:
  static constexpr uint64_t too_large = uint64_t(1) << 62;
  static constexpr uint64_t fp16_bytes = 2, fp32_bytes = 4;
  static uint64_t mul(uint64_t a, uint64_t b);
  template <class... Rest>
  static uint64_t mul(uint64_t a, uint64_t b, Rest... rest) {
    return mul(mul(a, b), rest...);
  }
  static uint64_t add(uint64_t a, uint64_t b);

  Planner(const Command& command, const Geometry& geometry) : c_(command), g_(geometry) {}
  Plan run();

  const Command& command() const { return c_; }
  const Geometry& geometry() const { return g_; }
  Plan& plan() { return plan_; }
  // Shorthands of the descriptor's shape: m sub-vectors of d elements, K clusters, R = m * d row elements.
  uint64_t m() const { return c_.sub_vectors; }
  uint64_t k() const { return c_.clusters; }
  uint64_t d() const { return c_.dim; }
  uint64_t row() const { return mul(m(), d()); }
  uint64_t tokens() const { return plan_.tokens_per_pe; }
  uint64_t codebook_size() const { return mul(m(), k(), d()); }
  uint64_t highest_pe() const { return uint64_t(63 - __builtin_clzll(c_.pe_mask)); }

  // Each check returns false after recording the error (with the opcode's name and the field at fault).
  bool fail(Error error, const std::string& reason);
  bool fail_shape(const std::string& reason) { return fail(Error::bad_shape, reason); }
  // Fields the opcode needs, by name: "count", "sub_vectors", "clusters", "dim", "length".
  bool need(std::initializer_list<std::pair<const char*, uint32_t>> fields);
  bool need_clusters();
  bool codebook_fits();
  bool lut_fits() { return lut_fits(mul(m(), k())); }
  bool lut_fits(uint64_t entries);
  bool accumulators_fit(uint64_t entries);
  bool buffer_accumulators_fit(uint64_t entries);
  bool io_slots_fit(uint64_t slot_bytes);  // the IO slot of every selected PE
  bool io_fits(uint64_t bytes);            // one region at io_offset

  // Per-token bank regions: a token range [first_token, first_token + count) of an array in every bank.
  void token_stream(StreamRole role, bool write, uint64_t base, uint64_t bytes_per_token);
  void read_vectors() { token_stream(StreamRole::vectors, false, c_.bank_offset, mul(row(), fp16_bytes)); }
  bool read_codes() { return code_stream(false); }
  bool write_codes() { return code_stream(true); }
  void read_scalars() { token_stream(StreamRole::scalars, false, c_.scalars_offset, fp32_bytes); }
  void write_result() { token_stream(StreamRole::result, true, c_.result_offset, fp32_bytes); }
  // Clearing the accumulators is an SRAM write of the whole destination.
  void clear_cost(uint64_t entries);

  // The sub-vector mapping (flags in hwif/pim_commands.h): query heads served at once, the head vector a
  // query or output in the IO buffer has, and a codebook kept in the banks (flag_codebook_in_bank), each
  // sub-vector's K x d fp16 entries starting on a row of their own so a value pass can look them up.
  uint64_t heads() const { return heads_of(c_); }
  uint64_t io_vector_floats() const {
    return c_.flags & flag_interleaved_sub_vectors ? mul(m(), interleave_span(c_), d()) : row();
  }
  uint64_t codebook_bank_stride() const;
  bool codebook_in_bank() const { return c_.flags & flag_codebook_in_bank; }
  void read_bank_codebook();
  // The lookups of one sub-vector's K entries: an inner-product table of K fp16 fits one row.
  bool table_fits_row();
  bool needs_per_bank_pes();
  bool row_aligned(uint64_t offset, const char* field);
  bool output_accumulators_fit(uint64_t entries);  // from output_accumulator_offset
  // Tokens a register-file load holds when each token takes `lanes` of its 16-bit lanes.
  bool register_file_tokens(uint64_t lanes, uint64_t& tokens);
  // An index stream of the PE's packed codes for the command's token range, for an indirect pass.
  bool code_index(hbm::IndirectPass::IndexStream& stream);

 private:
  bool check_pe_mask();
  bool fits(Error error, const char* memory, const char* offset_field, uint64_t offset, uint64_t entries,
            uint64_t capacity);
  // Codes are packed (core/pq_codec.h): a token range must start and end on a byte of the bit stream.
  bool code_stream(bool write);

  const Command& c_;
  const Geometry& g_;
  Plan plan_;
};

struct Rates {
  uint32_t macs_per_unit = 16;  // ops per cycle of one bank PE
  uint32_t buffer_macs = 16;    // ops per cycle of the buffer PE
  uint32_t sram_bytes_per_cycle = 32;
  uint32_t link_bytes_per_cycle = 32;
  uint32_t issue_overhead_cycles = 4;
};

// Cycles of each non-bank phase: command time = max(bank streaming, mac) + buffer + sram + link + overhead.
struct PhaseCycles {
  uint64_t mac = 0, buffer = 0, sram = 0, link = 0, overhead = 0;
  uint64_t serial() const { return buffer + sram + link + overhead; }
};
PhaseCycles phase_cycles(const Plan& plan, const Rates& rates);

}  // namespace aqpim::models::pim
