// The step-by-step reference: every command issued one at a time, at the earliest time the rules
// (timing_rules.h) allow, in the order the scheduler (fcfs_scheduler.h) or a bank stream asks for. This
// is the specification: the accelerators (periodic_jump.h, interval_memo.h, lockstep_jump.h,
// shared_memo.h) are tested against it bit for bit, and only ever skip steps these functions would take.
#pragma once

#include <cstdint>

#include "models/hbm/channel.h"

namespace aqpim::models::hbm {

// `count` consecutive host column accesses to one row of one bank from arrival_ps on: the unit a host
// request is split into. Opens the row if needed and leaves it open (the page policy is the scheduler's).
// One call with count n equals n calls with count 1, but costs O(1 + refresh windows crossed): between
// two windows nothing but max(tCCD_L, tBL) spaces the columns of one bank. Returns the end of the last
// data beat.
uint64_t time_host_run(Channel& channel, uint64_t arrival_ps, unsigned bank, uint64_t row, uint64_t count,
                       bool is_write);

// Where a bank stream stands: its next column access (counted in every bank's own space, from the
// stream's first), the time before which nothing of it issues, and the end of its latest data so far.
struct StreamCursor {
  StreamCursor(uint64_t arrival_ps, uint64_t first_unit, uint64_t last_unit, uint64_t columns_per_row, bool is_write)
      : unit(first_unit), last_unit(last_unit), columns_per_row(columns_per_row), is_write(is_write),
        t(int64_t(arrival_ps)), completion(int64_t(arrival_ps)) {}

  uint64_t unit;
  const uint64_t last_unit;
  const uint64_t columns_per_row;
  const bool is_write;
  int64_t t;
  int64_t completion;

  bool done() const { return unit > last_unit; }
  uint64_t units_left() const { return last_unit - unit + 1; }
  int64_t row() const { return int64_t(unit / columns_per_row); }
  // At the start of a row that the stream covers whole: where the accelerators may take over.
  bool at_whole_row() const { return unit % columns_per_row == 0 && units_left() >= columns_per_row; }
};

// The banks a stream moves. Until they are in lockstep, each bank in the mask with its group and its
// counters; from then on (lockstep_jump.h) one representative bank, group and counter delta stand for
// all of them, since every step does the same to each, and are written back at the end of the call.
struct StreamBanks {
  StreamBanks(const ChannelState& state, uint64_t bank_mask) : mask(bank_mask), groups(state.groups_of(bank_mask)) {}

  const uint64_t mask;
  const uint64_t groups;  // the bank groups holding a bank of the mask
  bool in_lockstep = false;
  BankState bank;
  BankGroupState group;
  HbmBankStats stats;

  // Calls body(BankState&, BankGroupState&, HbmBankStats&) for every bank, or once for the representative.
  template <class Body>
  void for_each(Channel& channel, Body&& body) {
    if (in_lockstep) {
      body(bank, group, stats);
      return;
    }
    for_each_bit(mask, [&](unsigned b) {
      body(channel.state.banks[b], channel.state.group_of(b), channel.stats.banks[b]);
    });
  }
};

// The next row of a bank stream, or the part of it before a refresh window: one all-bank ACT where the
// row is not open yet, a column access every tCCD_L in every bank, and, once the row is done, a
// precharge. Moves the cursor on (not at all when a window closed the rows first: the next call reopens
// them after it).
void time_stream_row(Channel& channel, StreamBanks& banks, StreamCursor& cursor);

// Intra-row indirection: every bank opens `row` (unless it is open) and reads it `lookups` times, one
// column access every tCCD_L wherever the index registers point (every access a row hit), then
// precharges it. From t on; moves t past the last access and raises completion to its data end.
void time_row_lookups(Channel& channel, StreamBanks& banks, int64_t row, uint64_t lookups, int64_t& t,
                      int64_t& completion);

// What both share: up to `wanted` column accesses to `row` in every bank of the stream, from t on (opening
// the row first, where it is not open yet); stops early at a refresh window. Precharges once all `wanted`
// have issued when close_when_done. Returns the accesses issued (0 when a window closed the rows first: t
// then moves past it); moves t to the next column slot and raises completion.
uint64_t issue_row_columns(Channel& channel, StreamBanks& banks, int64_t row, uint64_t wanted, bool is_write,
                           bool close_when_done, int64_t& t, int64_t& completion);

}  // namespace aqpim::models::hbm
