// The scheduling policy: which command of which request comes next. Here first come, first served:
// requests in call order, no reordering, and a request's column accesses in address order. A host request
// is split into runs (consecutive column accesses to one row of one bank, a whole row's worth with a
// column-lowest mapping, single accesses otherwise) and each run is timed in turn by the reference, every
// command as early as the rules allow and never before the request's arrival. A command therefore never
// issues before an earlier-served command of the same kind (ACTs are >= tRRD_S apart, column accesses
// >= tCCD_S apart, the bus is in order): a request that arrives earlier from a temporally decoupled
// initiator but calls later queues behind, deterministically. ACTs and PREs of a later request may still
// come before the previous request's columns, as a controller with a queue opens the next row early.
// The page policy is part of it: after a run, open page leaves the row open, closed page precharges it.
//
// A bank-parallel scheduler (per-bank queues, FR-FCFS) replaces this class; the rules and the reference
// stay as they are. The periodic jump and the interval memo assume this policy, though: a step of a long
// request must be a function of the channel state alone, so a scheduler with queues must add them to
// the snapshots (period_snapshot.h) or not use those paths.
#pragma once

#include <algorithm>
#include <cstdint>

#include "models/hbm/channel.h"
#include "models/hbm/reference.h"
#include "hwif/hbm_address_mapping.h"

namespace aqpim::models::hbm {

class FcfsScheduler {
 public:
  explicit FcfsScheduler(const HbmTimingConfig& config)
      : map_(config.mapping, config.geometry),
        accesses_per_address_row_(config.geometry.columns_per_row() * config.geometry.banks()),
        closed_page_(config.page_policy == HbmPagePolicy::Closed) {
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

  // Serves `accesses` column accesses from access_address on, arriving at arrival_ps. Returns the end of
  // the last data beat (no earlier than the arrival). Inline: this is every host request's path.
  uint64_t serve(Channel& channel, uint64_t arrival_ps, uint64_t access_address, uint64_t accesses,
                 bool is_write) const {
    uint64_t completion = arrival_ps;
    while (accesses > 0) {
      const hwif::HbmLocation location = map_.decode(access_address);
      const uint64_t run = std::min(accesses, map_.accesses_left_in_row(location));
      const unsigned bank = map_.flat_bank(location);
      completion = std::max(completion, time_host_run(channel, arrival_ps, bank, location.row, run, is_write));
      if (closed_page_) channel.rules.precharge(channel.state.banks[bank], channel.state.banks[bank].earliest_pre);
      accesses -= run;
      access_address += run << access_shift_;
    }
    return completion;
  }

 private:
  hwif::HbmAddressMap map_;
  unsigned access_shift_ = 0;
  uint64_t accesses_per_address_row_;
  bool closed_page_;
};

}  // namespace aqpim::models::hbm
