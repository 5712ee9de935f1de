// Timing engine of one HBM3 pseudo-channel, without SystemC: bank state (open row), the per-bank,
// per-bank-group and per-channel constraints, all-bank refresh and data-bus occupancy, in integer
// picoseconds. O(1) per column access; a run of accesses to one open row is timed in closed form.
// Long bank streams and host accesses spanning many whole address rows are periodic between refresh
// windows (and usually from one refresh window to the next): once two boundaries show the same state
// relative to each other, the engine jumps over the repeats in closed form (docs/models-hbm.md,
// "Periodic fast path"). All-bank PIM streams, short and numerous, skip that detection: their banks run in
// lockstep, so one representative bank stands for all and proven rows are added in closed form ("Lockstep
// closed form"). access_reference() / bank_stream_reference() walk everything step by step and are the
// oracle the tests compare the fast paths with, exactly.
//
// Scheduling policy (docs/models-hbm.md has the formulas):
// - Requests are served in call order (first come, first served, no reordering). A request never
//   issues a command before an earlier-served request's command of the same kind (ACT after ACT by
//   >= tRRD_S, column after column by >= tCCD_S), so out-of-order arrival times from temporally
//   decoupled initiators are handled deterministically: the late caller queues behind the early one.
// - Refresh: all-bank, windows [k x tREFI, k x tREFI + tRFC) for k >= 1. No command is issued inside a
//   window; rows open when a window starts are closed by it (its PREab is counted inside tRFC).
// - Host accesses use the external data bus; bank-side (PIM) streams do not (bank_stream()).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/hbm/channel.h"
#include "models/hbm/fcfs_scheduler.h"
#include "models/hbm/lockstep_jump.h"
#include "models/hbm/shared_memo.h"
#include "models/hbm/timing_config.h"
#include "models/hbm/timing_stats.h"
#include "models/hbm_address_mapping.h"

namespace aqpim::models {

class HbmTimingEngine {
 public:
  explicit HbmTimingEngine(const HbmTimingConfig& config);

  // Joins a memo shared with engines of the same configuration (null leaves it). Throws
  // std::invalid_argument when the memo already serves another configuration.
  void share_memo(std::shared_ptr<HbmTimingMemo> memo);

  // Host access of [address, address + length) through the data bus, arriving at arrival_ps (address
  // and length already checked against the capacity, length > 0). Returns the end of the last data beat.
  uint64_t access(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write);

  // Bank-side stream: the banks in bank_mask move [bank_offset, bank_offset + bytes_per_bank) of their
  // own space in lockstep, one row after another: one all-bank ACT, a column access every tCCD_L, then a
  // precharge, per row. Range and mask must be valid. Returns the end of the last column's data.
  // O(banks + refresh windows crossed) once the banks are in lockstep (docs/models-hbm.md).
  uint64_t bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset, uint64_t bytes_per_bank,
                       bool is_write);

  // Test oracles: the same results as access() / bank_stream(), computed without the periodic fast path
  // (row by row, bank by bank). Same effect on the state and the statistics.
  uint64_t access_reference(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write);
  uint64_t bank_stream_reference(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                 uint64_t bytes_per_bank, bool is_write);

  // Test aid: true when both engines would time every future request identically (bank, group and channel
  // state, compared field by field; statistics are not included).
  bool same_state(const HbmTimingEngine& other) const;
  // Diagnostic: column accesses (per bank, for bank streams) the periodic fast path jumped over, in the
  // requests this engine timed itself (not in those it took from a shared memo).
  uint64_t skipped_accesses() const { return skipped_accesses_; }
  // Diagnostic: refresh intervals of host requests this engine replayed from its interval memo.
  uint64_t interval_memo_hits() const { return interval_memo_hits_; }

  // Valid until the engine's next request: with a shared memo, replayed requests update the counters
  // only when they are asked for again.
  const HbmStats& stats() const {
    materialize();
    return channel_.stats;
  }
  void reset_stats();
  const HbmTimingConfig& config() const { return channel_.config; }
  const HbmAddressMap& address_map() const { return scheduler_.address_map(); }
  // Read latency of one column access to an open row (CL + burst): what DMI users are told.
  uint64_t row_hit_read_ps() const { return uint64_t(channel_.rules.tCL + channel_.rules.tBL); }
  uint64_t row_hit_write_ps() const { return uint64_t(channel_.rules.tCWL + channel_.rules.tBL); }

 private:
  // Makes the fields and counters those of the memo state the engine is in. Logically const: the
  // engine is in that state already, its fields just lag behind. Every public entry point that reads or
  // changes the state calls this first, unless it goes through memo_.time().
  void materialize() const;
  // The engine's state is no longer one the memo recorded (a reference call timed a request outside it).
  void leave_memo();
  uint64_t access_fast(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write);

