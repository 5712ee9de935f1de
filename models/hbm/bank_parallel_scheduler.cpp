#include "models/hbm/bank_parallel_scheduler.h"

#include <algorithm>
#include <climits>

#include "models/hbm/run_accounting.h"

namespace aqpim::models::hbm {
namespace {

constexpr int64_t kNone = ReservationTimeline::kNone;

// The same bin with one command clock cycle as the time unit: HbmTimingRules then speak cycles.
HbmTimingConfig in_cycles(const HbmTimingConfig& config) {
  HbmTimingConfig cycles = config;
  cycles.tck_ps = 1;
  cycles.burst_ps = config.burst_ps / config.tck_ps;
  return cycles;
}

unsigned log2_of(unsigned value) {
  unsigned shift = 0;
  while ((1u << shift) < value) ++shift;
  return shift;
}

// ps -> cycles, rounded up (a bound stays a bound); kNever stays kNever.
int64_t up_to_cycles(int64_t ps, int64_t tck) {
  if (ps == kNever) return kNever;
  return ps >= 0 ? (ps + tck - 1) / tck : -((-ps) / tck);
}
int64_t to_ps(int64_t cycles, int64_t tck) { return cycles == kNever ? kNever : cycles * tck; }

}  // namespace

BankParallelScheduler::BankParallelScheduler(const HbmTimingConfig& config)
    : runs_(config),
      rules_(in_cycles(config)),
      refresh_free_(rules_.refresh),
      tck_(int64_t(config.tck_ps)),
      groups_(config.geometry.bank_groups),
      group_shift_(log2_of(config.geometry.banks_per_group)),
      closed_page_(config.page_policy == HbmPagePolicy::Closed),
      write_to_read_S_(rules_.write_to_read_S),
      write_to_read_L_(rules_.write_to_read_L),
      read_to_write_(rules_.read_to_write),
      lookback_(std::max({rules_.tRRD_L, rules_.tFAW, rules_.tCCD_L, write_to_read_L_, read_to_write_,
                          rules_.tBL}) + 64),
      timeline_(4 + 3 * config.geometry.bank_groups),
      banks_(config.geometry.banks()),
      depth_(config.queue_depth),
      departures_(size_t(config.geometry.banks()) * config.queue_depth, kNever),
      departure_next_(config.geometry.banks(), 0),
      group_column_floor_(config.geometry.bank_groups, 0) {
  latest_.group_act.assign(groups_, kNever);
  latest_.group_column.assign(groups_, kNever);
  latest_.group_write.assign(groups_, kNever);
}

uint64_t BankParallelScheduler::serve(Channel& channel, uint64_t arrival_ps, uint64_t access_address,
                                      uint64_t accesses, bool is_write) {
  catch_up_with_streams(channel.state);
  const int64_t arrival = up_to_cycles(int64_t(arrival_ps), tck_);  // the next command clock edge
  uint64_t completion = arrival_ps;
  runs_.for_each(access_address, accesses, [&](unsigned bank, uint64_t row, uint64_t count) {
    const Run run{bank, bank >> group_shift_, int64_t(row), count, is_write};
    int64_t last_column = 0;
    completion = std::max(completion, place(channel, run, admit(bank, arrival), &last_column));
    if (closed_page_) rules_.precharge(banks_[bank], banks_[bank].earliest_pre);
    write_back_bank(channel.state, bank);
    depart(bank, last_column);
  });
  seen_last_col_ = channel.state.last_col;
  seen_stream_acts_ = channel.state.stream_acts;
  return completion;
}

int64_t BankParallelScheduler::admit(unsigned bank, int64_t arrival) {
  const int64_t queue_slot_free = departures_[size_t(bank) * depth_ + departure_next_[bank]];
  last_admission_ = std::max({arrival, last_admission_, queue_slot_free});
  // Every later command comes at or after this admission: what lies further back can no longer bind.
  const int64_t bound = last_admission_ - lookback_;
  timeline_.forget_below(bound);
  booked_.erase(std::remove_if(booked_.begin(), booked_.end(), [&](const Booked& b) { return b.cycle < bound; }),
                booked_.end());
  return last_admission_;
}

void BankParallelScheduler::depart(unsigned bank, int64_t last_column) {
  unsigned& next = departure_next_[bank];
  departures_[size_t(bank) * depth_ + next] = last_column;
  next = next + 1 == depth_ ? 0 : next + 1;
}

// The in-order reference's run (time_host_run) with every shared constraint checked against the
// timeline instead of the latest command: PRE, ACT if the row is not open, then each column access at the
// earliest cycle it fits; a refresh window that closes the row first makes the run reopen it after it.
uint64_t BankParallelScheduler::place(Channel& channel, const Run& run, int64_t t, int64_t* last_column) {
  const AllBankRefresh& refresh = rules_.refresh;
  const bool write = run.is_write;
  BankState& bank = banks_[run.bank];
  HbmBankStats& bank_stats = channel.stats.banks[run.bank];
  BankGroupState group_unused;  // the timeline keeps the bank groups' commands
  uint64_t completion = 0;
  uint64_t left = run.count;
  while (left > 0) {
    t = refresh_free_.outside_window(t);
    // A refresh window since the row's ACT closed it (AllBankRefresh::close_row_if_refreshed, no division).
    if (bank.open_row >= 0 && refresh.enabled && t >= (bank.epoch + 1) * refresh.tREFI) bank.open_row = -1;
    const bool hit = bank.open_row == run.row;
    int64_t first_command = INT64_MAX;
    if (!hit) {
      if (bank.open_row >= 0) first_command = rules_.precharge(bank, t);
      const int64_t act = earliest_activate(std::max(t, bank.earliest_act), run.group);
      first_command = std::min(first_command, act);
      rules_.activate(bank, group_unused, run.row, act);
      book_activate(channel.state, run.group, act);
      ++bank_stats.activations;
    }
    const int64_t first_column = earliest_column(std::max(t, bank.act_time + rules_.tRCD(write)), run.group, write);
    int64_t column = first_column;
    uint64_t issued = 0;
    // Columns from the row's ACT on stay in its refresh interval while below the next one's start.
    const int64_t row_refreshed = refresh.enabled ? (bank.epoch + 1) * refresh.tREFI : INT64_MAX;
    while (column < row_refreshed) {
      book_column(run.group, column, write);
      rules_.columns_issued(bank, group_unused, column, write);
      *last_column = column;
      if (++issued == left) break;
      // The same bank's next access: tCCD_L and its own burst after this one, at least.
      column = earliest_column(column + std::max(rules_.tCCD_L, rules_.tBL), run.group, write);
    }
    if (issued > 0) {
      note_run_columns(channel.state, run.group, *last_column, write);
      const int64_t data_end = channel.rules.data_end(*last_column * tck_, write);
      count_host_columns(bank_stats, issued, hit, channel.config.geometry.access_bytes, write);
      channel.stats.bus_busy_ps += issued * uint64_t(channel.rules.tBL);
      add_busy(channel.state.banks[run.bank], bank_stats, std::min(first_command, first_column) * tck_, data_end);
      completion = std::max(completion, uint64_t(data_end));
      left -= issued;
    }
    if (left > 0) t = std::max(t, refresh.window_end(column));  // a refresh closed the row: reopen after it
  }
  return completion;
}

int64_t BankParallelScheduler::activate_past_all(int64_t lower, unsigned group) const {
  if (lower <= latest_.act) return kNone;
  return refresh_free_.outside_window(std::max({lower, latest_.act + rules_.tRRD_S,
                                                 latest_.group_act[group] + rules_.tRRD_L,
                                                 latest_.acts[0] + rules_.tFAW}));
}

int64_t BankParallelScheduler::earliest_activate(int64_t lower, unsigned group) {
  const int64_t rrd_s = rules_.tRRD_S, rrd_l = rules_.tRRD_L;
  int64_t act = std::max(lower, act_floor_);
  if (const int64_t past_all = activate_past_all(act, group); past_all != kNone) return past_all;
  mark_booked();
  for (;;) {
    act = refresh_free_.outside_window(act);
    // Every constraint is symmetric: a booked ACT x within d of the candidate pushes it to x + d.
    if (const int64_t x = timeline_.last_set(kActs, act - rrd_s + 1, act + rrd_s - 1); x != kNone) {
      act = x + rrd_s;
      continue;
    }
    if (const int64_t x = timeline_.last_set(act_lane(group), act - rrd_l + 1, act + rrd_l - 1); x != kNone) {
      act = x + rrd_l;
      continue;
    }
    const int64_t bound = four_activate_window_bound(act);
    if (bound == act) return act;
    act = bound;
  }
}

int64_t BankParallelScheduler::four_activate_window_bound(int64_t act) const {
  const int64_t faw = rules_.tFAW;
  // The nearest four ACTs on each side within tFAW (farther ones cannot shorten a window), nearest first.
  int64_t before[4], after[4];
  unsigned nb = 0, na = 0;
  if (faw <= 64) {  // one window of bits per side
    uint64_t early = timeline_.window(kActs, act - faw + 1) & ReservationTimeline::low_bits(unsigned(faw - 1));
    uint64_t late = timeline_.window(kActs, act + 1) & ReservationTimeline::low_bits(unsigned(faw - 1));
    if (ReservationTimeline::count_bits(early, 4) + ReservationTimeline::count_bits(late, 4) < 4) return act;
    for (; nb < 4 && early != 0; ++nb) {
      const unsigned bit = 63 - unsigned(__builtin_clzll(early));
      before[nb] = act - faw + 1 + bit;
      early &= ~(uint64_t(1) << bit);
    }
    for (; na < 4 && late != 0; ++na, late &= late - 1) after[na] = act + 1 + __builtin_ctzll(late);
  } else {
    if (timeline_.count(kActs, act - faw + 1, act + faw - 1, 4) < 4) return act;
    for (int64_t x = act - 1; nb < 4 && (x = timeline_.last_set(kActs, act - faw + 1, x)) != kNone; --x) before[nb++] = x;
    for (int64_t x = act + 1; na < 4 && (x = timeline_.first_set(kActs, x, act + faw - 1)) != kNone; ++x) after[na++] = x;
  }
  // Every run of five consecutive ACTs holding `act`: i of the others before it, 4 - i after.
  int64_t bound = act;
  for (unsigned i = 0; i <= 4; ++i) {
    if (i > nb || 4 - i > na) continue;
    const int64_t first = i > 0 ? before[i - 1] : act;
    const int64_t last = i < 4 ? after[3 - i] : act;
    if (last - first >= faw) continue;
    // Ending such a window needs the candidate past its last ACT, or (when it is the last) tFAW after the first.
    bound = std::max(bound, last == act ? first + faw : last + 1);
  }
  return bound;
}

int64_t BankParallelScheduler::column_past_all(int64_t lower, unsigned group, bool is_write) const {
  if (lower <= latest_.column) return kNone;
  const int64_t turnaround = is_write ? latest_.read + read_to_write_
                                      : std::max(latest_.write + write_to_read_S_,
                                                 latest_.group_write[group] + write_to_read_L_);
  const int64_t column = refresh_free_.outside_window(
      std::max({lower, latest_.column + rules_.tCCD_S, latest_.group_column[group] + rules_.tCCD_L, turnaround}));
  // A booked burst of the other direction may still end after this one would start.
  return column + rules_.data_latency(is_write) >= latest_.bus_end ? column : kNone;
}

int64_t BankParallelScheduler::earliest_column(int64_t lower, unsigned group, bool is_write) {
  const int64_t ccd_s = rules_.tCCD_S, ccd_l = rules_.tCCD_L, burst = rules_.tBL;
  const int64_t latency = rules_.data_latency(is_write);
  const auto latest_column = [&](unsigned reads, unsigned writes, int64_t lo, int64_t hi) {
    return std::max(timeline_.last_set(reads, lo, hi), timeline_.last_set(writes, lo, hi));
  };
  int64_t column = std::max({lower, column_floor_, group_column_floor_[group]});
  if (const int64_t past_all = column_past_all(column, group, is_write); past_all != kNone) return past_all;
  mark_booked();
  for (;;) {
    column = refresh_free_.outside_window(column);
    if (const int64_t x = latest_column(reads_lane(), writes_lane(), column - ccd_s + 1, column + ccd_s - 1); x != kNone) {
      column = x + ccd_s;
      continue;
    }
    if (const int64_t x = latest_column(read_lane(group), write_lane(group), column - ccd_l + 1, column + ccd_l - 1);
        x != kNone) {
      column = x + ccd_l;
      continue;
    }
    const int64_t data = column + latency;  // the burst needs [data, data + burst) of the bus
    if (const int64_t x = timeline_.last_set(bus_lane(), data, data + burst - 1); x != kNone) {
      column = x - latency + 1;
      continue;
    }
    // Turnaround, both ways: a read and a write x apart need x >= write-to-read (write first) or
    // x >= read-to-write (read first).
    const int64_t rtw = read_to_write_;
    if (is_write) {
      if (const int64_t x = timeline_.last_set(reads_lane(), column - rtw + 1, column + write_to_read_S_ - 1); x != kNone) {
        column = x + rtw;
        continue;
      }
      if (const int64_t x = timeline_.last_set(read_lane(group), column - rtw + 1, column + write_to_read_L_ - 1);
          x != kNone) {
        column = x + rtw;
        continue;
      }
    } else {
      if (const int64_t x = timeline_.last_set(writes_lane(), column - write_to_read_S_ + 1, column + rtw - 1); x != kNone) {
        column = x + write_to_read_S_;
        continue;
      }
      if (const int64_t x = timeline_.last_set(write_lane(group), column - write_to_read_L_ + 1, column + rtw - 1);
          x != kNone) {
        column = x + write_to_read_L_;
        continue;
      }
    }
    return column;
  }
}

void BankParallelScheduler::note_channel_activate(int64_t act, bool mark) {
  if (mark) timeline_.set(kActs, act);
  latest_.act = std::max(latest_.act, act);
  int64_t* acts = latest_.acts;
  if (act <= acts[0] || std::find(acts, acts + 4, act) != acts + 4) return;
  unsigned i = 0;  // keep the latest four, oldest first
  for (; i < 3 && acts[i + 1] < act; ++i) acts[i] = acts[i + 1];
  acts[i] = act;
}

void BankParallelScheduler::note_group_activate(unsigned group, int64_t act) {
  timeline_.set(act_lane(group), act);
  latest_.group_act[group] = std::max(latest_.group_act[group], act);
}

void BankParallelScheduler::book_activate(ChannelState& state, unsigned group, int64_t act) {
  note_channel_activate(act, false);
  latest_.group_act[group] = std::max(latest_.group_act[group], act);
  booked_.push_back({act, group, Kind::Act});
  // What a bank stream's in-order rules read: the latest ACT, per group, and the latest four.
  const int64_t act_ps = act * tck_;
  state.last_act = std::max(state.last_act, act_ps);
  state.groups[group].last_act = std::max(state.groups[group].last_act, act_ps);
  if (act_ps > state.recent_acts.oldest()) {
    int64_t kept[4] = {state.recent_acts[1], state.recent_acts[2], state.recent_acts[3], act_ps};
    for (unsigned i = 3; i > 0 && kept[i] < kept[i - 1]; --i) std::swap(kept[i], kept[i - 1]);
    state.recent_acts.assign(kept);
  }
}

void BankParallelScheduler::book_column(unsigned group, int64_t column, bool is_write) {
  booked_.push_back({column, group, is_write ? Kind::Write : Kind::Read});
}

void BankParallelScheduler::mark_booked() {
  for (const Booked& b : booked_) {
    if (b.kind == Kind::Act) {
      timeline_.set(kActs, b.cycle);
      timeline_.set(act_lane(b.group), b.cycle);
      continue;
    }
    const bool is_write = b.kind == Kind::Write;
    timeline_.set(is_write ? writes_lane() : reads_lane(), b.cycle);
    timeline_.set(is_write ? write_lane(b.group) : read_lane(b.group), b.cycle);
    timeline_.set_span(bus_lane(), b.cycle + rules_.data_latency(is_write), rules_.tBL);
  }
  booked_.clear();
}

// A run's columns come one after another: its last one is the latest of them.
void BankParallelScheduler::note_run_columns(ChannelState& state, unsigned group, int64_t last_column, bool is_write) {
  const int64_t bus_end = last_column + rules_.data_latency(is_write) + rules_.tBL;
  latest_.column = std::max(latest_.column, last_column);
  latest_.group_column[group] = std::max(latest_.group_column[group], last_column);
  int64_t& latest_of_kind = is_write ? latest_.write : latest_.read;
  latest_of_kind = std::max(latest_of_kind, last_column);
  if (is_write) latest_.group_write[group] = std::max(latest_.group_write[group], last_column);
  latest_.bus_end = std::max(latest_.bus_end, bus_end);
  // What a bank stream's in-order rules read: the latest column, per group, and the end of the bus.
  const int64_t column_ps = last_column * tck_;
  state.last_col = std::max(state.last_col, column_ps);
  state.groups[group].last_col = std::max(state.groups[group].last_col, column_ps);
  state.bus_free = std::max(state.bus_free, bus_end * tck_);
}

void BankParallelScheduler::catch_up_with_streams(const ChannelState& state) {
  if (state.last_col == seen_last_col_ && state.stream_acts == seen_stream_acts_) return;
  // Host commands go after the stream's: ACTs no earlier than its last (and spaced from the latest ones
  // by tRRD and tFAW through the timeline), column accesses tCCD after its last.
  act_floor_ = std::max(act_floor_, up_to_cycles(state.last_act, tck_));
  // No later host command reaches back before the stream's last ACT and column: forget what lies further
  // back first (a stream long after the last host request would otherwise stretch the ring across the gap).
  timeline_.forget_below(std::min(act_floor_, up_to_cycles(state.last_col, tck_)) - lookback_);
  for (unsigned g = 0; g < groups_; ++g)  // the latest ACTs per group, and (below) of the channel
    if (state.groups[g].last_act != kNever) note_group_activate(g, up_to_cycles(state.groups[g].last_act, tck_));
  for (unsigned i = 0; i < 4; ++i)
    if (state.recent_acts[i] != kNever) note_channel_activate(up_to_cycles(state.recent_acts[i], tck_));
  for (unsigned g = 0; g < groups_; ++g) {
    if (state.groups[g].last_col != kNever)
      group_column_floor_[g] =
          std::max(group_column_floor_[g], up_to_cycles(state.groups[g].last_col, tck_) + rules_.tCCD_L);
  }
  column_floor_ = std::max(column_floor_, up_to_cycles(state.last_col, tck_) + rules_.tCCD_S);
  for (size_t b = 0; b < banks_.size(); ++b) {
    const BankState& ps = state.banks[b];
    BankState& bank = banks_[b];
    bank.open_row = ps.open_row;
    bank.epoch = ps.epoch;
    bank.act_time = up_to_cycles(ps.act_time, tck_);
    bank.earliest_act = up_to_cycles(ps.earliest_act, tck_);
    bank.earliest_pre = up_to_cycles(ps.earliest_pre, tck_);
  }
}

void BankParallelScheduler::write_back_bank(ChannelState& state, unsigned bank) const {
  const BankState& cycles = banks_[bank];
  BankState& ps = state.banks[bank];
  ps.open_row = cycles.open_row;
  ps.epoch = cycles.epoch;
  ps.act_time = to_ps(cycles.act_time, tck_);
  ps.earliest_act = to_ps(cycles.earliest_act, tck_);
  ps.earliest_pre = to_ps(cycles.earliest_pre, tck_);
}

}  // namespace aqpim::models::hbm
