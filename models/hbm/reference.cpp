#include "models/hbm/reference.h"

#include <algorithm>
#include <climits>

namespace aqpim::models::hbm {
namespace {

// Busy time is the union of [first command, last data) over a bank's requests.
void add_busy(BankState& bank, HbmBankStats& stats, int64_t start, int64_t end) {
  const int64_t from = std::max(start, bank.busy_until);
  if (end > from) stats.busy_ps += uint64_t(end - from);
  bank.busy_until = std::max(bank.busy_until, end);
}

void count_host_columns(HbmBankStats& stats, uint64_t issued, bool hit, uint64_t access_bytes, bool is_write) {
  stats.row_hits += hit ? issued : issued - 1;
  stats.row_misses += hit ? 0 : 1;
  (is_write ? stats.writes : stats.reads) += issued;
  (is_write ? stats.bytes_written : stats.bytes_read) += issued * access_bytes;
}

}  // namespace

uint64_t time_host_run(Channel& channel, uint64_t arrival_ps, unsigned flat_bank, uint64_t row, uint64_t count,
                       bool is_write) {
  const HbmTimingRules& rules = channel.rules;
  const AllBankRefresh& refresh = rules.refresh;
  ChannelState& state = channel.state;
  BankState& bank = state.banks[flat_bank];
  BankGroupState& group = state.group_of(flat_bank);
  HbmBankStats& bank_stats = channel.stats.banks[flat_bank];
  // Same bank means same bank group: tCCD_L, and the bus must have carried the previous burst.
  const int64_t spacing = std::max(rules.tCCD_L, rules.tBL);
  int64_t t = int64_t(arrival_ps);
  int64_t completion = t;
  while (count > 0) {
    t = refresh.outside_window(t);
    refresh.close_row_if_refreshed(bank, t);
    const bool hit = bank.open_row == int64_t(row);
    int64_t first_command = INT64_MAX;
    if (!hit) {
      if (bank.open_row >= 0) first_command = rules.precharge(bank, t);
      const int64_t act = refresh.outside_window(rules.earliest_activate(state, bank, group, t));
      first_command = std::min(first_command, act);
      rules.activate(bank, group, int64_t(row), act);
      state.record_activation(act);
      ++bank_stats.activations;
    }
    const int64_t column = refresh.outside_window(std::max({rules.earliest_column_in_bank(bank, group, is_write),
                                                            rules.earliest_column_in_channel(state, t),
                                                            rules.earliest_column_on_bus(state, is_write)}));
    if (refresh.epoch_of(column) != bank.epoch) {  // a refresh closed the row first: reopen right after it
      t = std::max(t, refresh.window_end(column));
      continue;
    }
    const uint64_t issued = refresh.columns_before_next_window(column, spacing, count);
    const int64_t last_column = column + int64_t(issued - 1) * spacing;
    rules.columns_issued(bank, group, last_column, is_write);
    state.last_col = last_column;
    state.bus_free = rules.data_end(last_column, is_write);
    completion = std::max(completion, state.bus_free);
    count_host_columns(bank_stats, issued, hit, channel.config.geometry.access_bytes, is_write);
    channel.stats.bus_busy_ps += issued * uint64_t(rules.tBL);
    add_busy(bank, bank_stats, std::min(first_command, column), state.bus_free);
    count -= issued;
    t = last_column + spacing;
  }
  return uint64_t(completion);
}

namespace {

// The all-bank ACT of a stream row, where the row is not open yet in some bank: a single command, so it
// counts once against tRRD and tFAW. Returns the earliest command of the row so far (INT64_MAX: none).
int64_t open_stream_row(Channel& channel, StreamBanks& banks, int64_t row, int64_t t) {
  const HbmTimingRules& rules = channel.rules;
  int64_t first_command = INT64_MAX;
  int64_t act = kNever;
  banks.for_each(channel, [&](BankState& bank, BankGroupState& group, HbmBankStats&) {
    rules.refresh.close_row_if_refreshed(bank, t);
    if (bank.open_row == row) return;
    if (bank.open_row >= 0) first_command = std::min(first_command, rules.precharge(bank, t));
    act = std::max(act, rules.earliest_activate(channel.state, bank, group, t));
  });
  if (act == kNever) return first_command;
  act = rules.refresh.outside_window(act);
  banks.for_each(channel, [&](BankState& bank, BankGroupState& group, HbmBankStats& bank_stats) {
    if (bank.open_row == row) return;
    rules.activate(bank, group, row, act);
    ++bank_stats.pim_activations;
  });
  channel.state.record_activation(act);
  ++channel.state.stream_acts;
  return std::min(first_command, act);
}

}  // namespace

uint64_t issue_row_columns(Channel& channel, StreamBanks& banks, int64_t row, uint64_t wanted, bool is_write,
                           bool close_when_done, int64_t& t_io, int64_t& completion) {
  const HbmTimingRules& rules = channel.rules;
  const AllBankRefresh& refresh = rules.refresh;
  const int64_t t = refresh.outside_window(t_io);
  t_io = t;
  const int64_t first_command = open_stream_row(channel, banks, row, t);
  int64_t column = rules.earliest_column_in_channel(channel.state, t);
  banks.for_each(channel, [&](BankState& bank, BankGroupState& group, HbmBankStats&) {
    column = std::max(column, rules.earliest_column_in_bank(bank, group, is_write));
  });
  column = refresh.outside_window(column);
  bool refreshed = false;
  banks.for_each(channel, [&](BankState& bank, BankGroupState&, HbmBankStats&) {
    refreshed |= refresh.epoch_of(column) != bank.epoch;
  });
  if (refreshed) {  // a refresh closed the rows first: reopen after it
    banks.for_each(channel, [&](BankState& bank, BankGroupState&, HbmBankStats&) {
      refresh.close_row_if_refreshed(bank, column);
    });
    t_io = std::max(t, refresh.window_end(column));
    return 0;
  }
  const uint64_t issued = refresh.columns_before_next_window(column, rules.tCCD_L, wanted);
  const int64_t last_column = column + int64_t(issued - 1) * rules.tCCD_L;
  const int64_t data_end = rules.data_end(last_column, is_write);
  const uint64_t bytes = issued * channel.config.geometry.access_bytes;
  const bool close = close_when_done && issued == wanted;
  banks.for_each(channel, [&](BankState& bank, BankGroupState& group, HbmBankStats& bank_stats) {
    rules.columns_issued(bank, group, last_column, is_write);
    (is_write ? bank_stats.pim_writes : bank_stats.pim_reads) += issued;
    (is_write ? bank_stats.pim_bytes_written : bank_stats.pim_bytes_read) += bytes;
    add_busy(bank, bank_stats, std::min(first_command, column), data_end);
    if (close) rules.precharge(bank, bank.earliest_pre);
  });
  channel.state.last_col = last_column;
  completion = std::max(completion, data_end);
  t_io = last_column + rules.tCCD_L;
  return issued;
}

void time_stream_row(Channel& channel, StreamBanks& banks, StreamCursor& cursor) {
  const uint64_t wanted = std::min(cursor.units_left(), cursor.columns_per_row - cursor.unit % cursor.columns_per_row);
  cursor.unit += issue_row_columns(channel, banks, cursor.row(), wanted, cursor.is_write, true, cursor.t,
                                   cursor.completion);
}

void time_row_lookups(Channel& channel, StreamBanks& banks, int64_t row, uint64_t lookups, int64_t& t,
                      int64_t& completion) {
  while (lookups > 0) lookups -= issue_row_columns(channel, banks, row, lookups, false, true, t, completion);
}

}  // namespace aqpim::models::hbm
