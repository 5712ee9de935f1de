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
  const BankStream* stream = find_stream(plan_, role);
  const uint64_t banks = stream->first_bank_only ? 1 : geometry_.banks_per_pe;
  return data_[size_t(role)].data() + rank_ * banks * stream->bytes_per_bank;
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
  return PeOperands(command, plan, unit.geometry(), rank, selected[rank], data, unit.io_buffer());
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
  if (!codes || codes->write) return Error::none;
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

Error PimDatapath::compute(const Command& command, const Plan& plan, StreamData& data, std::string& reason) {
  ComputeStep step{command, plan, *this, data, {}};
  for (uint32_t pe = 0; pe < geometry_.pe_count; ++pe)
    if (command.pe_mask >> pe & 1) step.selected.push_back(pe);
  if (const Error error = check_codes(step, reason); error != Error::none) return error;
  const OpcodeSpec& spec = *find_opcode(command.opcode);  // planned, so defined
  if (spec.compute_unit) spec.compute_unit(step);
  if (spec.compute_pe)
    for (uint32_t rank = 0; rank < step.selected.size(); ++rank)
      spec.compute_pe(step, step.operands(rank), pe(step.selected[rank]));
  return Error::none;
}

}  // namespace aqpim::models::pim
