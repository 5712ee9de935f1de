#include "hwif/hbm_address_mapping.h"

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

enum class Field { Row, Bank, BankGroup, Column };

// Least significant field first; the zero-width Ch field is simply absent.
std::vector<Field> fields_low_to_high(HbmAddressMapping mapping) {
  switch (mapping) {
    case HbmAddressMapping::RoBaBgCoCh:
    case HbmAddressMapping::ChRoBaBgCo:
      return {Field::Column, Field::BankGroup, Field::Bank, Field::Row};
    case HbmAddressMapping::RoCoBaBgCh:
      return {Field::BankGroup, Field::Bank, Field::Column, Field::Row};
    case HbmAddressMapping::RoBgBaCoCh:
      return {Field::Column, Field::Bank, Field::BankGroup, Field::Row};
  }
  throw std::invalid_argument("unknown HBM address mapping");
}

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

HbmAddressMap::HbmAddressMap(HbmAddressMapping mapping, const HbmGeometry& geometry)
    : mapping_(mapping),
      geometry_(geometry),
      banks_per_group_(geometry.banks_per_group),
      bank_group_mask_(geometry.bank_groups - 1),
      bank_mask_(geometry.banks_per_group - 1),
      column_mask_(geometry.columns_per_row() - 1) {
  geometry.validate();
  unsigned shift = log2_exact(geometry.access_bytes);
  const auto fields = fields_low_to_high(mapping);
  column_is_lowest_ = fields.front() == Field::Column;
  for (Field field : fields) {
    switch (field) {
      case Field::Column:
        column_shift_ = shift;
        shift += log2_exact(geometry.columns_per_row());
        break;
      case Field::BankGroup:
        bank_group_shift_ = shift;
        shift += log2_exact(geometry.bank_groups);
        break;
      case Field::Bank:
        bank_shift_ = shift;
        shift += log2_exact(geometry.banks_per_group);
        break;
      case Field::Row:
        row_shift_ = shift;
        break;
    }
  }
}

}  // namespace aqpim::hwif
