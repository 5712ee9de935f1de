#include "testbenches/unit/hbm_cycle_reference.h"

#include <algorithm>

namespace aqpim::models::timing_test {

CycleReference::CycleReference(const HbmTimingConfig& config)
    : config_(config),
      map_(config.mapping, config.geometry, config.address_bits),
      bank_parallel_(config.scheduler == HbmScheduler::BankParallel),
      tck_(int64_t(config.tck_ps)),
      burst_(int64_t(config.burst_ps / config.tck_ps)),
      banks_(config.geometry.banks()),
      queues_(config.geometry.banks()) {}

uint64_t CycleReference::access(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write) {
  const int64_t arrival = (int64_t(arrival_ps) + tck_ - 1) / tck_;
  const uint64_t access_bytes = config_.geometry.access_bytes;
  uint64_t at = address / access_bytes * access_bytes;
  uint64_t left = (address + length - 1) / access_bytes - address / access_bytes + 1;
  int64_t completion = int64_t(arrival_ps);
  const int64_t latency = is_write ? config_.cycles.nCWL : config_.cycles.nCL;
  while (left > 0) {
    const hwif::HbmLocation location = map_.decode(at);
    const uint64_t count = std::min(left, map_.accesses_left_in_row(location));
    const unsigned bank = map_.flat_bank(location);
    int64_t start = arrival;
    if (bank_parallel_) {  // in call order, once the run queue_depth places ahead in this bank has left
      std::vector<int64_t>& queue = queues_[bank];
      start = std::max(start, last_admission_);
      if (queue.size() >= config_.queue_depth) start = std::max(start, queue[queue.size() - config_.queue_depth]);
      last_admission_ = start;
    }
    const int64_t last_column = place_run(start, bank, int64_t(location.row), count, is_write);
    queues_[bank].push_back(last_column);
    if (config_.page_policy == HbmPagePolicy::Closed) {
      Bank& b = banks_[bank];
      const int64_t pre = first_cycle(0, [&](int64_t c) { return may_precharge(c, b); });
      b.act_floor = std::max(b.act_floor, epoch(pre) == epoch(b.act) ? pre + config_.cycles.nRP : pre);
      b.open = false;
    }
    completion = std::max(completion, (last_column + latency + burst_) * tck_);
    left -= count;
    at += count * access_bytes;
  }
  return uint64_t(completion);
}

int64_t CycleReference::place_run(int64_t t, unsigned bank_index, int64_t row, uint64_t count, bool is_write) {
  Bank& bank = banks_[bank_index];
  const unsigned group = bank_index / config_.geometry.banks_per_group;
  int64_t last_column = 0;
  while (count > 0) {
    t = first_cycle(t, [&](int64_t c) { return !in_refresh(c); });
    if (bank.open && epoch(bank.act) < epoch(t)) bank.open = false;  // a refresh window closed it
    const bool hit = bank.open && bank.row == row;
    if (!hit) {
      if (bank.open) {
        const int64_t pre = first_cycle(t, [&](int64_t c) { return may_precharge(c, bank); });
        // A PRE that would fall after a window start finds the row closed by the refresh: no tRP then.
        bank.act_floor = std::max(bank.act_floor, epoch(pre) == epoch(bank.act) ? pre + config_.cycles.nRP : pre);
        bank.open = false;
      }
      const int64_t act = first_cycle(t, [&](int64_t c) { return may_activate(c, bank_index, group); });
      commands_.insert({act, {Kind::Act, group}});
      bank = {true, row, act, true, bank.act_floor, -1, -1};
      ++activations_;
    }
    int64_t column = first_cycle(t, [&](int64_t c) { return may_access(c, bank_index, group, is_write); });
    while (true) {
      if (epoch(column) != epoch(bank.act)) {  // the row was refreshed away first: reopen after the window
        t = std::max(t, window_end(column));
        break;
      }
      commands_.insert({column, {is_write ? Kind::Write : Kind::Read, group}});
      const int64_t data = column + (is_write ? config_.cycles.nCWL : config_.cycles.nCL);
      bursts_[data] = data + burst_;
      (is_write ? bank.last_write : bank.last_read) = column;
      last_column = column;
      if (--count == 0) break;
      column = first_cycle(column + 1, [&](int64_t c) { return may_access(c, bank_index, group, is_write); });
    }
  }
  return last_column;
}

bool CycleReference::in_refresh(int64_t cycle) const {
  const int64_t refi = config_.cycles.nREFI;
  return config_.refresh && cycle >= refi && cycle % refi < int64_t(config_.cycles.nRFC);
}

int64_t CycleReference::epoch(int64_t cycle) const { return config_.refresh ? cycle / config_.cycles.nREFI : 0; }

int64_t CycleReference::window_end(int64_t cycle) const {
  return epoch(cycle) * config_.cycles.nREFI + config_.cycles.nRFC;
}

bool CycleReference::apart(int64_t x, int64_t c, int64_t x_to_c, int64_t c_to_x) const {
  if (c >= x + x_to_c) return true;
  return bank_parallel_ && x >= c + c_to_x;
}

bool CycleReference::may_precharge(int64_t cycle, const Bank& bank) const {
  const HbmTimingCycles& n = config_.cycles;
  if (in_refresh(cycle) || cycle < bank.act + n.nRAS) return false;
  if (bank.last_read >= 0 && cycle < bank.last_read + n.nRTP) return false;
  return bank.last_write < 0 || cycle >= bank.last_write + n.nCWL + burst_ + n.nWR;
}

bool CycleReference::may_activate(int64_t cycle, unsigned bank_index, unsigned group) const {
  const HbmTimingCycles& n = config_.cycles;
  const Bank& bank = banks_[bank_index];
  if (in_refresh(cycle) || cycle < bank.act_floor || (bank.activated && cycle < bank.act + n.nRC)) return false;
  for (const auto& [x, command] : commands_) {
    if (command.kind != Kind::Act) continue;
    const int64_t rrd = command.group == group ? n.nRRDL : n.nRRDS;
    if (!apart(x, cycle, rrd, rrd)) return false;
  }
  return four_activate_window_holds(cycle);
}

// No five ACTs, this one among them, within less than tFAW.
bool CycleReference::four_activate_window_holds(int64_t cycle) const {
  std::vector<int64_t> acts = {cycle};
  for (const auto& [x, command] : commands_)
    if (command.kind == Kind::Act) acts.push_back(x);
  std::sort(acts.begin(), acts.end());
  const auto self = std::find(acts.begin(), acts.end(), cycle) - acts.begin();
  for (ptrdiff_t first = std::max<ptrdiff_t>(0, self - 4); first <= self && first + 4 < ptrdiff_t(acts.size()); ++first)
    if (acts[size_t(first + 4)] - acts[size_t(first)] < int64_t(config_.cycles.nFAW)) return false;
  return true;
}

bool CycleReference::may_access(int64_t cycle, unsigned bank_index, unsigned group, bool is_write) const {
  const HbmTimingCycles& n = config_.cycles;
  const Bank& bank = banks_[bank_index];
  if (in_refresh(cycle) || cycle < bank.act + (is_write ? n.nRCDWR : n.nRCDRD)) return false;
  for (const auto& [x, command] : commands_) {
    if (command.kind == Kind::Act) continue;
    const bool same_group = command.group == group;
    const int64_t ccd = same_group ? n.nCCDL : n.nCCDS;
    if (!apart(x, cycle, ccd, ccd)) return false;
    const int64_t write_to_read = n.nCWL + burst_ + (same_group ? n.nWTRL : n.nWTRS);
    if (command.kind == Kind::Write && !is_write && !apart(x, cycle, write_to_read, n.nRTW)) return false;
    if (command.kind == Kind::Read && is_write && !apart(x, cycle, n.nRTW, write_to_read)) return false;
  }
  const int64_t data = cycle + (is_write ? n.nCWL : n.nCL);
  return bus_free(data, data + burst_);
}

// In order, a burst follows every earlier one; bank-parallel, it only must not overlap any.
bool CycleReference::bus_free(int64_t start, int64_t end) const {
  for (const auto& [other_start, other_end] : bursts_) {
    if (start >= other_end) continue;
    if (!bank_parallel_ || end > other_start) return false;
  }
  return true;
}

}  // namespace aqpim::models::timing_test
