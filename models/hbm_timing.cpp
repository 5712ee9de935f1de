#include "models/hbm_timing.h"

#include "models/hbm/word_hash.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace aqpim::models {
namespace {

using hbm::for_each_bit;
using hbm::WordHash;

}  // namespace

HbmTimingEngine::HbmTimingEngine(const HbmTimingConfig& config) : channel_(config), scheduler_(config) {}

void HbmTimingEngine::reset_stats() {
  materialize();
  const size_t banks = channel_.stats.banks.size();
  channel_.stats = HbmStats();
  channel_.stats.banks.resize(banks);
}

namespace {
// Below this many whole steps (address rows, bank-stream rows) the periodic path cannot win back its
// snapshots: it needs two clean steps to prove a period and one more to jump over.
constexpr uint64_t kPeriodicMinSteps = 4;
// Boundaries without a jump after which a request stops looking for a period (the rest is then timed
// step by step, as by the reference): a pattern that never settles between two refresh windows (a few
// address rows per window) must not pay for snapshots all along.
constexpr unsigned kPeriodGiveUp = 48;
}  // namespace

// Inlined into access(), the path of every host request (and into the memo's timing callback).
[[gnu::always_inline]] inline uint64_t HbmTimingEngine::access_fast(uint64_t arrival_ps, uint64_t address,
                                                                    uint64_t length, bool is_write) {
  ++channel_.stats.host_requests;
  const uint64_t first = scheduler_.first_access_address(address);
  const uint64_t accesses = scheduler_.accesses(address, length);
  const HbmGeometry& geometry = channel_.config.geometry;
  if (accesses >= kPeriodicMinSteps * geometry.columns_per_row() * geometry.banks())
    return serve_long_request(arrival_ps, first, accesses, is_write);
  return scheduler_.serve(channel_, arrival_ps, first, accesses, is_write);
}

uint64_t HbmTimingEngine::access(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write) {
  pristine_ = false;
  if (!memo_.in_memo()) return access_fast(arrival_ps, address, length, is_write);  // the short-request path
  return memo_.time(channel_, {0, int64_t(arrival_ps), int64_t(address), int64_t(length), 0, is_write},
                      [&] { return access_fast(arrival_ps, address, length, is_write); });
}

uint64_t HbmTimingEngine::access_reference(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write) {
  leave_memo();
  pristine_ = false;
  ++channel_.stats.host_requests;
  return scheduler_.serve(channel_, arrival_ps, scheduler_.first_access_address(address),
                          scheduler_.accesses(address, length), is_write);
}

// Steps are whole address rows (every bank's row r, in the mapping's order): the row is the top address
// field, so every step visits the banks and columns in the same order, one row further on. With the column
// field above the banks (RoCoBaBgCh, one run per column access) a column across all banks is a step too,
// within a row: that is where such a stream spends its time between refresh windows.
uint64_t HbmTimingEngine::serve_long_request(uint64_t arrival_ps, uint64_t access_address, uint64_t remaining,
                                             bool is_write) {
  const HbmGeometry& geometry = channel_.config.geometry;
  const HbmAddressMap& map = scheduler_.address_map();
  const unsigned shift_to_units = scheduler_.access_shift();
  const uint64_t row_units = geometry.columns_per_row() * geometry.banks();
  const bool column_lowest = map.accesses_left_in_row(map.decode(0)) == geometry.columns_per_row();
  PeriodScope scope;
  const unsigned banks = geometry.banks();
  scope.banks = banks == 64 ? ~uint64_t(0) : (uint64_t(1) << banks) - 1;
  scope.groups = (uint64_t(1) << geometry.bank_groups) - 1;
  scope.host = true;
  scope.t_eff = channel_.rules.refresh.outside_window(int64_t(arrival_ps));
  scope.is_write = is_write;
  scope.block_units = row_units;
  scope.inner_units = column_lowest ? 0 : banks;
  const uint64_t step_units = column_lowest ? row_units : banks;

  uint64_t completion = arrival_ps;
  const auto serve = [&](uint64_t accesses) {
    completion = std::max(completion, scheduler_.serve(channel_, arrival_ps, access_address, accesses, is_write));
    access_address += accesses << shift_to_units;
    remaining -= accesses;
  };
  const uint64_t head = (step_units - (access_address >> shift_to_units) % step_units) % step_units;
  if (head > 0) serve(head);
  start_period(scope);
  while (remaining >= step_units) {
    const uint64_t unit = access_address >> shift_to_units;
    int64_t shift = 0;
    const uint64_t jumped = period_boundary(scope, unit, int64_t(unit / row_units), 0, remaining, &shift);
    if (jumped > 0) {
      access_address += jumped << shift_to_units;
      remaining -= jumped;
      completion = std::max(completion, uint64_t(channel_.state.bus_free));  // bus_free only grows within a request
      continue;
    }
    if (period_.misses > kPeriodGiveUp) break;
    serve(step_units);
  }
  if (remaining > 0) serve(remaining);
  return completion;
}

