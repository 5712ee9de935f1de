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
// The other policy, bank_parallel_scheduler.h, serves the same runs (host_runs.h) through the same rules.
// The periodic jump and the interval memo assume this policy: a step of a long request must be a function
// of the channel state alone, which a scheduler holding queues and a timeline of placed commands is not.
#pragma once

#include <algorithm>
#include <cstdint>

#include "models/hbm/channel.h"
#include "models/hbm/host_runs.h"
#include "models/hbm/reference.h"

namespace aqpim::models::hbm {

class FcfsScheduler {
 public:
  explicit FcfsScheduler(const HbmTimingConfig& config)
      : runs_(config), closed_page_(config.page_policy == HbmPagePolicy::Closed) {}

  const HostRuns& runs() const { return runs_; }
  const hwif::HbmAddressMap& address_map() const { return runs_.address_map(); }
  unsigned access_shift() const { return runs_.access_shift(); }
  uint64_t accesses_per_address_row() const { return runs_.accesses_per_address_row(); }
  uint64_t first_access_address(uint64_t address) const { return runs_.first_access_address(address); }
  uint64_t accesses(uint64_t address, uint64_t length) const { return runs_.accesses(address, length); }

  // Serves `accesses` column accesses from access_address on, arriving at arrival_ps. Returns the end of
  // the last data beat (no earlier than the arrival). Inline: this is every host request's path.
  uint64_t serve(Channel& channel, uint64_t arrival_ps, uint64_t access_address, uint64_t accesses,
                 bool is_write) const {
    uint64_t completion = arrival_ps;
    runs_.for_each(access_address, accesses, [&](unsigned bank, uint64_t row, uint64_t count) {
      completion = std::max(completion, time_host_run(channel, arrival_ps, bank, row, count, is_write));
      if (closed_page_) channel.rules.precharge(channel.state.banks[bank], channel.state.banks[bank].earliest_pre);
    });
    return completion;
  }

 private:
  HostRuns runs_;
  bool closed_page_;
};

}  // namespace aqpim::models::hbm
