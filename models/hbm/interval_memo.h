// The interval memo (docs/models-hbm.md, "Interval memo"). Inside one long host write the phase of the
// address-row pattern against refresh drifts from interval to interval, so the periodic jump's anchors
// rarely match within a request; but the same phases recur across requests (the prefill writes thousands
// of identical regions). A host request's state at the first step boundary of a refresh interval,
// relative to that interval (every time field, the tFAW ring, the banks' refresh epochs, the position in
// the address row), and its direction decide everything up to the first boundary of the next interval:
// the same relative state met again, in this request or a later one, replays that interval shifted by
// whole refresh intervals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/hbm/channel.h"
#include "models/hbm/period_snapshot.h"

namespace aqpim::models::hbm {

class IntervalMemo {
 public:
  // Before a host request's first step boundary.
  void start_request();
  // At every step boundary of a host request (`now` its snapshot); acts at the first one of each refresh
  // interval: records the interval that just ended and, when the current state was met before, replays
  // the interval it starts. Returns the column accesses replayed (0: none) and the time shift in *shift.
  uint64_t at_boundary(Channel& channel, const PeriodScope& scope, const PeriodSnapshot& now, uint64_t units_left,
                       int64_t* shift);
  // Diagnostic: refresh intervals replayed.
  uint64_t replays() const { return replays_; }

 private:
  struct Interval {
    PeriodSnapshot from, to;
    std::vector<int64_t> to_epochs;  // refresh epoch of each bank in scope at `to`
  };
  struct KeyHash {
    size_t operator()(const std::vector<int64_t>& key) const;
  };
  // Whether a snapshot can key the memo: every time past the first refresh window, the request's arrival
  // unable to bind (as the periodic jump requires) and four real ACTs in the ring.
  static bool keyable(const Channel& channel, const PeriodScope& scope, const PeriodSnapshot& snapshot);
  static void key_of(const Channel& channel, const PeriodScope& scope, const PeriodSnapshot& snapshot,
                     std::vector<int64_t>& key);
  uint64_t replay(Channel& channel, const PeriodScope& scope, const Interval& interval, const PeriodSnapshot& now,
                  int64_t* shift);

  std::unordered_map<std::vector<int64_t>, Interval, KeyHash> intervals_;
  uint64_t replays_ = 0;
  // The request under way: the epoch of its last boundary seen, and the interval being recorded (if any).
  int64_t epoch_ = 0;
  bool recording_ = false;
  std::vector<int64_t> recording_key_, key_;
  PeriodSnapshot recording_from_;
};

}  // namespace aqpim::models::hbm
