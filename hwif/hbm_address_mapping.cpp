#include "hwif/hbm_address_mapping.h"

#include <cstring>
#include <stdexcept>
#include <vector>

namespace aqpim::hwif {
namespace {

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

unsigned log2_exact(uint64_t value) {
  unsigned bits = 0;
  while ((uint64_t(1) << bits) < value) ++bits;
  return bits;
}

void require_power_of_two(const char* field, uint64_t value) {
  if (!is_power_of_two(value))
    throw std::invalid_argument(std::string(field) + " = " + std::to_string(value) +
                                ": must be a power of two (address fields are bit fields)");
}

// The named mappings as field orders, most significant first (the zero-width Ch field left out).
const char* field_order(HbmAddressMapping mapping) {
  switch (mapping) {
    case HbmAddressMapping::RoBaBgCoCh:
    case HbmAddressMapping::ChRoBaBgCo:
      return "RBGC";
    case HbmAddressMapping::RoCoBaBgCh:
      return "RCBG";
    case HbmAddressMapping::RoBgBaCoCh:
      return "RGBC";
  }
  throw std::invalid_argument("unknown HBM address mapping");
}

unsigned bits_for(uint64_t count) { return log2_exact(count); }  // ceil(log2): rows need not be a power of two

// The bit list of a named mapping: each field's letter repeated over its width.
std::string bits_of(HbmAddressMapping mapping, const HbmGeometry& geometry) {
  std::string bits;
  for (const char* field = field_order(mapping); *field != '\0'; ++field) {
    const uint64_t count = *field == 'R'   ? geometry.rows_per_bank
                           : *field == 'B' ? geometry.banks_per_group
                           : *field == 'G' ? geometry.bank_groups
                                           : geometry.columns_per_row();
    bits.append(bits_for(count), *field);
  }
  return bits;
}

uint64_t low_mask(unsigned width) { return width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1; }

}  // namespace

HbmAddressMapping parse_hbm_address_mapping(const std::string& name) {
  if (const auto mapping = core::parse_enum(kHbmAddressMappingNames, name)) return *mapping;
  std::string accepted;
  for (const auto& entry : kHbmAddressMappingNames) accepted += (accepted.empty() ? "" : ", ") + std::string(entry.name);
  throw std::invalid_argument("address_mapping '" + name + "': must be one of " + accepted);
}

const char* to_string(HbmAddressMapping mapping) { return core::enum_name(kHbmAddressMappingNames, mapping).data(); }

void HbmGeometry::validate() const {
  if (bank_groups == 0) throw std::invalid_argument("bank_groups = 0: need at least one bank group");
  if (banks_per_group == 0) throw std::invalid_argument("banks_per_group = 0: need at least one bank per group");
  if (banks() > 64)
    throw std::invalid_argument("bank_groups x banks_per_group = " + std::to_string(banks()) +
                                ": at most 64 banks (BankAccessExtension::bank_mask has 64 bits)");
  if (rows_per_bank == 0) throw std::invalid_argument("rows_per_bank = 0: need at least one row");
  if (access_bytes == 0) throw std::invalid_argument("access bytes (data_width_bits x burst_length / 8) = 0");
  if (row_bytes == 0 || row_bytes % access_bytes != 0)
    throw std::invalid_argument("row_bytes = " + std::to_string(row_bytes) + ": must be a non-zero multiple of one column access (" +
                                std::to_string(access_bytes) + " bytes)");
  require_power_of_two("bank_groups", bank_groups);
  require_power_of_two("banks_per_group", banks_per_group);
  require_power_of_two("row_bytes", row_bytes);
  require_power_of_two("access bytes (data_width_bits x burst_length / 8)", access_bytes);
}

HbmAddressMap::HbmAddressMap(HbmAddressMapping mapping, const HbmGeometry& geometry, const std::string& bits)
    : mapping_(mapping), geometry_(geometry), banks_per_group_(geometry.banks_per_group) {
  geometry.validate();
  build(bits.empty() ? bits_of(mapping, geometry) : bits);
}

void HbmAddressMap::build(const std::string& given) {
  static constexpr char kLetters[kFields + 1] = "RBGC";
  for (char letter : given)
    if (letter != '_' && letter != ' ') bits_ += letter;
  unsigned count[kFields] = {};
  for (size_t i = 0; i < bits_.size(); ++i) {
    const char* field = std::strchr(kLetters, bits_[i]);
    if (field == nullptr || bits_[i] == '\0')
      throw std::invalid_argument("address bits '" + given + "': '" + std::string(1, bits_[i]) + "' (bit " +
                                  std::to_string(bits_.size() - 1 - i) + " above the byte in an access) is not one of "
                                  "R (row), B (bank), G (bank group), C (column)");
    ++count[field - kLetters];
  }
  row_is_top_ = bits_.find_first_not_of('R') >= count[kRow];
  const bool rows_pow2 = (geometry_.rows_per_bank & (geometry_.rows_per_bank - 1)) == 0;
  if (!row_is_top_ && !rows_pow2)
    throw std::invalid_argument("address bits '" + given + "': rows_per_bank = " + std::to_string(geometry_.rows_per_bank) +
                                " is not a power of two, so the row must be the top field");
  const uint64_t sizes[kFields] = {geometry_.rows_per_bank, geometry_.banks_per_group, geometry_.bank_groups,
                                   geometry_.columns_per_row()};
  static const char* const kNames[kFields] = {"row (rows_per_bank", "bank (banks_per_group", "bank group (bank_groups",
                                              "column (row_bytes / access bytes"};
  for (unsigned f = 0; f < kFields; ++f)
    if (count[f] != bits_for(sizes[f]))
      throw std::invalid_argument("address bits '" + given + "': " + std::to_string(count[f]) + " " +
                                  std::string(1, kLetters[f]) + " bits, but the " + kNames[f] + " = " +
                                  std::to_string(sizes[f]) + ") needs " + std::to_string(bits_for(sizes[f])));
  // Least significant letter first: address bit `shift`, the next bit of its field.
  unsigned shift = log2_exact(geometry_.access_bytes);
  unsigned seen[kFields] = {};
  for (size_t i = bits_.size(); i-- > 0; ++shift) {
    const unsigned f = unsigned(std::strchr(kLetters, bits_[i]) - kLetters);
    std::vector<Segment>& segments = segments_[f];
    if (!segments.empty() && segments.back().address_shift + segments.back().width == shift)
      ++segments.back().width;
    else
      segments.push_back({shift, 1, seen[f]});
    ++seen[f];
  }
  for (unsigned f = 0; f < kFields; ++f) {
    contiguous_ = contiguous_ && segments_[f].size() <= 1;
    if (!segments_[f].empty()) {
      shift_[f] = segments_[f].front().address_shift;
      mask_[f] = low_mask(segments_[f].front().width);
    }
  }
  // A top row takes every address bit above it: any row count decodes.
  if (row_is_top_ && !segments_[kRow].empty()) segments_[kRow].back().width = 64 - segments_[kRow].back().address_shift;
  if (row_is_top_) mask_[kRow] = ~uint64_t(0);
  if (segments_[kRow].empty()) shift_[kRow] = unsigned(bits_.size()) + log2_exact(geometry_.access_bytes);
  const size_t lowest_other = bits_.find_last_not_of('C');
  run_mask_ = low_mask(unsigned(bits_.size() - (lowest_other == std::string::npos ? 0 : lowest_other + 1)));
}

HbmLocation HbmAddressMap::decode_scattered(uint64_t address) const {
  uint64_t value[kFields] = {};
  for (unsigned f = 0; f < kFields; ++f)
    for (const Segment& segment : segments_[f])
      value[f] |= ((address >> segment.address_shift) & low_mask(segment.width)) << segment.field_shift;
  HbmLocation location;
  location.row = value[kRow];
  location.bank = unsigned(value[kBank]);
  location.bank_group = unsigned(value[kGroup]);
  location.column = value[kColumn];
  return location;
}

uint64_t HbmAddressMap::encode_scattered(const HbmLocation& location) const {
  const uint64_t value[kFields] = {location.row, location.bank, location.bank_group, location.column};
  uint64_t address = 0;
  for (unsigned f = 0; f < kFields; ++f)
    for (const Segment& segment : segments_[f])
      address |= ((value[f] >> segment.field_shift) & low_mask(segment.width)) << segment.address_shift;
  return address;
}

}  // namespace aqpim::hwif
