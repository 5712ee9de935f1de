// What an HBM3 pseudo-channel's timing engine is configured with: geometry and address mapping, page
// policy, the speed bin in tCK, the clock and burst time, refresh on or off. Plain values, no SystemC.
#pragma once

#include <cstdint>
#include <string>

#include "core/enum_names.h"
#include "hwif/hbm_address_mapping.h"

namespace aqpim::models {

enum class HbmPagePolicy { Open, Closed };
inline constexpr core::EnumName<HbmPagePolicy> kHbmPagePolicyNames[] = {{HbmPagePolicy::Open, "open"},
                                                                    {HbmPagePolicy::Closed, "closed"}};

// Which host request the channel serves next (docs/models-hbm.md, "Scheduling"). InOrder: first come,
// first served, every command kind in call order. BankParallel: per-bank queues; a request whose bank is
// ready goes ahead of one waiting on another bank, into any gap the commands placed so far leave.
enum class HbmScheduler { InOrder, BankParallel };
inline constexpr core::EnumName<HbmScheduler> kHbmSchedulerNames[] = {{HbmScheduler::InOrder, "in_order"},
                                                                  {HbmScheduler::BankParallel, "bank_parallel"}};

// In tCK. Defaults: HBM3 6400 Mbps speed bin (docs/models-hbm.md cites the source).
struct HbmTimingCycles {
  unsigned nCL = 20;
  unsigned nRCDRD = 31;
  unsigned nRCDWR = 15;
  unsigned nRP = 26;
  unsigned nRAS = 45;
  unsigned nRC = 72;
  unsigned nWR = 26;
  unsigned nCCDS = 2;
  unsigned nCCDL = 4;
  unsigned nRRDS = 4;
  unsigned nRRDL = 5;
  unsigned nFAW = 24;
  unsigned nRFC = 320;
  unsigned nREFI = 6240;
  unsigned nRTP = 4;  // read to precharge (assumed: tCCD_L; docs/models-hbm.md)
  unsigned nCWL = 8;  // write command to its first data beat (assumed; docs/models-hbm.md)
  // Read/write turnaround between host column accesses (0 = none beyond the data bus). Write to read:
  // the read waits nCWL + burst + nWTR_S (other bank group) or nWTR_L (same group) after the write
  // command; read to write: the write waits nRTW after the read command. The same nanoseconds as
  // Ramulator 2's HBM3 6.4 Gbps bin, and nRTW = nCL + burst + 2 - nCWL, its read-to-write formula.
  unsigned nWTRS = 10;
  unsigned nWTRL = 13;
  unsigned nRTW = 16;
};

struct HbmTimingConfig {
  hwif::HbmGeometry geometry;
  hwif::HbmAddressMapping mapping = hwif::HbmAddressMapping::RoBaBgCoCh;
  std::string address_bits;  // a bit list replacing `mapping` when not empty (hwif/hbm_address_mapping.h)
  HbmPagePolicy page_policy = HbmPagePolicy::Open;
  HbmTimingCycles cycles;
  uint64_t tck_ps = 625;
  uint64_t burst_ps = 1250;  // one column access on the data bus: burst_length / data rate
  bool refresh = true;
  HbmScheduler scheduler = HbmScheduler::InOrder;
  // Bank-parallel only: host runs (accesses to one row of one bank) each bank's queue holds; a run whose
  // bank queue is full waits, and so does every run behind it.
  unsigned queue_depth = 8;

  // Throws std::invalid_argument naming the offending field.
  void validate() const;
};

}  // namespace aqpim::models
