#include "models/hbm/period_snapshot.h"

#include <algorithm>
#include <climits>

namespace aqpim::models::hbm {

PeriodScope PeriodScope::host_request(const Channel& channel, bool whole_rows_only, uint64_t arrival_ps, bool is_write) {
  const hwif::HbmGeometry& geometry = channel.config.geometry;
  const unsigned banks = geometry.banks();
  PeriodScope scope;
  scope.banks = banks == 64 ? ~uint64_t(0) : (uint64_t(1) << banks) - 1;
  scope.groups = (uint64_t(1) << geometry.bank_groups) - 1;
  scope.host = true;
  scope.t_eff = channel.rules.refresh.outside_window(int64_t(arrival_ps));
  scope.is_write = is_write;
  scope.block_units = geometry.columns_per_row() * banks;
  scope.inner_units = whole_rows_only ? 0 : banks;
  return scope;
}

PeriodScope PeriodScope::bank_stream(uint64_t bank_mask, uint64_t groups, uint64_t columns_per_row) {
  PeriodScope scope;
  scope.banks = bank_mask;
  scope.groups = groups;
  scope.block_units = columns_per_row;
  return scope;
}

void snapshot_field_kinds(const PeriodScope& scope, std::vector<uint8_t>& kinds) {
  kinds.clear();
  if (!scope.host) kinds.push_back(kMoves);  // t
  for_each_bit(scope.banks, [&](unsigned) {
    for (FieldKind kind : {kActTime, kActOnly, kMoves, kMoves, kRowOffset}) kinds.push_back(kind);
  });
  for_each_bit(scope.groups, [&](unsigned) {
    kinds.push_back(kActOnly);
    kinds.push_back(kMoves);
  });
  kinds.push_back(kActOnly);  // last_act
  kinds.push_back(kMoves);    // last_col
  if (!scope.host) return;
  kinds.push_back(kMoves);  // bus_free
  kinds.push_back(kMoves);  // read_not_before
  kinds.push_back(kMoves);  // write_not_before
  for_each_bit(scope.groups, [&](unsigned) { kinds.push_back(kMoves); });  // group_read_not_before
}

void take_snapshot(const Channel& channel, const PeriodScope& scope, size_t field_count, uint64_t position,
                   int64_t row_base, int64_t t, PeriodSnapshot& snapshot) {
  const ChannelState& state = channel.state;
  snapshot.valid = true;
  snapshot.position = position;
  snapshot.row_base = row_base;
  const int64_t ref = state.last_col;
  snapshot.ref = ref;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  snapshot.fields.resize(field_count);
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
    const BankState& bank = state.banks[b];
    time(bank.act_time);
    time(bank.earliest_act);
    time(bank.earliest_pre);
    time(bank.busy_until);
    *field++ = bank.open_row >= 0 ? bank.open_row - row_base : INT64_MIN;
    *stats++ = channel.stats.banks[b];
    activations += channel.stats.banks[b].activations;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    time(state.groups[g].last_act);
    time(state.groups[g].last_col);
  });
  time(state.last_act);
  time(state.last_col);
  if (scope.host) {
    time(state.bus_free);
    time(state.read_not_before);
    time(state.write_not_before);
    for_each_bit(scope.groups, [&](unsigned g) { time(state.group_read_not_before[g]); });
  }
  snapshot.lo = lo;
  snapshot.hi = hi;
  snapshot.last_act = state.last_act;
  // ACT commands so far: one per host activation; streams count their all-bank ACTs themselves (keeping
  // the host's hot path free of the bookkeeping).
  snapshot.pushes = scope.host ? activations : state.stream_acts;
  snapshot.bus_busy_ps = channel.stats.bus_busy_ps;
  for (unsigned i = 0; i < 4; ++i) snapshot.ring[i] = state.recent_acts[i];
}

}  // namespace aqpim::models::hbm