uint64_t HbmTimingEngine::bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                      uint64_t bytes_per_bank, bool is_write) {
  pristine_ = false;
  return memo_.time(channel_, {1, int64_t(arrival_ps), int64_t(bank_mask), int64_t(bank_offset), int64_t(bytes_per_bank), is_write},
                    [&] {
                      return time_bank_stream(arrival_ps, bank_mask, bank_offset, bytes_per_bank, is_write,
                                              StreamMode::Accelerated);
                    });
}

void HbmTimingEngine::share_memo(std::shared_ptr<HbmTimingMemo> memo) {
  materialize();
  memo_.join(channel_, std::move(memo), pristine_);
}

void HbmTimingEngine::leave_memo() { memo_.leave(channel_); }

void HbmTimingEngine::materialize() const {
  auto& self = const_cast<HbmTimingEngine&>(*this);
  self.memo_.catch_up(self.channel_);
}

uint64_t HbmTimingEngine::bank_stream_reference(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                                uint64_t bytes_per_bank, bool is_write) {
  leave_memo();
  pristine_ = false;
  return time_bank_stream(arrival_ps, bank_mask, bank_offset, bytes_per_bank, is_write, StreamMode::Reference);
}

// Row by row through the reference, unless an accelerator takes over at the start of a whole row: the
// lockstep closed form once the banks are uniform, else (its tries spent) the periodic jump.
uint64_t HbmTimingEngine::time_bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                           uint64_t bytes_per_bank, bool is_write, StreamMode mode) {
  ++channel_.stats.pim_requests;
  if (bank_mask == 0 || bytes_per_bank == 0) return arrival_ps;
  const uint64_t columns_per_row = channel_.config.geometry.columns_per_row();
  const unsigned shift_to_units = scheduler_.access_shift();
  hbm::StreamCursor cursor(arrival_ps, bank_offset >> shift_to_units, (bank_offset + bytes_per_bank - 1) >> shift_to_units,
                           columns_per_row, is_write);
  hbm::StreamBanks banks(channel_.state, bank_mask);
  // Steps are whole rows; the banks in the mask and their groups are all the stream touches.
  PeriodScope scope;
  scope.banks = bank_mask;
  scope.groups = banks.groups;
  scope.block_units = columns_per_row;
  bool lockstep = mode == StreamMode::Accelerated;
  unsigned lockstep_tries = 0;
  lockstep_.start_stream();
  bool periodic = false;
  while (!cursor.done()) {
    if (lockstep && !banks.in_lockstep && !hbm::LockstepJump::try_enter(channel_, banks) &&
        ++lockstep_tries > hbm::LockstepJump::kTries) {
      lockstep = false;
      periodic = cursor.units_left() >= kPeriodicMinSteps * columns_per_row;
      if (periodic) start_period(scope);
    }
    if (banks.in_lockstep && cursor.at_whole_row()) {
      const uint64_t rows = lockstep_.at_row_boundary(channel_, banks, cursor);
      skipped_accesses_ += rows * columns_per_row;
      if (rows > 0) continue;
    }
    if (periodic && cursor.at_whole_row()) {
      int64_t shift = 0;
      const uint64_t jumped = period_boundary(scope, cursor.unit, cursor.row(), cursor.t, cursor.units_left(), &shift);
      if (jumped > 0) {
        cursor.unit += jumped;
        cursor.t += shift;
        // Data ends only grow along a stream: the last row's is the latest.
        cursor.completion = std::max(cursor.completion, channel_.state.last_col +
                                                            channel_.rules.data_latency(is_write) + channel_.rules.tBL);
        continue;
      }
      periodic = period_.misses <= kPeriodGiveUp;
    }
    hbm::time_stream_row(channel_, banks, cursor);
  }
  if (banks.in_lockstep) hbm::LockstepJump::leave(channel_, banks);
  return uint64_t(cursor.completion);
}

