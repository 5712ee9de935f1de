// The functional state and arithmetic of one PIM unit, without SystemC: every bank-level PE's codebook
// SRAM, LUT SRAM and fp32 accumulators, the buffer-die PE's accumulators and IO buffer, and the execution
// of a planned command on them through each opcode's compute function (models/pim_opcodes.h). Results come
// from core/kernels.h on the same inputs, so they equal the golden model bit for bit. The PimUnit module
// owns one in functional mode and none in timing-only mode.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "models/pim_plan.h"

namespace aqpim::models::pim {

// Bank and IO bytes are unaligned host images: every typed view of them is a copy.
template <class T>
std::vector<T> load_array(const unsigned char* bytes, size_t count) {
  std::vector<T> values(count);
  if (count) std::memcpy(values.data(), bytes, count * sizeof(T));
  return values;
}
template <class T>
void store_array(const std::vector<T>& values, unsigned char* bytes) {
  if (!values.empty()) std::memcpy(bytes, values.data(), values.size() * sizeof(T));
}

// Bank data of one command, indexed by StreamRole; each laid out bank by bank (the stream's bank order).
using StreamData = std::array<std::vector<unsigned char>, stream_role_count>;

struct ProcessingElement {
  std::vector<core::fp16_bits> codebook;
  std::vector<float> lut;
  std::vector<float> accumulators;
};

// How each role's data is laid out in StreamData: bytes per bank, and how many of a PE's banks take part.
struct RoleLayout {
  std::array<uint64_t, stream_role_count> bytes_per_bank{};
  std::array<uint64_t, stream_role_count> banks_per_pe{};
};

// One selected PE's view of a command: its slice of every bank stream (its banks in ascending order, so
// per-token operands of a bank-group PE are its banks' token ranges back to back) and its IO slot.
class PeOperands {
 public:
  PeOperands(const Command& command, const Plan& plan, const RoleLayout& roles, uint32_t rank, uint32_t pe,
             StreamData& data, std::vector<unsigned char>& io)
      : command_(command), plan_(plan), roles_(roles), rank_(rank), pe_(pe), data_(data), io_(io) {}

  uint32_t pe() const { return pe_; }
  size_t tokens() const { return size_t(plan_.tokens_per_pe); }
  size_t row() const { return size_t(command_.sub_vectors) * command_.dim; }
  unsigned char* stream(StreamRole role) const;
  std::vector<core::fp16_bits> vectors() const;
  // The PE's banks hold byte-aligned pieces of one packed bit stream, so its slice unpacks as a whole.
  std::vector<uint16_t> codes() const;
  std::vector<float> scalars() const;
  void store_result(const std::vector<float>& values) const;
  void store_codes(const std::vector<uint16_t>& values) const;
  unsigned char* io_slot() const { return io_.data() + command_.io_offset + size_t(pe_) * command_.io_stride; }
  // The shared query (build_lut, mac_dot) at io_offset.
  std::vector<float> query() const;

 private:
  const Command& command_;
  const Plan& plan_;
  const RoleLayout& roles_;
  uint64_t rank_;
  uint32_t pe_;
  StreamData& data_;
  std::vector<unsigned char>& io_;
};

class PimDatapath;

// What an opcode's compute function sees of one command.
struct ComputeStep {
  const Command& command;
  const Plan& plan;
  PimDatapath& unit;
  StreamData& data;
  std::vector<uint32_t> selected;  // the selected PEs, ascending
  RoleLayout roles;

  PeOperands operands(uint32_t rank) const;
  // PE `pe`'s codebook at codebook_offset, m x K x d, widened to fp32; valid until the unit widens another.
  const std::vector<float>& codebook(uint32_t pe) const;
  // The PE's codebook wherever the command keeps it: the SRAM, or (flag_codebook_in_bank) the codebook
  // image its bank stream read, one row-aligned stride per sub-vector. m x K x d fp32, contiguous; valid
  // until the next call.
  const std::vector<float>& codebook(const PeOperands& operands) const;
  std::vector<float> bank_codebook(const PeOperands& operands) const {
    return codebook_from_image(operands.stream(StreamRole::codebook_image));
  }
  // A bank codebook image (sub-vector j at j x codebook_bank_stride()) as m x K x d fp32, contiguous.
  std::vector<float> codebook_from_image(const unsigned char* image) const;
  uint64_t heads() const { return heads_of(command); }
  // The head's sub-vector the PE's j-th sub-vector is (flag_interleaved_sub_vectors: pe + j x PEs).
  uint32_t global_sub_vector(uint32_t pe, uint32_t j) const;
  // Floats of one query or output vector in the IO buffer: a whole head's when interleaved.
  size_t io_vector_floats() const;
  // Bytes between a bank codebook image's sub-vectors (the planner's codebook_bank_stride()).
  size_t codebook_bank_stride() const;
  // Zeroes `entries` accumulators when the descriptor sets flag_clear_accumulators.
  void clear_if_asked(float* accumulators, size_t entries) const;

  mutable std::vector<float> bank_codebook_;  // codebook(operands)'s widened bank image
};

class PimDatapath {
 public:
  explicit PimDatapath(const Geometry& geometry);

  // Checks stored codes, then computes every selected PE's results into SRAMs, IO and `data`; returns an
  // error (and changes nothing) when a stored code is out of range.
  Error compute(const Command& command, const Plan& plan, StreamData& data, std::string& reason);

  const Geometry& geometry() const { return geometry_; }
  // A PE's SRAMs (zeroed) come into being on its first use: a small model leaves most of the 2048 PEs idle,
  // and zeroing all of them up front costs a gibibyte and a second of page faults.
  ProcessingElement& pe(uint32_t index);
  // `entries` fp16 codebook values widened to fp32. The PEs of a head hold the same codebook and decode
  // commands widen it once per PE: the last widening is kept with the bits it came from and reused while
  // they match (compared, not tracked, so any writer of a codebook SRAM is safe).
  const std::vector<float>& widened(const core::fp16_bits* codebook, size_t entries);
  std::vector<float>& buffer_accumulators() { return buffer_accumulators_; }
  std::vector<unsigned char>& io_buffer() { return io_buffer_; }

 private:
  Error check_codes(const ComputeStep& step, std::string& reason) const;
  // Lays out every role's data; an indirect pass's data is split into its codes, scalars and table rows.
  void route(ComputeStep& step) const;

  Geometry geometry_;
  std::vector<ProcessingElement> pes_;
  std::vector<float> buffer_accumulators_;
  std::vector<unsigned char> io_buffer_;
  std::vector<core::fp16_bits> widened_bits_;
  std::vector<float> widened_values_;
};

}  // namespace aqpim::models::pim
