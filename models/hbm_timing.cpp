#include "models/hbm_timing.h"

#include <algorithm>
#include <utility>

namespace aqpim::models {

HbmTimingEngine::HbmTimingEngine(const HbmTimingConfig& config) : channel_(config), scheduler_(config) {}

void HbmTimingEngine::reset_stats() {
  materialize();
  const size_t banks = channel_.stats.banks.size();
  channel_.stats = HbmStats();
  channel_.stats.banks.resize(banks);
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

bool HbmTimingEngine::same_state(const HbmTimingEngine& other) const {
  materialize();
  other.materialize();
  return channel_.state == other.channel_.state;
}

// ---- host requests: the scheduler's runs, long ones through the interval memo and the periodic jump ----

// Inlined into access(), the path of every host request (and into the memo's timing callback).
[[gnu::always_inline]] inline uint64_t HbmTimingEngine::access_fast(uint64_t arrival_ps, uint64_t address,
                                                                    uint64_t length, bool is_write) {
  ++channel_.stats.host_requests;
  const uint64_t first = scheduler_.first_access_address(address);
  const uint64_t accesses = scheduler_.accesses(address, length);
  if (accesses >= hbm::PeriodicJump::kMinSteps * scheduler_.accesses_per_address_row())
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
  const hwif::HbmGeometry& geometry = channel_.config.geometry;
  const hwif::HbmAddressMap& map = scheduler_.address_map();
  const unsigned shift_to_units = scheduler_.access_shift();
  const bool column_lowest = map.accesses_left_in_row(map.decode(0)) == geometry.columns_per_row();
  const hbm::PeriodScope scope = hbm::PeriodScope::host_request(channel_, column_lowest, arrival_ps, is_write);
  const uint64_t step_units = column_lowest ? scope.block_units : scope.inner_units;

  uint64_t completion = arrival_ps;
  const auto serve = [&](uint64_t accesses) {
    completion = std::max(completion, scheduler_.serve(channel_, arrival_ps, access_address, accesses, is_write));
    access_address += accesses << shift_to_units;
    remaining -= accesses;
  };
  const uint64_t head = (step_units - (access_address >> shift_to_units) % step_units) % step_units;
  if (head > 0) serve(head);
  periodic_.start(scope);
  interval_memo_.start_request();
  while (remaining >= step_units) {
    const uint64_t unit = access_address >> shift_to_units;
    const hbm::PeriodSnapshot& now = periodic_.take_snapshot(channel_, unit, int64_t(unit / scope.block_units), 0);
    int64_t shift = 0;
    uint64_t jumped = interval_memo_.at_boundary(channel_, scope, now, remaining, &shift);
    if (jumped > 0)
      periodic_.forget_boundaries();
    else
      jumped = periodic_.jump_if_periodic(channel_, remaining, &shift);
    if (jumped > 0) {
      skipped_accesses_ += jumped;
      access_address += jumped << shift_to_units;
      remaining -= jumped;
      completion = std::max(completion, uint64_t(channel_.state.bus_free));  // bus_free only grows within a request
      continue;
    }
    if (periodic_.gave_up()) break;
    serve(step_units);
  }
  if (remaining > 0) serve(remaining);
  return completion;
}

// ---- bank streams: the reference row by row, or the lockstep closed form, or the periodic jump ----

uint64_t HbmTimingEngine::bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                      uint64_t bytes_per_bank, bool is_write) {
  pristine_ = false;
  const HbmTimingMemo::Request request = {1, int64_t(arrival_ps), int64_t(bank_mask), int64_t(bank_offset),
                                           int64_t(bytes_per_bank), is_write};
  return memo_.time(channel_, request, [&] {
    return time_bank_stream(arrival_ps, bank_mask, bank_offset, bytes_per_bank, is_write, StreamMode::Accelerated);
  });
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
  hbm::StreamCursor cursor(arrival_ps, bank_offset >> shift_to_units,
                           (bank_offset + bytes_per_bank - 1) >> shift_to_units, columns_per_row, is_write);
  hbm::StreamBanks banks(channel_.state, bank_mask);
  // Steps are whole rows; the banks in the mask and their groups are all the stream touches.
  const hbm::PeriodScope scope = hbm::PeriodScope::bank_stream(bank_mask, banks.groups, columns_per_row);
  bool lockstep = mode == StreamMode::Accelerated;
  unsigned lockstep_tries = 0;
  lockstep_.start_stream();
  bool periodic = false;
  while (!cursor.done()) {
    if (lockstep && !banks.in_lockstep && !hbm::LockstepJump::try_enter(channel_, banks) &&
        ++lockstep_tries > hbm::LockstepJump::kTries) {
      lockstep = false;
      periodic = cursor.units_left() >= hbm::PeriodicJump::kMinSteps * columns_per_row;
      if (periodic) periodic_.start(scope);
    }
    if (banks.in_lockstep && cursor.at_whole_row()) {
      const uint64_t rows = lockstep_.at_row_boundary(channel_, banks, cursor);
      skipped_accesses_ += rows * columns_per_row;
      if (rows > 0) continue;
    }
    if (periodic && cursor.at_whole_row()) {
      int64_t shift = 0;
      periodic_.take_snapshot(channel_, cursor.unit, cursor.row(), cursor.t);
      const uint64_t jumped = periodic_.jump_if_periodic(channel_, cursor.units_left(), &shift);
      skipped_accesses_ += jumped;
      if (jumped > 0) {
        cursor.unit += jumped;
        cursor.t += shift;
        // Data ends only grow along a stream: the last row's is the latest.
        cursor.completion = std::max(cursor.completion, channel_.rules.data_end(channel_.state.last_col, is_write));
        continue;
      }
      periodic = !periodic_.gave_up();
    }
    hbm::time_stream_row(channel_, banks, cursor);
  }
  if (banks.in_lockstep) hbm::LockstepJump::leave(channel_, banks);
  return uint64_t(cursor.completion);
}

// ---- intra-row indirection passes: index chunks and table lookups, alternating in every bank ----

uint64_t HbmTimingEngine::bank_indirect(uint64_t arrival_ps, uint64_t bank_mask, const hbm::IndirectPass& pass) {
  pristine_ = false;
  const HbmTimingMemo::Request request = {2,
                                           int64_t(arrival_ps),
                                           int64_t(bank_mask),
                                           int64_t(pass.index[0].offset),
                                           int64_t(pass.index[0].bits_per_token),
                                           int64_t(pass.index[1].offset),
                                           int64_t(pass.index[1].bits_per_token),
                                           int64_t(pass.tokens),
                                           int64_t(pass.tokens_per_chunk),
                                           int64_t(pass.table_offset),
                                           int64_t(pass.table_rows),
                                           int64_t(pass.rows_per_table)};
  return memo_.time(channel_, request, [&] { return time_indirect_pass(arrival_ps, bank_mask, pass, true); });
}

uint64_t HbmTimingEngine::bank_indirect_reference(uint64_t arrival_ps, uint64_t bank_mask,
                                                  const hbm::IndirectPass& pass) {
  leave_memo();
  pristine_ = false;
  return time_indirect_pass(arrival_ps, bank_mask, pass, false);
}

// Chunk by chunk through the reference functions, the banks in lockstep as soon as they are uniform (one
// all-bank row usually makes them so): then each step is one representative's.
uint64_t HbmTimingEngine::time_indirect_pass(uint64_t arrival_ps, uint64_t bank_mask, const hbm::IndirectPass& pass,
                                             bool accelerated) {
  ++channel_.stats.pim_requests;
  int64_t t = int64_t(arrival_ps), completion = t;
  if (bank_mask == 0 || pass.tokens == 0) return arrival_ps;
  const uint64_t columns_per_row = channel_.config.geometry.columns_per_row();
  const unsigned shift_to_units = scheduler_.access_shift();
  const int64_t first_table_row = int64_t(pass.table_offset / channel_.config.geometry.row_bytes);
  hbm::StreamBanks banks(channel_.state, bank_mask);
  for (uint64_t chunk = 0; chunk < pass.chunks(); ++chunk) {
    if (!banks.in_lockstep) hbm::LockstepJump::try_enter(channel_, banks);
    if (accelerated && chunk_memo_.replay(channel_, banks, pass, chunk, t, completion)) {
      skipped_accesses_ += pass.table_rows * pass.lookups_per_row(chunk);
      continue;
    }
    int64_t chunk_completion = t;
    for (unsigned s = 0; s < 2; ++s) {
      if (pass.index[s].bits_per_token == 0) continue;
      hbm::StreamCursor cursor(uint64_t(t), pass.chunk_first_byte(s, chunk) >> shift_to_units,
                               (pass.chunk_end_byte(s, chunk) - 1) >> shift_to_units, columns_per_row, false);
      while (!cursor.done()) hbm::time_stream_row(channel_, banks, cursor);
      t = cursor.t;
      chunk_completion = std::max(chunk_completion, cursor.completion);
    }
    for (uint64_t row = 0; row < pass.table_rows; ++row)
      hbm::time_row_lookups(channel_, banks, first_table_row + int64_t(row), pass.lookups_per_row(chunk), t,
                            chunk_completion);
    completion = std::max(completion, chunk_completion);
    if (accelerated) chunk_memo_.record(channel_, banks, t, chunk_completion);
  }
  if (banks.in_lockstep) hbm::LockstepJump::leave(channel_, banks);
  return uint64_t(completion);
}

}  // namespace aqpim::models
