// The counters a run of host column accesses adds to its bank, and busy time: shared by the in-order
// reference (reference.cpp) and the bank-parallel scheduler, so that both count alike.
#pragma once

#include <algorithm>
#include <cstdint>

#include "models/hbm/channel_state.h"
#include "models/hbm/timing_stats.h"

namespace aqpim::models::hbm {

// Busy time is the union of [first command, last data) over a bank's requests.
inline void add_busy(BankState& bank, HbmBankStats& stats, int64_t start, int64_t end) {
  const int64_t from = std::max(start, bank.busy_until);
  if (end > from) stats.busy_ps += uint64_t(end - from);
  bank.busy_until = std::max(bank.busy_until, end);
}

// `issued` column accesses to one row, opened for them (hit = false: the first one was a miss) or not.
inline void count_host_columns(HbmBankStats& stats, uint64_t issued, bool hit, uint64_t access_bytes, bool is_write) {
  stats.row_hits += hit ? issued : issued - 1;
  stats.row_misses += hit ? 0 : 1;
  (is_write ? stats.writes : stats.reads) += issued;
  (is_write ? stats.bytes_written : stats.bytes_read) += issued * access_bytes;
}

}  // namespace aqpim::models::hbm