bool HbmTimingEngine::same_state(const HbmTimingEngine& other) const {
  materialize();
  other.materialize();
  return channel_.state == other.channel_.state;
}

void HbmTimingEngine::start_period(const PeriodScope& scope) {
  PeriodState& p = period_;
  p.prev.valid = false;
  p.block_prev.valid = false;
  p.anchor_count = 0;
  p.anchor_next = 0;
  p.anchor_epoch = INT64_MIN;
  p.misses = 0;
  p.memo_epoch = INT64_MIN;
  p.recording = false;
  if (p.anchors.size() != kAnchors) p.anchors.resize(kAnchors);
  // The field layout take_snapshot() writes, and what each field may do.
  std::vector<uint8_t>& kinds = p.kinds;
  kinds.clear();
  if (!scope.host) kinds.push_back(kMoves);  // t
  for_each_bit(scope.banks, [&](unsigned) {
    for (FieldKind kind : {kActTime, kActOnly, kMoves, kMoves, kRowOffset}) kinds.push_back(kind);
  });
  for_each_bit(scope.groups, [&](unsigned) {
    kinds.push_back(kActOnly);
    kinds.push_back(kMoves);
  });
  kinds.push_back(kActOnly);  // channel_.state.last_act
  kinds.push_back(kMoves);    // channel_.state.last_col
  if (scope.host) kinds.push_back(kMoves);  // channel_.state.bus_free
}

void HbmTimingEngine::take_snapshot(const PeriodScope& scope, PeriodSnapshot& snapshot, uint64_t position,
                                    int64_t row_base, int64_t t) const {
  snapshot.valid = true;
  snapshot.position = position;
  snapshot.row_base = row_base;
  const int64_t ref = channel_.state.last_col;
  snapshot.ref = ref;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  snapshot.fields.resize(period_.kinds.size());
  int64_t* field = snapshot.fields.data();
  const auto time = [&](int64_t value) {
    *field++ = value - ref;
    lo = std::min(lo, value);
    hi = std::max(hi, value);
  };
  if (!scope.host) time(t);
  snapshot.stats.resize(size_t(__builtin_popcountll(scope.banks)));
  HbmBankStats* stats = snapshot.stats.data();
  uint64_t activations = 0;
  for_each_bit(scope.banks, [&](unsigned b) {
    const hbm::BankState& bank = channel_.state.banks[b];
    time(bank.act_time);
    time(bank.earliest_act);
    time(bank.earliest_pre);
    time(bank.busy_until);
    *field++ = bank.open_row >= 0 ? bank.open_row - row_base : INT64_MIN;
    *stats++ = channel_.stats.banks[b];
    activations += channel_.stats.banks[b].activations;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    time(channel_.state.groups[g].last_act);
    time(channel_.state.groups[g].last_col);
  });
  time(channel_.state.last_act);
  time(channel_.state.last_col);
  if (scope.host) time(channel_.state.bus_free);
  snapshot.lo = lo;
  snapshot.hi = hi;
  snapshot.last_act = channel_.state.last_act;
  // ACT commands so far: one per host activation; streams count their all-bank ACTs themselves (keeping
  // the host's hot path free of the bookkeeping).
  snapshot.pushes = scope.host ? activations : channel_.state.stream_acts;
  snapshot.bus_busy_ps = channel_.stats.bus_busy_ps;
  for (unsigned i = 0; i < 4; ++i) snapshot.ring[i] = channel_.state.recent_acts[i];
}

