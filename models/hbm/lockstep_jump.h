// Lockstep closed form for bank streams (docs/models-hbm.md, "Lockstep closed form"). Once every bank of
// a stream and every group holding one have the same state, each row step does the same to all of them:
// one representative stands for the banks (StreamBanks), and a row that is proven periodic, its state at
// the end being its state at the start shifted by P, is added in closed form as many times as the
// stream still has rows before the next refresh window. A proof depends on nothing but that state (not
// on the row number, the mask or the call), so it is kept, per direction, for later rows and streams.
#pragma once

#include <cstdint>

#include "models/hbm/channel.h"
#include "models/hbm/reference.h"

namespace aqpim::models::hbm {

class LockstepJump {
 public:
  // Row steps a stream waits for its banks to become uniform before it gives up on lockstep for the rest
  // of the call: one all-bank row normally equalizes them (every bank gets the same ACT, PRE and data end).
  static constexpr unsigned kTries = 3;

  // Puts the banks in lockstep when every bank of the stream and every group holding one have the same
  // state; returns whether they are in lockstep now.
  static bool try_enter(const Channel& channel, StreamBanks& banks);
  // Writes the representative back to every bank and group of the stream: the end of a call in lockstep.
  static void leave(Channel& channel, const StreamBanks& banks);

  // Before a stream's first row.
  void start_stream();
  // At the start of a whole row, banks in lockstep: when this row or a kept proof shows the rows from
  // here on periodic, adds as many of them as provably repeat before the next refresh window (moving the
  // cursor, the representative and the channel on). Returns the rows added (0: none, time the row).
  uint64_t at_row_boundary(Channel& channel, StreamBanks& banks, StreamCursor& cursor);

  // A row boundary's times, relative to nothing: t and every time the next row reads (representative bank
  // and group, channel, tFAW ring oldest first), in this order.
  static constexpr unsigned kTimes = 13;

 private:
  struct Boundary {
    bool valid = false;
    uint64_t unit = 0;
    int64_t times[kTimes] = {};
    int64_t open_row = 0, epoch = 0;
    uint64_t acts = 0;
    HbmBankStats stats;
  };
  // A proven row: the state at its end (times as in a Boundary), its period and its counters.
  struct Proof {
    bool valid = false;
    int64_t period = 0;
    int64_t times[kTimes] = {};
    HbmBankStats per_row;
  };

  static void capture(const Channel& channel, const StreamBanks& banks, const StreamCursor& cursor, Boundary& to);
  static bool proves_row(const Channel& channel, const Boundary& from, const Boundary& to, uint64_t columns_per_row,
                         Proof& row);
  static bool extends(const Channel& channel, const Proof& proof, const Boundary& to);
  static void add_rows(Channel& channel, StreamBanks& banks, StreamCursor& cursor, const Boundary& to,
                       const Proof& row, uint64_t rows);

  Boundary boundaries_[2];
  unsigned newest_ = 0;
  Proof proofs_[2];  // [is_write]: read and write rows differ in timing and counters
};

}  // namespace aqpim::models::hbm
