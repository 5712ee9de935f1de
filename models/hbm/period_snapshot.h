// Snapshots of a long request at its step boundaries: what the periodic jump (periodic_jump.h) compares
// and the interval memo (interval_memo.h) keys and replays. A snapshot holds every field a step reads or
// writes (the banks in scope, their groups, the channel) with times relative to the channel's last
// column access, so that two boundaries a whole period apart have equal snapshots.
#pragma once

#include <cstdint>
#include <vector>

#include "models/hbm/channel.h"

namespace aqpim::models::hbm {

// What a long request's steps touch, and how they repeat.
struct PeriodScope {
  uint64_t banks = 0;
  uint64_t groups = 0;
  bool host = false;      // host requests also use the data bus, and every run starts at t_eff
  bool is_write = false;  // the direction: the interval memo's key needs it (CL or CWL, tRCD, counters)
  int64_t t_eff = 0;      // a host request's arrival, outside refresh windows
  // Shifting a request by a multiple of block_units maps it onto itself, rows moved on; shifting by a
  // multiple of inner_units (0: never) does too, as long as it stays inside one block.
  uint64_t block_units = 1;
  uint64_t inner_units = 0;

  // A host request over whole address rows (every bank's row r); with the column field above the banks,
  // one column across all banks repeats too, within an address row.
  // whole_rows_only: only whole address rows repeat (a column-lowest mapping, or any bit-list mapping).
  static PeriodScope host_request(const Channel& channel, bool whole_rows_only, uint64_t arrival_ps, bool is_write);
  // A bank stream: whole rows of the banks in bank_mask.
  static PeriodScope bank_stream(uint64_t bank_mask, uint64_t groups, uint64_t columns_per_row);
};

// How a snapshot field may differ between two boundaries a step apart: every field must move by the
// period, except that a bank's ACT time may stay put once it can no longer bind a column (a row-hit
// step), and fields only ACTs read may stay put when the step issued no ACT at all.
enum FieldKind : uint8_t { kMoves, kRowOffset, kActTime, kActOnly };

struct PeriodSnapshot {
  bool valid = false;
  uint64_t position = 0;  // in column accesses
  int64_t row_base = 0;   // open rows are recorded relative to it
  int64_t ref = 0;        // the channel's last column access: fields are times relative to it
  int64_t lo = 0, hi = 0;  // smallest and largest time field (absolute)
  int64_t last_act = 0;
  uint64_t pushes = 0;  // ACT commands so far
  uint64_t bus_busy_ps = 0;
  int64_t ring[4] = {0, 0, 0, 0};  // the tFAW ring, oldest first, absolute
  std::vector<int64_t> fields;      // in the order of snapshot_field_kinds()
  std::vector<HbmBankStats> stats;  // of the banks in scope, ascending
};

// The fields of a snapshot of `scope`, in order, each with its FieldKind:
//   t (streams only, the time the next step may start);
//   per bank in scope: act_time, earliest_act, earliest_pre, busy_until, open row - row_base (INT64_MIN:
//   closed); per group in scope: last_act, last_col; the channel's last_act, last_col; host only: bus_free,
//   read_not_before, write_not_before and per group in scope group_read_not_before (the turnaround).
// The jump and the interval replay walk the fields in this order.
void snapshot_field_kinds(const PeriodScope& scope, std::vector<uint8_t>& kinds);
// Where the state's fields start (after t, for streams).
inline size_t first_state_field(const PeriodScope& scope) { return scope.host ? 0 : 1; }

void take_snapshot(const Channel& channel, const PeriodScope& scope, size_t field_count, uint64_t position,
                   int64_t row_base, int64_t t, PeriodSnapshot& snapshot);

}  // namespace aqpim::models::hbm