uint64_t HbmTimingEngine::period_boundary(const PeriodScope& scope, uint64_t position, int64_t row_base, int64_t t,
                                          uint64_t units_left, int64_t* shift) {
  PeriodState& p = period_;
  take_snapshot(scope, p.cur, position, row_base, t);
  uint64_t jumped = 0;
  if (scope.host && channel_.rules.refresh.enabled && channel_.rules.refresh.epoch_of(p.cur.ref) != p.memo_epoch) {
    jumped = interval_boundary(scope, units_left, shift);
    if (jumped > 0) {
      p.prev.valid = false;
      p.block_prev.valid = false;
      p.misses = 0;
      return jumped;
    }
  }
  // Refresh windows break the pattern inside a refresh interval, but whole intervals often repeat (the
  // stream restarts at each window's end): compare the first boundary of each interval with those of the
  // last kAnchors intervals.
  const int64_t epoch = channel_.rules.refresh.epoch_of(p.cur.ref);
  if (channel_.rules.refresh.enabled && epoch > p.anchor_epoch) {
    for (unsigned i = 0; i < p.anchor_count && jumped == 0; ++i)
      jumped = try_jump(scope, p.anchors[(p.anchor_next + kAnchors - 1 - i) % kAnchors], p.cur, units_left, shift);
    if (jumped == 0) {
      p.anchors[p.anchor_next] = p.cur;
      p.anchor_next = (p.anchor_next + 1) % kAnchors;
      p.anchor_count = std::min(p.anchor_count + 1, kAnchors);
      p.anchor_epoch = epoch;
    }
  }
  // With inner steps, whole blocks (address rows) can repeat too, crossings included.
  const bool block_boundary = scope.inner_units != 0 && position % scope.block_units == 0;
  if (jumped == 0 && block_boundary && p.block_prev.valid)
    jumped = try_jump(scope, p.block_prev, p.cur, units_left, shift);
  if (jumped == 0 && p.prev.valid) jumped = try_jump(scope, p.prev, p.cur, units_left, shift);
  if (block_boundary) {
    if (jumped == 0)
      p.block_prev = p.cur;
    else
      p.block_prev.valid = false;
  }
  if (jumped > 0) {
    p.prev.valid = false;
    p.misses = 0;
  } else {
    std::swap(p.prev, p.cur);
    ++p.misses;
  }
  return jumped;
}

namespace {
// Transitions one engine keeps in its interval memo (about 6 KiB each); a full memo starts over. The
// prefill's writes on the default channel meet between 128 and 256 phases: 100 x 8 MiB take 7.4 ms with
// 256 entries, 9.4 ms with 128 and 28 ms with 64.
constexpr size_t kIntervalMemoEntries = 256;
}  // namespace

size_t HbmTimingEngine::KeyHash::operator()(const std::vector<int64_t>& key) const {
  WordHash hash;
  for (int64_t value : key) hash.mix(uint64_t(value));
  return size_t(hash.hash ^ (hash.hash >> 29));
}

bool HbmTimingEngine::interval_keyable(const PeriodScope& scope, const PeriodSnapshot& snapshot) const {
  return snapshot.lo >= channel_.rules.refresh.tREFI && scope.t_eff <= snapshot.lo && snapshot.ring[0] >= 0;
}

void HbmTimingEngine::interval_key(const PeriodScope& scope, const PeriodSnapshot& snapshot,
                                   std::vector<int64_t>& key) const {
  const int64_t epoch = channel_.rules.refresh.epoch_of(snapshot.ref);
  key.clear();
  key.push_back(scope.is_write);
  key.push_back(int64_t(snapshot.position % scope.block_units));
  key.push_back(snapshot.ref - epoch * channel_.rules.refresh.tREFI);
  key.insert(key.end(), snapshot.fields.begin(), snapshot.fields.end());
  for (int64_t act : snapshot.ring) key.push_back(act - snapshot.ref);
  for_each_bit(scope.banks, [&](unsigned b) { key.push_back(channel_.state.banks[b].epoch - epoch); });
}

