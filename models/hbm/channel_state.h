// The state of one pseudo-channel that the timing rules read and write, per bank, per bank group and per
// channel, in integer picoseconds. The step-by-step reference and every accelerator act on this one
// type. A new constraint that remembers a command adds its field here, and to every list of the fields
// (the shared memo's words, the periodic path's snapshots, the lockstep boundary): docs/models-hbm.md,
// "How the engine is organised".
#pragma once

#include <climits>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hwif/hbm_address_mapping.h"

namespace aqpim::models::hbm {

// "No such command yet": far enough below any time that a constraint added to it never binds.
inline constexpr int64_t kNever = INT64_MIN / 4;

struct BankState {
  int64_t open_row = -1;      // -1: precharged
  int64_t epoch = 0;          // refresh interval the open row was activated in (AllBankRefresh)
  int64_t act_time = kNever;  // last ACT
  int64_t earliest_act = 0;   // tRC after the last ACT, tRP after the last PRE
  int64_t earliest_pre = 0;   // tRAS after the last ACT, read or write recovery after the last column
  int64_t busy_until = 0;     // end of the last request's data here (busy-time statistics only)
};
// Six int64_t without padding: comparing the bytes compares every field, and costs what the lockstep
// path's uniformity check can afford.
static_assert(sizeof(BankState) == 6 * sizeof(int64_t), "BankState gained a field: see the comment above");
inline bool operator==(const BankState& a, const BankState& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct BankGroupState {
  int64_t last_act = kNever;
  int64_t last_col = kNever;
};
inline bool operator==(const BankGroupState& a, const BankGroupState& b) {
  return a.last_act == b.last_act && a.last_col == b.last_col;
}

// The channel's last four ACTs: tFAW holds a fifth back until the oldest is tFAW old.
class RecentActivations {
 public:
  int64_t oldest() const { return acts_[oldest_]; }
  // The i-th oldest, i < 4.
  int64_t operator[](unsigned i) const { return acts_[(oldest_ + i) & 3]; }
  void push(int64_t act) {
    acts_[oldest_] = act;
    oldest_ = (oldest_ + 1) & 3;
  }
  void assign(const int64_t (&oldest_first)[4]) {
    for (unsigned i = 0; i < 4; ++i) acts_[i] = oldest_first[i];
    oldest_ = 0;
  }
  bool operator==(const RecentActivations& other) const {
    for (unsigned i = 0; i < 4; ++i)
      if ((*this)[i] != other[i]) return false;
    return true;
  }

 private:
  int64_t acts_[4] = {kNever, kNever, kNever, kNever};  // a ring; [oldest_] is the oldest
  unsigned oldest_ = 0;
};

struct ChannelState {
  explicit ChannelState(const hwif::HbmGeometry& geometry);

  std::vector<BankState> banks;  // by flat bank index
  std::vector<BankGroupState> groups;
  int64_t last_act = kNever;  // any bank's last ACT (tRRD_S)
  int64_t last_col = kNever;  // any bank's last column access (tCCD_S)
  int64_t bus_free = 0;       // end of the last host burst on the data bus
  RecentActivations recent_acts;
  // Read/write turnaround of host column accesses (tWTR_S/L, tRTW), as the earliest time the next host
  // read may issue (after writes: in any bank group, and per group) and the next host write (after reads).
  // Kept no lower than last_col + tCCD_S, which every later column respects anyway: a bound no longer
  // binding then moves with the columns, and the periodic jump sees it repeat (HbmTimingRules::
  // host_columns_issued). Bank streams neither read nor write them.
  int64_t read_not_before = kNever;
  int64_t write_not_before = kNever;
  std::vector<int64_t> group_read_not_before;  // by bank group
  // A count, not a timing input: all-bank ACTs of bank streams so far. The periodic path needs the ACTs
  // a stream step issued (host steps count theirs in the statistics, off the host's hot path).
  uint64_t stream_acts = 0;

  unsigned group_index(unsigned bank) const { return bank >> group_shift_; }
  BankGroupState& group_of(unsigned bank) { return groups[bank >> group_shift_]; }
  const BankGroupState& group_of(unsigned bank) const { return groups[bank >> group_shift_]; }
  // The channel's part of an ACT: tRRD_S and tFAW remember it.
  void record_activation(int64_t act) {
    last_act = act;
    recent_acts.push(act);
  }
  // The bank groups holding the banks of bank_mask, as a mask.
  uint64_t groups_of(uint64_t bank_mask) const;

  // The timing fields as words in a fixed order, stream_acts excepted (a count): what a shared-memo state
  // records and restores.
  void save_words(std::vector<int64_t>& words) const;
  void load_words(const std::vector<int64_t>& words);
  // Field by field, stream_acts included: true when both would time every future request identically.
  bool operator==(const ChannelState& other) const;

 private:
  unsigned group_shift_;  // log2(banks per group): a flat bank index >> group_shift_ is its group
};

template <class Body>
void for_each_bit(uint64_t mask, Body&& body) {
  for (; mask != 0; mask &= mask - 1) body(unsigned(__builtin_ctzll(mask)));
}
inline unsigned lowest_bit(uint64_t mask) { return unsigned(__builtin_ctzll(mask)); }

}  // namespace aqpim::models::hbm
