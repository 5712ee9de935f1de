// Bank-parallel scheduling (hbm.scheduler = bank_parallel): per-bank queues, so that a request whose bank
// is ready goes ahead of one waiting on another bank. The in-order scheduler never lets an ACT (or a
// column access) go before an earlier request's: one bank conflict holds up every request behind it, and
// a uniform random stream then reaches only part of what the banks allow (docs/models-hbm.md,
// "Scheduling").
//
// A loosely-timed model must return a request's completion when it is called, so a later call can never
// delay an earlier request. The policy is therefore strict age priority with booked commands: requests
// are admitted in call order, each into its bank's queue; a request's commands are then placed, one at a
// time, at the earliest command clock cycle where no constraint with any command placed so far is broken,
// before or after it (a ready bank's request fills the gaps an earlier one left while it waited for its
// bank). Per bank, requests keep their order (a FIFO per bank); shared between banks are the ACT limits
// (tRRD_S/L, tFAW), the column limits (tCCD_S/L), the data bus, read/write turnaround and refresh.
// Queues are `queue_depth` runs deep: a run is admitted once the run queue_depth places before it in its
// bank's queue has issued its last column access, and no earlier than the run before it (admission is in
// order, so a full queue holds up everything behind it, as a controller's request buffer does).
//
// Command times are whole command clock cycles (an arrival is rounded up to the next edge): the placed
// commands live in a ReservationTimeline of one bit per cycle, which answers each question in O(1).
// The bank rules are HbmTimingRules of the same bin in cycles, over a copy of the bank states in cycles;
// after every run the channel's own state (picoseconds) gets the bank's state and the latest ACTs and
// columns, which is all a bank stream's in-order rules read. A bank stream in between is not in the
// timeline: host commands after it go after its commands, as an in-order controller's would.
//
// Exact against a cycle-by-cycle reference controller in the test suite (testbenches/unit/
// hbm_cycle_reference.h), on random configurations and streams.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

#include "models/hbm/channel.h"
#include "models/hbm/host_runs.h"
#include "models/hbm/reservation_timeline.h"

namespace aqpim::models::hbm {

// AllBankRefresh::outside_window, remembering the last refresh-free stretch [window end, next window start):
// the searches ask about nearby cycles over and over, and each fresh answer costs a division.
class RefreshFreeStretch {
 public:
  explicit RefreshFreeStretch(const AllBankRefresh& refresh) : refresh_(refresh) {}
  int64_t outside_window(int64_t t) const {
    if (t >= from_ && t < until_) return t;
    t = refresh_.outside_window(t);
    if (!refresh_.enabled) {
      from_ = INT64_MIN;
      until_ = INT64_MAX;
    } else {
      const int64_t epoch = refresh_.epoch_of(t);
      from_ = epoch * refresh_.tREFI + (epoch >= 1 ? refresh_.tRFC : 0);
      until_ = (epoch + 1) * refresh_.tREFI;
    }
    return t;
  }

 private:
  const AllBankRefresh& refresh_;
  mutable int64_t from_ = 0, until_ = 0;
};

class BankParallelScheduler {
 public:
  explicit BankParallelScheduler(const HbmTimingConfig& config);

  // Serves `accesses` column accesses from access_address on, arriving at arrival_ps. Returns the end of
  // the last data beat (no earlier than the arrival).
  uint64_t serve(Channel& channel, uint64_t arrival_ps, uint64_t access_address, uint64_t accesses, bool is_write);

 private:
  struct Run {
    unsigned bank;
    unsigned group;
    int64_t row;
    uint64_t count;
    bool is_write;
  };

