// Address <-> (bank group, bank, row, column) for one HBM3 pseudo-channel, without SystemC.
//
// A mapping name lists the fields from the most significant bit down (Ro row, Ba bank, Bg bank group,
// Co column, Ch channel). Below the last field sit the byte-in-access bits (one column access moves
// data_width x burst_length / 8 bytes). One pseudo-channel model has no channel bits: Ch has zero width,
// so ChRoBaBgCo decodes exactly like RoBaBgCoCh; the names are kept so the platform's parameter maps 1:1.
// The column field counts column accesses, not bytes.
//
// Any other mapping is a bit list: one letter per address bit above the byte-in-access bits, the most
// significant first, R row, B bank (within its group), G bank group, C column; '_' and ' ' are ignored.
// A field's letters keep its bit order (its first letter is its most significant bit). RoBaBgCoCh of
// the default geometry is "RRRRRRRRRRRRRRRBBGGCCCCC"; DRAMSys's HBM2 "brc" map, bank bits above the
// row, is "GGBBRRRRRRRRRRRRRRRCCCCC". Rows may be any count only when the row is the top field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  // `bits`, when not empty, is a bit list and replaces `mapping`. Throws std::invalid_argument naming what
  // is wrong (a letter, a field with the wrong number of bits for the geometry).
  HbmAddressMap(HbmAddressMapping mapping, const HbmGeometry& geometry, const std::string& bits = "");

  // `address` must be below the capacity; the byte-in-access bits are ignored.
  HbmLocation decode(uint64_t address) const {
    if (!contiguous_) return decode_scattered(address);
    HbmLocation location;
    location.bank_group = unsigned((address >> shift_[kGroup]) & mask_[kGroup]);
    location.bank = unsigned((address >> shift_[kBank]) & mask_[kBank]);
    location.column = (address >> shift_[kColumn]) & mask_[kColumn];
    location.row = (address >> shift_[kRow]) & mask_[kRow];
    return location;
  }
  // Address of the first byte of that column access.
  uint64_t encode(const HbmLocation& location) const {
    if (!contiguous_) return encode_scattered(location);
    return (location.row << shift_[kRow]) | (uint64_t(location.bank_group) << shift_[kGroup]) |
           (uint64_t(location.bank) << shift_[kBank]) | (location.column << shift_[kColumn]);
  }
  // Flat bank index as BankAccessExtension numbers banks.
  unsigned flat_bank(const HbmLocation& location) const { return location.bank_group * banks_per_group_ + location.bank; }
  // Consecutive column accesses from `location` that stay in its bank and row: the lowest address bits
  // that are column bits count up before another field changes (1 when the lowest bit is no column bit).
  uint64_t accesses_left_in_row(const HbmLocation& location) const {
    return run_mask_ + 1 - (location.column & run_mask_);
  }

  HbmAddressMapping mapping() const { return mapping_; }
  const HbmGeometry& geometry() const { return geometry_; }
  // The bit list this map decodes with (for a named mapping too), most significant first.
  const std::string& bits() const { return bits_; }
  // The row is the most significant field: address rows (row r of every bank) follow each other.
  bool row_is_top() const { return row_is_top_; }

 private:
  enum Field { kRow, kBank, kGroup, kColumn, kFields };
  // Address bits [address_shift, address_shift + width) are field bits [field_shift, field_shift + width).
  struct Segment {
    unsigned address_shift, width, field_shift;
  };
  void build(const std::string& bits);
  HbmLocation decode_scattered(uint64_t address) const;
  uint64_t encode_scattered(const HbmLocation& location) const;

  HbmAddressMapping mapping_;
  HbmGeometry geometry_;
  std::string bits_;
  unsigned banks_per_group_;
  bool contiguous_ = true;  // one segment per field: a shift and a mask each
  bool row_is_top_ = true;
  unsigned shift_[kFields] = {};
  uint64_t mask_[kFields] = {};
  std::vector<Segment> segments_[kFields];
  uint64_t run_mask_ = 0;  // column accesses a run can span, minus one
};

}  // namespace aqpim::hwif
