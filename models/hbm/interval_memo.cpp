#include "models/hbm/interval_memo.h"

#include <climits>
#include <utility>

#include "models/hbm/word_hash.h"

namespace aqpim::models::hbm {
namespace {
// Intervals one engine keeps (about 6 KiB each); a full memo starts over. The prefill's writes on the
// default channel meet between 128 and 256 phases: 100 x 8 MiB take 7.4 ms with 256 entries, 9.4 ms
// with 128 and 28 ms with 64.
constexpr size_t kEntries = 256;
}  // namespace

size_t IntervalMemo::KeyHash::operator()(const std::vector<int64_t>& key) const {
  WordHash hash;
  for (int64_t value : key) hash.mix(uint64_t(value));
  return size_t(hash.hash ^ (hash.hash >> 29));
}

void IntervalMemo::start_request() {
  epoch_ = INT64_MIN;
  recording_ = false;
}

bool IntervalMemo::keyable(const Channel& channel, const PeriodScope& scope, const PeriodSnapshot& snapshot) {
  return snapshot.lo >= channel.rules.refresh.tREFI && scope.t_eff <= snapshot.lo && snapshot.ring[0] >= 0;
}

// Reads and writes differ in CL/CWL, tRCD, recovery and counters: the direction is part of the key (a
// review found a write replaying a read's intervals before it was).
void IntervalMemo::key_of(const Channel& channel, const PeriodScope& scope, const PeriodSnapshot& snapshot,
                          std::vector<int64_t>& key) {
  const AllBankRefresh& refresh = channel.rules.refresh;
  const int64_t epoch = refresh.epoch_of(snapshot.ref);
  key.clear();
  key.push_back(scope.is_write);
  key.push_back(int64_t(snapshot.position % scope.block_units));
  key.push_back(snapshot.ref - epoch * refresh.tREFI);
  key.insert(key.end(), snapshot.fields.begin(), snapshot.fields.end());
  for (int64_t act : snapshot.ring) key.push_back(act - snapshot.ref);
  for_each_bit(scope.banks, [&](unsigned b) { key.push_back(channel.state.banks[b].epoch - epoch); });
}

uint64_t IntervalMemo::at_boundary(Channel& channel, const PeriodScope& scope, const PeriodSnapshot& now,
                                   uint64_t units_left, int64_t* shift) {
  const AllBankRefresh& refresh = channel.rules.refresh;
  if (!refresh.enabled || refresh.epoch_of(now.ref) == epoch_) return 0;
  epoch_ = refresh.epoch_of(now.ref);
  if (recording_) {
    if (intervals_.size() >= kEntries) intervals_.clear();
    Interval& interval = intervals_[recording_key_];
    interval.from = recording_from_;
    interval.to = now;
    interval.to_epochs.clear();
    for_each_bit(scope.banks, [&](unsigned b) { interval.to_epochs.push_back(channel.state.banks[b].epoch); });
    recording_ = false;
  }
  if (!keyable(channel, scope, now)) return 0;
  key_of(channel, scope, now, key_);
  const auto found = intervals_.find(key_);
  if (found != intervals_.end() && found->second.to.position - found->second.from.position <= units_left)
    return replay(channel, scope, found->second, now, shift);
  std::swap(recording_key_, key_);
  recording_from_ = now;
  recording_ = true;
  return 0;
}

// Sound for the reason the periodic jump is, with the shift a multiple of tREFI: equal keys make the
// current state the recorded one shifted by whole refresh intervals (all times past the first window),
// and the rules of an interval, refresh included, commute with such a shift. Every field is set from the
// recorded end state, shifted: one that the interval left alone was equal to the start's, shifted alike.
uint64_t IntervalMemo::replay(Channel& channel, const PeriodScope& scope, const Interval& interval,
                              const PeriodSnapshot& now, int64_t* shift) {
  ChannelState& state = channel.state;
  const PeriodSnapshot &from = interval.from, &to = interval.to;
  const int64_t delta = now.ref - from.ref;
  const int64_t base = to.ref + delta;
  const int64_t rows = now.row_base - from.row_base;
  const int64_t epochs = delta / channel.rules.refresh.tREFI;
  const int64_t* field = to.fields.data() + first_state_field(scope);
  size_t index = 0;
  for_each_bit(scope.banks, [&](unsigned b) {
    BankState& bank = state.banks[b];
    bank.act_time = *field++ + base;
    bank.earliest_act = *field++ + base;
    bank.earliest_pre = *field++ + base;
    bank.busy_until = *field++ + base;
    const int64_t open_row = *field++;
    bank.open_row = open_row == INT64_MIN ? -1 : open_row + to.row_base + rows;
    bank.epoch = interval.to_epochs[index] + epochs;
    add_repeated(channel.stats.banks[b], to.stats[index], from.stats[index], 1);
    ++index;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    state.groups[g].last_act = *field++ + base;
    state.groups[g].last_col = *field++ + base;
  });
  state.last_act = *field++ + base;
  state.last_col = *field++ + base;
  if (scope.host) {
    state.bus_free = *field++ + base;
    state.read_not_before = *field++ + base;
    state.write_not_before = *field++ + base;
    for_each_bit(scope.groups, [&](unsigned g) { state.group_read_not_before[g] = *field++ + base; });
  }
  int64_t ring[4];
  for (unsigned i = 0; i < 4; ++i) ring[i] = to.ring[i] + delta;
  state.recent_acts.assign(ring);
  channel.stats.bus_busy_ps += to.bus_busy_ps - from.bus_busy_ps;
  ++replays_;
  *shift = to.ref - from.ref;
  return to.position - from.position;
}

}  // namespace aqpim::models::hbm