  // Admission of a run of `bank` arriving at `arrival` (cycles): in order, and once its queue has room.
  int64_t admit(unsigned bank, int64_t arrival);
  void depart(unsigned bank, int64_t last_column);
  // Places the run's commands from cycle t on; returns the end of its last data beat (ps) and its last
  // column access (cycles) in *last_column.
  uint64_t place(Channel& channel, const Run& run, int64_t t, int64_t* last_column);
  // The earliest cycle from `lower` on where an ACT / column access keeps every shared constraint with
  // every command booked so far.
  int64_t earliest_activate(int64_t lower, unsigned group);
  int64_t earliest_column(int64_t lower, unsigned group, bool is_write);
  // tFAW: `act` itself when no four-activate window containing it would be too short; otherwise the
  // earliest cycle that can end every such window (a lower bound for the next try).
  int64_t four_activate_window_bound(int64_t act) const;
  void book_activate(ChannelState& state, unsigned group, int64_t act);
  void book_column(unsigned group, int64_t column, bool is_write);
  // Booked commands reach the timeline lazily: only a search that cannot take the shortcut past every
  // booked command reads it, and requests one after another (a blocking initiator) never do.
  enum class Kind : uint8_t { Act, Read, Write };
  struct Booked {
    int64_t cycle;
    unsigned group;
    Kind kind;
  };
  void mark_booked();
  // After a run's columns: the latest column, read or write and burst end (cycles, and ps for the channel).
  void note_run_columns(ChannelState& state, unsigned group, int64_t last_column, bool is_write);
  // Past every booked command of its kind, the two-way checks reduce to the in-order rules over the
  // latest booked commands: these give that answer in O(1) (kNone: the candidate is not past them all, or
  // its burst may meet a booked one, and the timeline must be searched).
  int64_t activate_past_all(int64_t lower, unsigned group) const;
  int64_t column_past_all(int64_t lower, unsigned group, bool is_write) const;
  // An ACT into the timeline and the latest ones: of the channel (tRRD_S, tFAW), of a group (tRRD_L).
  void note_channel_activate(int64_t act, bool mark = true);
  void note_group_activate(unsigned group, int64_t act);
  // A bank stream ran since the last host request: take its bank states, and keep host commands after its.
  void catch_up_with_streams(const ChannelState& state);
  void write_back_bank(ChannelState& state, unsigned bank) const;

  unsigned act_lane(unsigned group) const { return 1 + group; }
  unsigned read_lane(unsigned group) const { return 3 + groups_ + group; }
  unsigned write_lane(unsigned group) const { return 3 + 2 * groups_ + group; }
  static constexpr unsigned kActs = 0;
  unsigned reads_lane() const { return 1 + groups_; }
  unsigned writes_lane() const { return 2 + groups_; }
  unsigned bus_lane() const { return 3 + 3 * groups_; }

  HostRuns runs_;
  const HbmTimingRules rules_;  // in command clock cycles
  const RefreshFreeStretch refresh_free_;
  const int64_t tck_;           // ps per cycle
  const unsigned groups_;
  const unsigned group_shift_;
  const bool closed_page_;
  const int64_t write_to_read_S_, write_to_read_L_, read_to_write_;  // cycles
  const int64_t lookback_;  // no constraint reaches further back than this
  ReservationTimeline timeline_;
  std::vector<Booked> booked_;  // not yet in the timeline
  std::vector<BankState> banks_;  // in cycles; busy_until unused (the channel's is in ps)
  const unsigned depth_;
  std::vector<int64_t> departures_;  // per bank, a ring of the last depth_ runs' last column accesses
  std::vector<unsigned> departure_next_;
  int64_t last_admission_ = 0;
  // The latest booked commands, in cycles (kNever: none), for the shortcut past them all.
  struct Latest {
    int64_t act = kNever;
    int64_t acts[4] = {kNever, kNever, kNever, kNever};  // the latest four ACTs, oldest first
    int64_t column = kNever, read = kNever, write = kNever;
    int64_t bus_end = kNever;  // end of the latest-ending burst
    std::vector<int64_t> group_act, group_column, group_write;
  } latest_;
  // After a bank stream: the earliest host ACT and column accesses (per channel, per group).
  int64_t act_floor_ = 0;
  int64_t column_floor_ = 0;
  std::vector<int64_t> group_column_floor_;
  int64_t seen_last_col_ = kNever;  // the channel's state as the last host request left it
  uint64_t seen_stream_acts_ = 0;
};

}  // namespace aqpim::models::hbm
