// The DRAM timing rules of one HBM3 pseudo-channel (JESD238A constraints, in ps), stated once: which
// command must wait for which, by how much, and at which scope the earlier command is remembered.
//
//   constraint      earlier -> later   scope       remembered in
//   tRCD_RD/WR      ACT -> RD/WR       bank        BankState::act_time
//   tRAS            ACT -> PRE         bank        BankState::earliest_pre
//   tRTP            RD  -> PRE         bank        BankState::earliest_pre
//   tCWL+tBL+tWR    WR  -> PRE         bank        BankState::earliest_pre
//   tRC             ACT -> ACT         bank        BankState::earliest_act
//   tRP             PRE -> ACT         bank        BankState::earliest_act
//   tRRD_L          ACT -> ACT         bank group  BankGroupState::last_act
//   tCCD_L          col -> col         bank group  BankGroupState::last_col
//   tRRD_S          ACT -> ACT         channel     ChannelState::last_act
//   tFAW            4 ACTs -> ACT      channel     ChannelState::recent_acts
//   tCCD_S          col -> col         channel     ChannelState::last_col
//   data bus        burst -> burst     channel     ChannelState::bus_free (host accesses only)
//   tCWL+tBL+tWTR_S WR  -> RD          channel     ChannelState::read_not_before (host accesses only)
//   tCWL+tBL+tWTR_L WR  -> RD          bank group  ChannelState::group_read_not_before (host only)
//   tRTW            RD  -> WR          channel     ChannelState::write_not_before (host accesses only)
//   tRFC, tREFI     refresh windows    all banks   AllBankRefresh
//
// Each command kind has one function below that applies its rows of the table: the earliest time it may
// issue, and what it imposes on later commands. The reference (reference.h) issues every command through
// them; the accelerators never compute a time themselves, they only replay what these produced.
// Turnaround applies between host accesses (the external data bus changing direction); bank streams
// move data inside the die and neither see nor leave it. Not modelled: per-bank refresh, power-down.
#pragma once

#include <algorithm>
#include <cstdint>

#include "models/hbm/all_bank_refresh.h"
#include "models/hbm/channel_state.h"
#include "models/hbm/timing_config.h"

namespace aqpim::models::hbm {

struct HbmTimingRules {
  explicit HbmTimingRules(const HbmTimingConfig& config);

  const int64_t tRCD_RD, tRCD_WR, tRAS, tRC, tRP, tRTP, tWR, tRRD_S, tRRD_L, tFAW, tCCD_S, tCCD_L;
  const int64_t tCL, tCWL;  // column command to its first data beat: read, write
  const int64_t tBL;        // one burst (one column access) on the data bus
  // Write command to the next read command, other bank group / same group (tCWL + tBL + tWTR_S/L), and
  // read command to the next write command (tRTW).
  const int64_t write_to_read_S, write_to_read_L, read_to_write;
  const AllBankRefresh refresh;

  int64_t tRCD(bool is_write) const { return is_write ? tRCD_WR : tRCD_RD; }
  int64_t data_latency(bool is_write) const { return is_write ? tCWL : tCL; }
  // End of the last data beat of a column access issued at `column`.
  int64_t data_end(int64_t column, bool is_write) const { return column + data_latency(is_write) + tBL; }
  // Last column access to precharge of its bank: tRTP after a read, write recovery after a write.
  int64_t column_to_precharge(bool is_write) const { return is_write ? tCWL + tBL + tWR : tRTP; }

  // ACT: the earliest `bank` may be activated at or after t (before refresh windows are skipped).
  int64_t earliest_activate(const ChannelState& channel, const BankState& bank, const BankGroupState& group,
                            int64_t t) const {
    return std::max({t, bank.earliest_act, group.last_act + tRRD_L, channel.last_act + tRRD_S,
                     channel.recent_acts.oldest() + tFAW});
  }
  // What an ACT at `act` imposes on its bank and group; ChannelState::record_activation() does the
  // channel's part (once for an all-bank ACT).
  void activate(BankState& bank, BankGroupState& group, int64_t row, int64_t act) const {
    bank.open_row = row;
    bank.epoch = refresh.epoch_of(act);
    bank.act_time = act;
    bank.earliest_pre = act + tRAS;
    bank.earliest_act = act + tRC;
    group.last_act = act;
  }

  // PRE: precharges the bank's open row no earlier than t; returns the PRE time.
  int64_t precharge(BankState& bank, int64_t t) const {
    const int64_t pre = refresh.outside_window(std::max(t, bank.earliest_pre));
    // A refresh that starts before the PRE could issue closes the row itself; the next ACT then waits for it.
    bank.earliest_act = std::max(bank.earliest_act, refresh.epoch_of(pre) == bank.epoch ? pre + tRP : pre);
    bank.open_row = -1;
    return pre;
  }

  // Column access (RD or WR): the earliest the bank and its group allow; the channel's rules below add
  // theirs, and refresh windows are skipped last.
  int64_t earliest_column_in_bank(const BankState& bank, const BankGroupState& group, bool is_write) const {
    return std::max(bank.act_time + tRCD(is_write), group.last_col + tCCD_L);
  }
  int64_t earliest_column_in_channel(const ChannelState& channel, int64_t t) const {
    return std::max(t, channel.last_col + tCCD_S);
  }
  // The data bus carries bursts in order: this one's data may start when the previous burst ended.
  int64_t earliest_column_on_bus(const ChannelState& channel, bool is_write) const {
    return channel.bus_free - data_latency(is_write);
  }
  // Read/write turnaround: the earliest a host column access of this direction may issue in `group`.
  int64_t earliest_column_after_turnaround(const ChannelState& channel, unsigned group, bool is_write) const {
    return is_write ? channel.write_not_before
                    : std::max(channel.read_not_before, channel.group_read_not_before[group]);
  }
  // What column accesses up to `last_column` impose on their bank and group; the channel's last_col and
  // bus_free are set by the caller (once for all banks of a stream; host accesses only use the bus).
  void columns_issued(BankState& bank, BankGroupState& group, int64_t last_column, bool is_write) const {
    group.last_col = last_column;
    bank.earliest_pre = std::max(bank.earliest_pre, last_column + column_to_precharge(is_write));
  }
  // The turnaround a host run's columns up to `last_column` impose. Every bound is then raised to
  // last_column + tCCD_S, which any later column respects anyway (last_col only grows): a bound that no
  // longer binds so moves with the columns (the periodic jump needs the fields of a repeating step to
  // move by its period), and the results stay those of the plain rule.
  void host_columns_issued(ChannelState& channel, unsigned group, int64_t last_column, bool is_write) const {
    const HostTurnaround& after = is_write ? after_write_ : after_read_;
    channel.read_not_before = std::max(channel.read_not_before, last_column + after.read);
    channel.write_not_before = std::max(channel.write_not_before, last_column + after.write);
    int64_t& group_read = channel.group_read_not_before[group];
    group_read = std::max(group_read, last_column + after.group_read);
  }

 private:
  // What a host column imposes on the next read, write and read in its group, each at least tCCD_S
  // (the raise that keeps no-longer-binding bounds moving with the columns).
  struct HostTurnaround {
    int64_t read, write, group_read;
  };
  const HostTurnaround after_read_, after_write_;

 public:
};

}  // namespace aqpim::models::hbm
