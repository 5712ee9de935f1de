#include "models/pim_datapath.h"

#include <algorithm>
#include <cstring>

#include "core/pq_codec.h"
#include "models/pim_opcodes.h"

namespace aqpim::models::pim {
namespace {


const BankStream* find_stream(const Plan& plan, StreamRole role) {
  for (const auto& stream : plan.streams)
    if (stream.role == role) return &stream;
  return nullptr;
}

}  // namespace

unsigned char* PeOperands::stream(StreamRole role) const {
  const size_t r = size_t(role);
  return data_[r].data() + rank_ * roles_.banks_per_pe[r] * roles_.bytes_per_bank[r];
}

std::vector<core::fp16_bits> PeOperands::vectors() const {
  return load_array<core::fp16_bits>(stream(StreamRole::vectors), tokens() * row());
}

std::vector<uint16_t> PeOperands::codes() const {
  return core::unpack_codes(stream(StreamRole::codes), tokens() * command_.sub_vectors, command_.clusters);
}

std::vector<float> PeOperands::scalars() const { return load_array<float>(stream(StreamRole::scalars), tokens()); }

void PeOperands::store_result(const std::vector<float>& values) const {
  store_array(values, stream(StreamRole::result));
}

void PeOperands::store_codes(const std::vector<uint16_t>& values) const {
  store_array(core::pack_codes(values.data(), values.size(), command_.clusters), stream(StreamRole::codes));
}

std::vector<float> PeOperands::query() const { return load_array<float>(io_.data() + command_.io_offset, row()); }

PeOperands ComputeStep::operands(uint32_t rank) const {
  return PeOperands(command, plan, roles, rank, selected[rank], data, unit.io_buffer());
}

const std::vector<float>& ComputeStep::codebook(uint32_t pe) const {
  const size_t entries = size_t(command.sub_vectors) * command.clusters * command.dim;
  return unit.widened(unit.pe(pe).codebook.data() + command.codebook_offset, entries);
}

const std::vector<float>& PimDatapath::widened(const core::fp16_bits* codebook, size_t entries) {
  if (widened_bits_.size() != entries || !std::equal(codebook, codebook + entries, widened_bits_.begin())) {
    widened_bits_.assign(codebook, codebook + entries);
    widened_values_.resize(entries);
    std::transform(codebook, codebook + entries, widened_values_.begin(), core::fp16_to_float);
  }
  return widened_values_;
}

const std::vector<float>& ComputeStep::codebook(const PeOperands& operands) const {
  if (!(command.flags & flag_codebook_in_bank)) return codebook(operands.pe());
  bank_codebook_ = bank_codebook(operands);
  return bank_codebook_;
}

std::vector<float> ComputeStep::codebook_from_image(const unsigned char* image) const {
  const size_t m = command.sub_vectors, entries = size_t(command.clusters) * command.dim;
  std::vector<float> widened(m * entries);
  for (size_t j = 0; j < m; ++j) {
    const auto bits = load_array<core::fp16_bits>(image + j * codebook_bank_stride(), entries);
    std::transform(bits.begin(), bits.end(), widened.begin() + j * entries, core::fp16_to_float);
  }
  return widened;
}

uint32_t ComputeStep::global_sub_vector(uint32_t pe, uint32_t j) const {
  return command.flags & flag_interleaved_sub_vectors ? pe + j * interleave_span(command) : j;
}

size_t ComputeStep::io_vector_floats() const {
  const size_t own = size_t(command.sub_vectors) * command.dim;
  return command.flags & flag_interleaved_sub_vectors ? own * interleave_span(command) : own;
}

size_t ComputeStep::codebook_bank_stride() const {
  const size_t row = unit.geometry().row_bytes;
  const size_t bytes = size_t(command.clusters) * command.dim * sizeof(core::fp16_bits);
  return (bytes + row - 1) / row * row;
}

void ComputeStep::clear_if_asked(float* accumulators, size_t entries) const {
  if (command.flags & flag_clear_accumulators) std::fill(accumulators, accumulators + entries, 0.0f);
}

PimDatapath::PimDatapath(const Geometry& geometry)
    : geometry_(geometry),
      pes_(geometry.pe_count),
      buffer_accumulators_(geometry.buffer_accumulator_entries, 0.0f),
      io_buffer_(geometry.io_buffer_bytes, 0) {}

ProcessingElement& PimDatapath::pe(uint32_t index) {
  ProcessingElement& element = pes_.at(index);
  if (element.codebook.size() != geometry_.codebook_entries) {
    element.codebook.assign(geometry_.codebook_entries, 0);
    element.lut.assign(geometry_.lut_entries, 0.0f);
    element.accumulators.assign(geometry_.accumulator_entries, 0.0f);
  }
  return element;
}

// Stored codes index LUTs and codebooks: an out-of-range code is rejected before anything changes.
Error PimDatapath::check_codes(const ComputeStep& step, std::string& reason) const {
  const BankStream* codes = find_stream(step.plan, StreamRole::codes);
  const bool read = codes ? !codes->write : find_stream(step.plan, StreamRole::lookups) != nullptr;
  if (!read) return Error::none;
  for (uint32_t rank = 0; rank < step.selected.size(); ++rank) {
    for (const uint16_t code : step.operands(rank).codes()) {
      if (code < step.command.clusters) continue;
      reason = std::string(opcode_name(step.command.opcode)) + ": PE " + std::to_string(step.selected[rank]) +
               " read code " + std::to_string(code) + " but clusters = " + std::to_string(step.command.clusters);
      return Error::code_out_of_range;
    }
  }
  return Error::none;
}

void PimDatapath::route(ComputeStep& step) const {
  for (const BankStream& stream : step.plan.streams) {
    const uint64_t banks = stream.first_bank_only ? 1 : geometry_.banks_per_pe;
    if (!stream.indirect) {
      step.roles.bytes_per_bank[size_t(stream.role)] = stream.bytes_per_bank;
      step.roles.banks_per_pe[size_t(stream.role)] = banks;
      continue;
    }
    // Per bank the pass carries index stream 0 (codes), index stream 1 (scalars), then the table rows.
    const hbm::IndirectPass& pass = stream.pass;
    const StreamRole parts[] = {StreamRole::codes, StreamRole::scalars, StreamRole::table};
    const uint64_t sizes[] = {pass.index_bytes(0), pass.index_bytes(1), pass.table_rows * geometry_.row_bytes};
    const uint64_t block = sizes[0] + sizes[1] + sizes[2];
    const std::vector<unsigned char>& carried = step.data[size_t(stream.role)];
    const uint64_t bank_count = step.selected.size() * banks;
    uint64_t at = 0;
    for (unsigned part = 0; part < 3; ++part) {
      auto& bytes = step.data[size_t(parts[part])];
      bytes.assign(sizes[part] * bank_count, 0);
      for (uint64_t bank = 0; bank < bank_count && sizes[part]; ++bank)
        std::memcpy(bytes.data() + bank * sizes[part], carried.data() + bank * block + at, sizes[part]);
      at += sizes[part];
      step.roles.bytes_per_bank[size_t(parts[part])] = sizes[part];
      step.roles.banks_per_pe[size_t(parts[part])] = banks;
    }
  }
}

Error PimDatapath::compute(const Command& command, const Plan& plan, StreamData& data, std::string& reason) {
  ComputeStep step{command, plan, *this, data, {}, {}, {}};
  for (uint32_t pe = 0; pe < geometry_.pe_count; ++pe)
    if (command.pe_mask >> pe & 1) step.selected.push_back(pe);
  route(step);
  if (const Error error = check_codes(step, reason); error != Error::none) return error;
  const OpcodeSpec& spec = *find_opcode(command.opcode);  // planned, so defined
  if (spec.compute_unit) spec.compute_unit(step);
  if (spec.compute_pe)
    for (uint32_t rank = 0; rank < step.selected.size(); ++rank)
      spec.compute_pe(step, step.operands(rank), pe(step.selected[rank]));
  return Error::none;
}

}  // namespace aqpim::models::pim
