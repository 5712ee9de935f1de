#include "models/hbm/lockstep_jump.h"

#include <algorithm>

namespace aqpim::models::hbm {
namespace {

// Indices into the times of a Boundary or Proof.
constexpr unsigned kChannelLastAct = 7;
constexpr unsigned kChannelLastCol = 8;
constexpr unsigned kRing = 9;  // the first of the four tFAW-ring entries

// b is a shifted by `shift`: every time but tFAW-ring entries that tRRD_S already dominates at both ends
// (they cannot bind, and may differ, as in the periodic jump).
bool shifted(const HbmTimingRules& rules, const int64_t* a, const int64_t* b, int64_t shift) {
  for (unsigned i = 0; i < kRing; ++i)
    if (b[i] - a[i] != shift) return false;
  for (unsigned i = kRing; i < LockstepJump::kTimes; ++i) {
    const bool stale = a[i] + rules.tFAW <= a[kChannelLastAct] + rules.tRRD_S &&
                       b[i] + rules.tFAW <= b[kChannelLastAct] + rules.tRRD_S;
    if (!stale && b[i] - a[i] != shift) return false;
  }
  return true;
}

// The largest time of a boundary: every command of the row it starts lies in [t, this].
int64_t largest_time(const int64_t* times) { return *std::max_element(times, times + kRing); }

// Commands in [lo, hi] are untouched by the refresh rules, and the banks' refresh interval is theirs.
bool refresh_free(const AllBankRefresh& refresh, int64_t lo, int64_t hi, int64_t bank_epoch) {
  if (!refresh.enabled) return true;
  const int64_t epoch = refresh.epoch_of(lo);
  return lo >= 0 && refresh.outside_window(lo) == lo && refresh.epoch_of(hi) == epoch && bank_epoch == epoch;
}

}  // namespace

bool LockstepJump::try_enter(const Channel& channel, StreamBanks& banks) {
  const ChannelState& state = channel.state;
  const BankState& bank = state.banks[lowest_bit(banks.mask)];
  const BankGroupState& group = state.groups[lowest_bit(banks.groups)];
  for (uint64_t mask = banks.mask & (banks.mask - 1); mask != 0; mask &= mask - 1)
    if (!(state.banks[lowest_bit(mask)] == bank)) return false;
  for (uint64_t mask = banks.groups & (banks.groups - 1); mask != 0; mask &= mask - 1)
    if (!(state.groups[lowest_bit(mask)] == group)) return false;
  banks.in_lockstep = true;
  banks.bank = bank;
  banks.group = group;
  return true;
}

void LockstepJump::leave(Channel& channel, const StreamBanks& banks) {
  for_each_bit(banks.mask, [&](unsigned b) {
    channel.state.banks[b] = banks.bank;
    channel.stats.banks[b] += banks.stats;
  });
  for_each_bit(banks.groups, [&](unsigned g) { channel.state.groups[g] = banks.group; });
}

void LockstepJump::start_stream() {
  boundaries_[0].valid = boundaries_[1].valid = false;
  newest_ = 0;
}

void LockstepJump::capture(const Channel& channel, const StreamBanks& banks, const StreamCursor& cursor, Boundary& to) {
  const ChannelState& state = channel.state;
  const int64_t times[kTimes] = {cursor.t,
                                 banks.bank.act_time,
                                 banks.bank.earliest_act,
                                 banks.bank.earliest_pre,
                                 banks.bank.busy_until,
                                 banks.group.last_act,
                                 banks.group.last_col,
                                 state.last_act,
                                 state.last_col,
                                 state.recent_acts[0],
                                 state.recent_acts[1],
                                 state.recent_acts[2],
                                 state.recent_acts[3]};
  to.valid = true;
  to.unit = cursor.unit;
  std::copy(times, times + kTimes, to.times);
  to.open_row = banks.bank.open_row;
  to.epoch = banks.bank.epoch;
  to.acts = state.stream_acts;
  to.stats = banks.stats;
}

// The row from `from` to `to` is a function of `from`'s times built from max() and additions, plus the
// refresh rules. With the row closed at both ends (so it issued one all-bank ACT, its columns and its
// PRE, whatever the row number) and every time moved by P, the next rows repeat it shifted by P for as
// long as the refresh rules act as the identity on their commands: all of a row's commands lie in
// [its starting t, its largest time], inside one refresh interval and after that interval's window.
bool LockstepJump::proves_row(const Channel& channel, const Boundary& from, const Boundary& to,
                              uint64_t columns_per_row, Proof& row) {
  const int64_t period = to.times[kChannelLastCol] - from.times[kChannelLastCol];
  const bool one_closed_row = from.valid && to.unit - from.unit == columns_per_row && from.open_row < 0 &&
                              to.open_row < 0 && to.epoch == from.epoch && to.acts - from.acts == 1 &&
                              to.stats.pim_activations - from.stats.pim_activations == 1;
  if (!one_closed_row || period <= 0 || !shifted(channel.rules, from.times, to.times, period) ||
      !refresh_free(channel.rules.refresh, from.times[0], largest_time(to.times), to.epoch))
    return false;
  row.valid = true;
  row.period = period;
  std::copy(to.times, to.times + kTimes, row.times);
  row.per_row = HbmBankStats();
  add_repeated(row.per_row, to.stats, from.stats, 1);
  return true;
}

// `to` is the proof's end state shifted: its next row is the proof's row shifted, and so on.
bool LockstepJump::extends(const Channel& channel, const Proof& proof, const Boundary& to) {
  return proof.valid && to.open_row < 0 &&
         shifted(channel.rules, proof.times, to.times, to.times[kChannelLastCol] - proof.times[kChannelLastCol]) &&
         refresh_free(channel.rules.refresh, to.times[0], largest_time(to.times), to.epoch);
}

uint64_t LockstepJump::at_row_boundary(Channel& channel, StreamBanks& banks, StreamCursor& cursor) {
  Boundary& to = boundaries_[newest_ ^ 1];
  const Boundary& from = boundaries_[newest_];
  capture(channel, banks, cursor, to);
  newest_ ^= 1;
  Proof& proof = proofs_[cursor.is_write];
  // A new proof replaces the kept one.
  if (!proves_row(channel, from, to, cursor.columns_per_row, proof) && !extends(channel, proof, to)) return 0;
  uint64_t rows = cursor.units_left() / cursor.columns_per_row;
  const AllBankRefresh& refresh = channel.rules.refresh;
  if (refresh.enabled)
    rows = std::min(rows, uint64_t(((refresh.epoch_of(to.times[0]) + 1) * refresh.tREFI - 1 - largest_time(to.times)) /
                                   proof.period));
  if (rows == 0) return 0;
  add_rows(channel, banks, cursor, to, proof, rows);
  boundaries_[0].valid = boundaries_[1].valid = false;
  return rows;
}

void LockstepJump::add_rows(Channel& channel, StreamBanks& banks, StreamCursor& cursor, const Boundary& to,
                            const Proof& row, uint64_t rows) {
  ChannelState& state = channel.state;
  const int64_t delta = int64_t(rows) * row.period;
  cursor.t += delta;
  for (int64_t* value : {&banks.bank.act_time, &banks.bank.earliest_act, &banks.bank.earliest_pre,
                         &banks.bank.busy_until, &banks.group.last_act, &banks.group.last_col, &state.last_col})
    *value += delta;
  // The ring ends with the last rows' ACTs; record_activation() also moves last_act.
  for (uint64_t r = rows > 3 ? rows - 3 : 1; r <= rows; ++r)
    state.record_activation(to.times[kChannelLastAct] + int64_t(r) * row.period);
  add_repeated(banks.stats, row.per_row, HbmBankStats(), rows);
  state.stream_acts += rows;
  cursor.unit += rows * cursor.columns_per_row;
  cursor.completion = std::max(cursor.completion, channel.rules.data_end(state.last_col, cursor.is_write));
}

}  // namespace aqpim::models::hbm
