#include "models/hbm/periodic_jump.h"

#include <algorithm>
#include <climits>
#include <utility>

namespace aqpim::models::hbm {

void PeriodicJump::start(const PeriodScope& scope) {
  scope_ = scope;
  prev_.valid = false;
  block_prev_.valid = false;
  anchor_count_ = 0;
  anchor_next_ = 0;
  anchor_epoch_ = INT64_MIN;
  misses_ = 0;
  if (anchors_.size() != kAnchors) anchors_.resize(kAnchors);
  snapshot_field_kinds(scope, kinds_);
}

const PeriodSnapshot& PeriodicJump::take_snapshot(const Channel& channel, uint64_t position, int64_t row_base,
                                                  int64_t t) {
  hbm::take_snapshot(channel, scope_, kinds_.size(), position, row_base, t, cur_);
  return cur_;
}

void PeriodicJump::forget_boundaries() {
  prev_.valid = false;
  block_prev_.valid = false;
  misses_ = 0;
}

uint64_t PeriodicJump::jump_if_periodic(Channel& channel, uint64_t units_left, int64_t* shift) {
  uint64_t jumped = 0;
  const AllBankRefresh& refresh = channel.rules.refresh;
  const int64_t epoch = refresh.epoch_of(cur_.ref);
  if (refresh.enabled && epoch > anchor_epoch_) {
    for (unsigned i = 0; i < anchor_count_ && jumped == 0; ++i)
      jumped = try_jump(channel, anchors_[(anchor_next_ + kAnchors - 1 - i) % kAnchors], cur_, units_left, shift);
    if (jumped == 0) {
      anchors_[anchor_next_] = cur_;
      anchor_next_ = (anchor_next_ + 1) % kAnchors;
      anchor_count_ = std::min(anchor_count_ + 1, kAnchors);
      anchor_epoch_ = epoch;
    }
  }
  // With inner steps, whole blocks (address rows) can repeat too, crossings included.
  const bool block_boundary = scope_.inner_units != 0 && cur_.position % scope_.block_units == 0;
  if (jumped == 0 && block_boundary && block_prev_.valid)
    jumped = try_jump(channel, block_prev_, cur_, units_left, shift);
  if (jumped == 0 && prev_.valid) jumped = try_jump(channel, prev_, cur_, units_left, shift);
  if (block_boundary) {
    if (jumped == 0)
      block_prev_ = cur_;
    else
      block_prev_.valid = false;
  }
  if (jumped > 0) {
    prev_.valid = false;
    misses_ = 0;
  } else {
    std::swap(prev_, cur_);
    ++misses_;
  }
  return jumped;
}

// Sound because a step is a deterministic function of the snapshot's state, built from max() and
// additions only, as long as every command time it evaluates is either (a) outside every refresh window
// and inside one refresh interval (then the refresh rules act as the identity and the step commutes with
// any time shift), or (b) the shift is a multiple of tREFI and all times are past the first window (the
// refresh rules commute with such shifts). Every command of the step lies in [from.lo, to.hi]: each one
// is bounded below by a field of `from` (PRE >= earliest_pre, ACT >= last_act + tRRD_S, column >=
// last_col + tCCD_S) and above by a field of `to`. ACT-ring entries older than what tRRD_S already
// imposes can never bind again and are allowed to differ; the rest must shift like everything else.
uint64_t PeriodicJump::try_jump(Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to,
                                uint64_t units_left, int64_t* shift) const {
  int64_t epochs_per_step = 0;
  const uint64_t steps = provable_steps(channel, from, to, units_left, &epochs_per_step);
  if (steps == 0) return 0;
  repeat_steps(channel, from, to, steps, epochs_per_step);
  *shift = int64_t(steps) * (to.ref - from.ref);
  return steps * (to.position - from.position);
}

uint64_t PeriodicJump::provable_steps(const Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to,
                                      uint64_t units_left, int64_t* epochs_per_step) const {
  const PeriodScope& scope = scope_;
  const int64_t period = to.ref - from.ref;
  const uint64_t units = to.position - from.position;
  if (period <= 0 || units == 0) return 0;
  if (units % scope.block_units != 0) {
    const uint64_t block = from.position / scope.block_units;
    if (scope.inner_units == 0 || units % scope.inner_units != 0 || to.position / scope.block_units != block) return 0;
    units_left = std::min(units_left, (block + 1) * scope.block_units - to.position);
  }
  if (units_left < units) return 0;
  // A host request's runs all start at the arrival time; it must never be the binding term.
  if (scope.host && scope.t_eff > from.lo) return 0;
  uint64_t steps = units_left / units;
  const AllBankRefresh& refresh = channel.rules.refresh;
  if (refresh.enabled) {
    if (period % refresh.tREFI == 0 && from.lo >= refresh.tREFI) {
      *epochs_per_step = period / refresh.tREFI;
    } else {
      const int64_t epoch = refresh.epoch_of(from.lo);
      if (from.lo < 0 || refresh.outside_window(from.lo) != from.lo || refresh.epoch_of(to.hi) != epoch) return 0;
      steps = std::min(steps, uint64_t(((epoch + 1) * refresh.tREFI - 1 - to.hi) / period));
    }
  }
  if (steps == 0 || !fields_repeat(channel, from, to, *epochs_per_step != 0)) return 0;
  return steps;
}

bool PeriodicJump::fields_repeat(const Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to,
                                 bool refresh_shift) const {
  const HbmTimingRules& rules = channel.rules;
  const int64_t period = to.ref - from.ref;
  const uint64_t pushes = to.pushes - from.pushes;
  bool fixed_fields = false;
  for (size_t i = 0; i < to.fields.size(); ++i) {
    if (from.fields[i] == to.fields[i]) continue;
    const int64_t value = to.fields[i] + to.ref;
    const FieldKind kind = FieldKind(kinds_[i]);
    if (kind == kMoves || kind == kRowOffset || from.fields[i] + from.ref != value) return false;
    // Every column of the step and later ones comes >= from's last_col + tCCD_S: an ACT time this old
    // cannot bind a column again, and without ACTs nobody reads the ACT-only fields.
    if (kind == kActOnly && pushes != 0) return false;
    if (kind == kActTime && value + std::max(rules.tRCD_RD, rules.tRCD_WR) > from.ref + rules.tCCD_S) return false;
    fixed_fields = true;
  }
  // A field that stays put while the times move by whole refresh intervals would change its refresh epoch.
  if (fixed_fields && refresh_shift) return false;
  if (pushes != 0)
    for (unsigned i = 0; i < 4; ++i) {
      const bool stale = from.ring[i] + rules.tFAW <= from.last_act + rules.tRRD_S &&
                         to.ring[i] + rules.tFAW <= to.last_act + rules.tRRD_S;
      if (!stale && to.ring[i] - from.ring[i] != period) return false;
    }
  return true;
}

void PeriodicJump::repeat_steps(Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to,
                                uint64_t steps, int64_t epochs_per_step) const {
  ChannelState& state = channel.state;
  const int64_t period = to.ref - from.ref;
  const uint64_t pushes = to.pushes - from.pushes;
  const int64_t delta = int64_t(steps) * period;
  const int64_t rows = int64_t(steps) * (to.row_base - from.row_base);
  const int64_t epochs = int64_t(steps) * epochs_per_step;
  size_t index = 0, field = first_state_field(scope_);
  // A field that moved from `from` to `to` moves on; one that stayed put stays.
  const auto move = [&](int64_t& value) {
    if (from.fields[field] == to.fields[field]) value += delta;
    ++field;
  };
  for_each_bit(scope_.banks, [&](unsigned b) {
    BankState& bank = state.banks[b];
    move(bank.act_time);
    move(bank.earliest_act);
    move(bank.earliest_pre);
    move(bank.busy_until);
    ++field;
    bank.epoch += epochs;
    if (bank.open_row >= 0) bank.open_row += rows;
    add_repeated(channel.stats.banks[b], to.stats[index], from.stats[index], steps);
    ++index;
  });
  for_each_bit(scope_.groups, [&](unsigned g) {
    move(state.groups[g].last_act);
    move(state.groups[g].last_col);
  });
  state.last_col += delta;
  if (scope_.host) {
    state.bus_free += delta;
    ++field;  // last_act: replayed from the ring below
    ++field;  // last_col: moved above
    ++field;  // bus_free
    move(state.read_not_before);
    move(state.write_not_before);
    for_each_bit(scope_.groups, [&](unsigned g) { move(state.group_read_not_before[g]); });
  }
  channel.stats.bus_busy_ps += steps * (to.bus_busy_ps - from.bus_busy_ps);
  // The ring ends with the last step's ACTs: those of `to`'s step, shifted. last_act follows.
  const unsigned kept = unsigned(std::min<uint64_t>(pushes, 4));
  for (uint64_t step = steps > 3 ? steps - 3 : 1; step <= steps && kept > 0; ++step)
    for (unsigned i = 4 - kept; i < 4; ++i) state.record_activation(to.ring[i] + int64_t(step) * period);
  if (!scope_.host) state.stream_acts += steps * pushes;
}

}  // namespace aqpim::models::hbm