  uint64_t serve_long_request(uint64_t arrival_ps, uint64_t access_address, uint64_t accesses, bool is_write);
  // A bank stream, row by row through the reference (the oracle), or accelerated: lockstep closed form,
  // falling back to the periodic jump.
  enum class StreamMode { Reference, Accelerated };
  uint64_t time_bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset, uint64_t bytes_per_bank,
                            bool is_write, StreamMode mode);

  // Periodic fast path. A snapshot is the state a stream reads and writes (the banks in `banks`, their
  // groups, the channel), taken at a step boundary, with times relative to last_col_.
  struct PeriodScope {
    uint64_t banks = 0;
    uint64_t groups = 0;
    bool host = false;     // host streams also use bus_free_, and every run starts at t_eff
    bool is_write = false;  // the direction: the interval memo's key needs it (CL or CWL, tRCD, counters)
    int64_t t_eff = 0;     // outside_refresh(arrival) of a host stream
    // Shifting a stream by a multiple of block_units maps it onto itself, rows moved on; shifting by a
    // multiple of inner_units (0: never) does too, as long as it stays inside one block.
    uint64_t block_units = 1;
    uint64_t inner_units = 0;
  };
  struct PeriodSnapshot {
    bool valid = false;
    uint64_t position = 0;  // in column accesses
    int64_t row_base = 0;   // open rows are recorded relative to it
    int64_t ref = 0, lo = 0, hi = 0, last_act = 0;
    uint64_t pushes = 0, bus_busy_ps = 0;
    int64_t ring[4] = {0, 0, 0, 0};  // oldest first
    std::vector<int64_t> fields;  // layout and FieldKind of each: PeriodState::kinds
    std::vector<HbmBankStats> stats;  // of the banks in scope, ascending
  };
  struct PeriodState {
    PeriodSnapshot prev, cur, block_prev;
    std::vector<uint8_t> kinds;
    std::vector<PeriodSnapshot> anchors;  // first boundary of recent refresh intervals, a ring
    unsigned anchor_count = 0, anchor_next = 0;
    int64_t anchor_epoch = 0;
    unsigned misses = 0;  // boundaries since the last jump
    // Interval memo: the epoch of the last boundary seen, and the interval being recorded (if any).
    int64_t memo_epoch = 0;
    bool recording = false;
    std::vector<int64_t> recording_key, key;
    PeriodSnapshot recording_from;
  };
  // How a field may differ between two snapshots a step apart: every field must move by the period,
  // except that a bank's ACT time may stay put once it can no longer bind a column (a row-hit step), and
  // fields only ACTs read may stay put when the step issued no ACT at all.
  enum FieldKind : uint8_t { kMoves, kRowOffset, kActTime, kActOnly };
  static constexpr unsigned kAnchors = 16;
  void start_period(const PeriodScope& scope);
  void take_snapshot(const PeriodScope& scope, PeriodSnapshot& snapshot, uint64_t position, int64_t row_base,
                     int64_t t) const;
  // At a step boundary: records it and, when an earlier boundary proves the steps periodic, advances the
  // state over as many whole steps as are provably identical. Returns the column accesses jumped over
  // (0: none) and the time shift in *shift.
  uint64_t period_boundary(const PeriodScope& scope, uint64_t position, int64_t row_base, int64_t t,
                           uint64_t units_left, int64_t* shift);
  uint64_t try_jump(const PeriodScope& scope, const PeriodSnapshot& from, const PeriodSnapshot& to,
                    uint64_t units_left, int64_t* shift);

  // Interval memo (docs/models-hbm.md, "Interval memo"). A host stream's state at the first step boundary
  // of a refresh interval, relative to that interval (every time field, the ACT ring, the banks' refresh
  // epochs, the position in the address row), and its direction decide everything up to the first boundary
  // of the next interval: the same relative state met again, in this request or a later one, replays that interval
  // shifted by whole refresh intervals. Long host writes rarely repeat inside one request (their phase
  // against refresh drifts), but the same phases recur across requests.
  struct IntervalTransition {
    PeriodSnapshot from, to;
    std::vector<int64_t> to_epochs;  // refresh epoch of each bank in scope at `to`
  };
  struct KeyHash {
    size_t operator()(const std::vector<int64_t>& key) const;
  };
  // At the first boundary of a refresh interval: records the interval that just ended and, when the
  // current state was met before, replays the interval it starts. Returns the accesses replayed (0: none).
  uint64_t interval_boundary(const PeriodScope& scope, uint64_t units_left, int64_t* shift);
  // Whether a snapshot can key the memo: every time past the first refresh window, the request's arrival
  // unable to bind (as try_jump() requires) and four real ACTs in the ring.
  bool interval_keyable(const PeriodScope& scope, const PeriodSnapshot& snapshot) const;
  void interval_key(const PeriodScope& scope, const PeriodSnapshot& snapshot, std::vector<int64_t>& key) const;
  uint64_t replay_interval(const PeriodScope& scope, const IntervalTransition& interval, int64_t* shift);

  hbm::Channel channel_;
  hbm::FcfsScheduler scheduler_;
  uint64_t skipped_accesses_ = 0;
  PeriodState period_;
  hbm::LockstepJump lockstep_;
  std::unordered_map<std::vector<int64_t>, IntervalTransition, KeyHash> interval_memo_;
  hbm::SharedMemoCursor memo_;
  bool pristine_ = true;  // no request timed yet
  uint64_t interval_memo_hits_ = 0;
};

}  // namespace aqpim::models
