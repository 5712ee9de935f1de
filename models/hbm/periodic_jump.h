// The periodic jump (docs/models-hbm.md, "Periodic fast path"). A long host request and a bank stream
// that is not in lockstep repeat themselves step by step (an address row, a column across all banks, a
// row of a stream), each step the previous one shifted in time by a period P, until a refresh window
// breaks the pattern. At every step boundary the walker takes a snapshot; once an earlier snapshot shows
// that the step from it to the current one moved every field by exactly P (proven, never assumed), the
// channel jumps over as many repeats as provably stay the same, in closed form.
#pragma once

#include <cstdint>
#include <vector>

#include "models/hbm/channel.h"
#include "models/hbm/period_snapshot.h"

namespace aqpim::models::hbm {

class PeriodicJump {
 public:
  // Below this many whole steps the jump cannot win back its snapshots: it needs two clean steps to prove
  // a period and one more to jump over.
  static constexpr uint64_t kMinSteps = 4;

  // Before a request's first step boundary.
  void start(const PeriodScope& scope);
  // The snapshot of the step boundary the request stands at: what jump_if_periodic() and the interval
  // memo look at.
  const PeriodSnapshot& take_snapshot(const Channel& channel, uint64_t position, int64_t row_base, int64_t t);
  // After take_snapshot(): when an earlier boundary proves the steps periodic, moves the channel over as
  // many whole steps as provably repeat. Returns the column accesses jumped over (0: none) and the time
  // shift in *shift.
  uint64_t jump_if_periodic(Channel& channel, uint64_t units_left, int64_t* shift);
  // The channel moved on otherwise (the interval memo replayed an interval): earlier boundaries no longer
  // lead to this one.
  void forget_boundaries();
  // Too many boundaries without a jump: a pattern that never settles between two refresh windows (a few
  // address rows per window) must not pay for snapshots all along; the walker times the rest step by step.
  bool gave_up() const { return misses_ > kGiveUp; }

 private:
  static constexpr unsigned kGiveUp = 48;
  static constexpr unsigned kAnchors = 16;

  uint64_t try_jump(Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to, uint64_t units_left,
                    int64_t* shift) const;
  // How many repeats of the step from `from` to `to` provably follow `to` (0: none); *epochs_per_step is
  // the whole refresh intervals each one shifts by (0 when they stay between two windows).
  uint64_t provable_steps(const Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to,
                          uint64_t units_left, int64_t* epochs_per_step) const;
  // Whether every field of `to` is that of `from` moved by the period, or may stay put.
  bool fields_repeat(const Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to,
                     bool refresh_shift) const;
  void repeat_steps(Channel& channel, const PeriodSnapshot& from, const PeriodSnapshot& to, uint64_t steps,
                    int64_t epochs_per_step) const;

  PeriodScope scope_;
  std::vector<uint8_t> kinds_;  // FieldKind of each snapshot field
  PeriodSnapshot prev_, cur_;
  PeriodSnapshot block_prev_;  // the last boundary at the start of a block
  // Refresh windows break the pattern inside a refresh interval, but whole intervals often repeat (the
  // stream restarts at each window's end): the first boundary of each of the last kAnchors intervals.
  std::vector<PeriodSnapshot> anchors_;  // a ring
  unsigned anchor_count_ = 0, anchor_next_ = 0;
  int64_t anchor_epoch_ = 0;
  unsigned misses_ = 0;  // boundaries since the last jump
};

}  // namespace aqpim::models::hbm
