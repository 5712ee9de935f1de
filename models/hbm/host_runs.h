// How a host request is cut into runs, the unit every scheduler serves: consecutive column accesses to one
// row of one bank, in address order (up to the end of the row when the column is the lowest address field,
// single accesses otherwise). Shared by the in-order and the bank-parallel scheduler.
#pragma once

#include <algorithm>
#include <cstdint>

#include "hwif/hbm_address_mapping.h"
#include "models/hbm/timing_config.h"

namespace aqpim::models::hbm {

class HostRuns {
 public:
  explicit HostRuns(const HbmTimingConfig& config)
      : map_(config.mapping, config.geometry, config.address_bits),
        accesses_per_address_row_(config.geometry.columns_per_row() * config.geometry.banks()) {
    while ((uint64_t(1) << access_shift_) < config.geometry.access_bytes) ++access_shift_;
  }

  const hwif::HbmAddressMap& address_map() const { return map_; }
  // log2 of the bytes of one column access: addresses >> access_shift() count column accesses.
  unsigned access_shift() const { return access_shift_; }
  // Column accesses in one address row (row r of every bank): the row is the top address field.
  uint64_t accesses_per_address_row() const { return accesses_per_address_row_; }
  // The column accesses [address, address + length) touches: the first one's address, and how many.
  uint64_t first_access_address(uint64_t address) const { return (address >> access_shift_) << access_shift_; }
  uint64_t accesses(uint64_t address, uint64_t length) const {
    return ((address + length - 1) >> access_shift_) - (address >> access_shift_) + 1;
  }

  // Calls run(flat bank, row, accesses) for each run of `accesses` column accesses from access_address on.
  template <class Run>
  void for_each(uint64_t access_address, uint64_t accesses, Run&& run) const {
    while (accesses > 0) {
      const hwif::HbmLocation location = map_.decode(access_address);
      const uint64_t count = std::min(accesses, map_.accesses_left_in_row(location));
      run(map_.flat_bank(location), location.row, count);
      accesses -= count;
      access_address += count << access_shift_;
    }
  }

 private:
  hwif::HbmAddressMap map_;
  unsigned access_shift_ = 0;
  uint64_t accesses_per_address_row_;
};

}  // namespace aqpim::models::hbm
