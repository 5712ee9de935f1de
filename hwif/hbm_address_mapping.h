// Address <-> (bank group, bank, row, column) for one HBM3 pseudo-channel, without SystemC.
//
// A mapping name lists the fields from the most significant bit down (Ro row, Ba bank, Bg bank group,
// Co column, Ch channel). Below the last field sit the byte-in-access bits (one column access moves
// data_width x burst_length / 8 bytes). One pseudo-channel model has no channel bits: Ch has zero width,
// so ChRoBaBgCo decodes exactly like RoBaBgCoCh; the names are kept so the platform's parameter maps 1:1.
// The column field counts column accesses, not bytes.
#pragma once

#include <cstdint>
#include <string>

#include "core/enum_names.h"

namespace aqpim::hwif {

enum class HbmAddressMapping { RoBaBgCoCh, RoCoBaBgCh, ChRoBaBgCo, RoBgBaCoCh };
inline constexpr core::EnumName<HbmAddressMapping> kHbmAddressMappingNames[] = {
    {HbmAddressMapping::RoBaBgCoCh, "RoBaBgCoCh"},
    {HbmAddressMapping::RoCoBaBgCh, "RoCoBaBgCh"},
    {HbmAddressMapping::ChRoBaBgCo, "ChRoBaBgCo"},
    {HbmAddressMapping::RoBgBaCoCh, "RoBgBaCoCh"}};

// Throws std::invalid_argument listing the accepted names.
HbmAddressMapping parse_hbm_address_mapping(const std::string& name);
const char* to_string(HbmAddressMapping mapping);

struct HbmGeometry {
  unsigned bank_groups = 4;
  unsigned banks_per_group = 4;
  uint64_t rows_per_bank = 32768;
  uint64_t row_bytes = 1024;
  uint64_t access_bytes = 32;  // one column access: data_width x burst_length / 8

  unsigned banks() const { return bank_groups * banks_per_group; }
  uint64_t columns_per_row() const { return row_bytes / access_bytes; }
  uint64_t bank_bytes() const { return rows_per_bank * row_bytes; }
  uint64_t capacity_bytes() const { return bank_bytes() * banks(); }
  // Throws std::invalid_argument naming the offending field. Bit-field decoding needs powers of two for
  // every field below the row (the row is always the top field, so rows_per_bank may be any count).
  void validate() const;
};

struct HbmLocation {
  unsigned bank_group = 0;
  unsigned bank = 0;  // within its bank group
  uint64_t row = 0;
  uint64_t column = 0;  // in column accesses

  bool operator==(const HbmLocation& other) const {
    return bank_group == other.bank_group && bank == other.bank && row == other.row && column == other.column;
  }
};

class HbmAddressMap {
 public:
  HbmAddressMap(HbmAddressMapping mapping, const HbmGeometry& geometry);

  // `address` must be below the capacity; the byte-in-access bits are ignored.
  HbmLocation decode(uint64_t address) const {
    HbmLocation location;
    location.bank_group = unsigned((address >> bank_group_shift_) & bank_group_mask_);
    location.bank = unsigned((address >> bank_shift_) & bank_mask_);
    location.column = (address >> column_shift_) & column_mask_;
    location.row = address >> row_shift_;
    return location;
  }
  // Address of the first byte of that column access.
  uint64_t encode(const HbmLocation& location) const {
    return (location.row << row_shift_) | (uint64_t(location.bank_group) << bank_group_shift_) |
           (uint64_t(location.bank) << bank_shift_) | (location.column << column_shift_);
  }
  // Flat bank index as BankAccessExtension numbers banks.
  unsigned flat_bank(const HbmLocation& location) const { return location.bank_group * banks_per_group_ + location.bank; }
  // Consecutive column accesses from `location` that stay in its bank and row, when the column field is
  // the lowest one (the stream walks the row before it moves on); 1 otherwise.
  uint64_t accesses_left_in_row(const HbmLocation& location) const {
    return column_is_lowest_ ? column_mask_ + 1 - location.column : 1;
  }

  HbmAddressMapping mapping() const { return mapping_; }
  const HbmGeometry& geometry() const { return geometry_; }

 private:
  HbmAddressMapping mapping_;
  HbmGeometry geometry_;
  unsigned banks_per_group_;
  unsigned bank_group_shift_ = 0, bank_shift_ = 0, column_shift_ = 0, row_shift_ = 0;
  uint64_t bank_group_mask_, bank_mask_, column_mask_;
  bool column_is_lowest_ = false;
};

}  // namespace aqpim::hwif