uint64_t HbmTimingEngine::interval_boundary(const PeriodScope& scope, uint64_t units_left, int64_t* shift) {
  PeriodState& p = period_;
  p.memo_epoch = channel_.rules.refresh.epoch_of(p.cur.ref);
  if (p.recording) {
    if (interval_memo_.size() >= kIntervalMemoEntries) interval_memo_.clear();
    IntervalTransition& interval = interval_memo_[p.recording_key];
    interval.from = p.recording_from;
    interval.to = p.cur;
    interval.to_epochs.clear();
    for_each_bit(scope.banks, [&](unsigned b) { interval.to_epochs.push_back(channel_.state.banks[b].epoch); });
    p.recording = false;
  }
  if (!interval_keyable(scope, p.cur)) return 0;
  interval_key(scope, p.cur, p.key);
  const auto found = interval_memo_.find(p.key);
  if (found != interval_memo_.end() && found->second.to.position - found->second.from.position <= units_left)
    return replay_interval(scope, found->second, shift);
  std::swap(p.recording_key, p.key);
  p.recording_from = p.cur;
  p.recording = true;
  return 0;
}

// Sound for the reason try_jump() is, with the shift a multiple of tREFI: equal keys make the current
// state the recorded one shifted by whole refresh intervals (all times past the first window), and the
// rules of an interval, refresh included, commute with such a shift. Every field is set from the
// recorded end state, shifted: one that the interval left alone was equal to the start's, shifted alike.
uint64_t HbmTimingEngine::replay_interval(const PeriodScope& scope, const IntervalTransition& interval, int64_t* shift) {
  const PeriodSnapshot &from = interval.from, &to = interval.to, &now = period_.cur;
  const int64_t delta = now.ref - from.ref;
  const int64_t base = to.ref + delta;
  const int64_t rows = now.row_base - from.row_base;
  const int64_t epochs = delta / channel_.rules.refresh.tREFI;
  const int64_t* field = to.fields.data() + (scope.host ? 0 : 1);
  size_t index = 0;
  for_each_bit(scope.banks, [&](unsigned b) {
    hbm::BankState& bank = channel_.state.banks[b];
    bank.act_time = *field++ + base;
    bank.earliest_act = *field++ + base;
    bank.earliest_pre = *field++ + base;
    bank.busy_until = *field++ + base;
    const int64_t open_row = *field++;
    bank.open_row = open_row == INT64_MIN ? -1 : open_row + to.row_base + rows;
    bank.epoch = interval.to_epochs[index] + epochs;
    hbm::add_repeated(channel_.stats.banks[b], to.stats[index], from.stats[index], 1);
    ++index;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    channel_.state.groups[g].last_act = *field++ + base;
    channel_.state.groups[g].last_col = *field++ + base;
  });
  channel_.state.last_act = *field++ + base;
  channel_.state.last_col = *field++ + base;
  if (scope.host) channel_.state.bus_free = *field++ + base;
  int64_t ring[4];
  for (unsigned i = 0; i < 4; ++i) ring[i] = to.ring[i] + delta;
  channel_.state.recent_acts.assign(ring);
  channel_.stats.bus_busy_ps += to.bus_busy_ps - from.bus_busy_ps;
  const uint64_t units = to.position - from.position;
  skipped_accesses_ += units;
  ++interval_memo_hits_;
  *shift = to.ref - from.ref;
  return units;
}

