// What a PIM command needs, decided from the descriptor and the unit's geometry alone (never from data):
// validation against the configured SRAMs, the bank-side streams to issue, and the operation counts the
// timing formulas take. Because functional and timing-only mode execute the same plan, their timing is
// identical by construction. Plain C++ (no SystemC) so it is unit-tested on its own; the formulas are
// documented per opcode in docs/models-pim.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "hwif/pim_commands.h"

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
};

// Which operand a bank stream carries; the unit routes data by it.
enum class StreamRole { vectors, codes, scalars, result, codebook_image, raw };
inline constexpr size_t stream_role_count = size_t(StreamRole::raw) + 1;

struct BankStream {
  StreamRole role;
  bool write;
  bool first_bank_only;  // only the lowest bank of each selected PE takes part (codebook images)
  uint64_t offset;       // inside each bank
  uint64_t bytes_per_bank;
};

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