// Sound because a step is a deterministic function of the snapshot's state, built from max() and
// additions only, as long as every command time it evaluates is either (a) outside every refresh window
// and inside one refresh interval (then the refresh rules act as the identity and the step commutes with
// any time shift), or (b) the shift is a multiple of tREFI and all times are past the first window (the
// refresh rules commute with such shifts). Every command of the step lies in [from.lo, to.hi]: each one
// is bounded below by a field of `from` (PRE >= earliest_pre, ACT >= channel_.state.last_act + tRRD_S, column >=
// channel_.state.last_col + tCCD_S) and above by a field of `to`. ACT-ring entries older than what tRRD_S already
// imposes can never bind again and are allowed to differ; the rest must shift like everything else.
uint64_t HbmTimingEngine::try_jump(const PeriodScope& scope, const PeriodSnapshot& from, const PeriodSnapshot& to,
                                   uint64_t units_left, int64_t* shift) {
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
  int64_t epochs_per_step = 0;
  if (channel_.rules.refresh.enabled) {
    if (period % channel_.rules.refresh.tREFI == 0 && from.lo >= channel_.rules.refresh.tREFI) {
      epochs_per_step = period / channel_.rules.refresh.tREFI;
    } else {
      const int64_t epoch = channel_.rules.refresh.epoch_of(from.lo);
      if (from.lo < 0 || channel_.rules.refresh.outside_window(from.lo) != from.lo || channel_.rules.refresh.epoch_of(to.hi) != epoch) return 0;
      steps = std::min(steps, uint64_t(((epoch + 1) * channel_.rules.refresh.tREFI - 1 - to.hi) / period));
    }
  }
  if (steps == 0) return 0;
  const uint64_t pushes = to.pushes - from.pushes;
  bool fixed_fields = false;
  for (size_t i = 0; i < to.fields.size(); ++i) {
    if (from.fields[i] == to.fields[i]) continue;
    const int64_t value = to.fields[i] + to.ref;
    const FieldKind kind = FieldKind(period_.kinds[i]);
    if (kind == kMoves || kind == kRowOffset || from.fields[i] + from.ref != value) return 0;
    // Every column of the step and later ones comes >= from's channel_.state.last_col + tCCD_S: an ACT time this old
    // cannot bind a column again, and without ACTs nobody reads the ACT-only fields.
    if (kind == kActOnly && pushes != 0) return 0;
    if (kind == kActTime && value + std::max(channel_.rules.tRCD_RD, channel_.rules.tRCD_WR) > from.ref + channel_.rules.tCCD_S) return 0;
    fixed_fields = true;
  }
  // A field that stays put while the times move by whole refresh intervals would change its refresh epoch.
  if (fixed_fields && epochs_per_step != 0) return 0;
  if (pushes != 0)
    for (unsigned i = 0; i < 4; ++i) {
      const bool stale = from.ring[i] + channel_.rules.tFAW <= from.last_act + channel_.rules.tRRD_S && to.ring[i] + channel_.rules.tFAW <= to.last_act + channel_.rules.tRRD_S;
      if (!stale && to.ring[i] - from.ring[i] != period) return 0;
    }

  const int64_t delta = int64_t(steps) * period;
  const int64_t rows = int64_t(steps) * (to.row_base - from.row_base);
  const int64_t epochs = int64_t(steps) * epochs_per_step;
  size_t index = 0, field = scope.host ? 0 : 1;  // fields in take_snapshot()'s order (t first for streams)
  const auto move = [&](int64_t& value) {
    if (from.fields[field] == to.fields[field]) value += delta;
    ++field;
  };
  for_each_bit(scope.banks, [&](unsigned b) {
    hbm::BankState& bank = channel_.state.banks[b];
    move(bank.act_time);
    move(bank.earliest_act);
    move(bank.earliest_pre);
    move(bank.busy_until);
    ++field;
    bank.epoch += epochs;
    if (bank.open_row >= 0) bank.open_row += rows;
    hbm::add_repeated(channel_.stats.banks[b], to.stats[index], from.stats[index], steps);
    ++index;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    move(channel_.state.groups[g].last_act);
    move(channel_.state.groups[g].last_col);
  });
  channel_.state.last_col += delta;
  if (scope.host) channel_.state.bus_free += delta;
  channel_.stats.bus_busy_ps += steps * (to.bus_busy_ps - from.bus_busy_ps);
  // The ring ends with the last step's ACTs: those of `to`'s step, shifted. channel_.state.last_act follows.
  const unsigned kept = unsigned(std::min<uint64_t>(pushes, 4));
  for (uint64_t step = steps > 3 ? steps - 3 : 1; step <= steps && kept > 0; ++step)
    for (unsigned i = 4 - kept; i < 4; ++i) channel_.state.record_activation(to.ring[i] + int64_t(step) * period);
  if (!scope.host) channel_.state.stream_acts += steps * pushes;
  skipped_accesses_ += steps * units;
  *shift = delta;
  return steps * units;
}

}  // namespace aqpim::models
