// A slow memory controller for one HBM pseudo-channel, the oracle of the timing engine's schedulers: it
// issues one command at a time, trying cycle after cycle, and at each cycle checks every timing
// constraint against every command issued so far (kept as plain lists), with nothing derived or cached.
//
// The schedulers it specifies, host requests only:
// - in_order: every command no earlier than the request's arrival, and after every earlier-issued command
//   it is constrained by (ACTs after ACTs, columns after columns, bursts after bursts on the bus);
// - bank_parallel: per-bank queues of queue_depth runs, admitted in call order; a command may go before
//   commands issued earlier (for other banks) as long as every constraint holds both ways. Arrivals are
//   rounded up to the next command clock edge.
// Both split a request into the same runs (accesses to one row of one bank) and share the bank and
// refresh rules; docs/models-hbm.md states them. Times are whole cycles, so tests use arrivals on the
// clock and a burst of whole cycles.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "hwif/hbm_address_mapping.h"
#include "models/hbm/timing_config.h"

namespace aqpim::models::timing_test {

class CycleReference {
 public:
  explicit CycleReference(const HbmTimingConfig& config);

  // The end of the request's last data beat, in ps.
  uint64_t access(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write);
  uint64_t activations() const { return activations_; }

 private:
  enum class Kind { Act, Read, Write };
  struct Command {
    Kind kind;
    unsigned group;
  };
  struct Bank {
    bool open = false;
    int64_t row = -1;
    int64_t act = 0;
    bool activated = false;
    int64_t act_floor = 0;  // PRE + tRP (or where a refresh closed the row instead)
    int64_t last_read = -1, last_write = -1;  // of the open row, -1: none
  };

  // Places one run from cycle t on; returns the cycle of its last column access.
  int64_t place_run(int64_t t, unsigned bank, int64_t row, uint64_t count, bool is_write);
  bool in_refresh(int64_t cycle) const;
  int64_t epoch(int64_t cycle) const;
  int64_t window_end(int64_t cycle) const;  // end of the latest window starting at or before cycle
  // May the later of two commands x and c (d cycles at least from x to c, or e from c to x) issue at c?
  bool apart(int64_t x, int64_t c, int64_t x_to_c, int64_t c_to_x) const;
  bool may_precharge(int64_t cycle, const Bank& bank) const;
  bool may_activate(int64_t cycle, unsigned bank, unsigned group) const;
  bool four_activate_window_holds(int64_t cycle) const;
  bool may_access(int64_t cycle, unsigned bank, unsigned group, bool is_write) const;
  bool bus_free(int64_t start, int64_t end) const;
  // The first cycle from t on where allowed(cycle) holds.
  template <class Allowed>
  int64_t first_cycle(int64_t t, Allowed&& allowed) const {
    while (!allowed(t)) ++t;
    return t;
  }

  HbmTimingConfig config_;
  hwif::HbmAddressMap map_;
  bool bank_parallel_;
  int64_t tck_, burst_;
  std::vector<Bank> banks_;
  std::multimap<int64_t, Command> commands_;  // every ACT and column access, by cycle
  std::map<int64_t, int64_t> bursts_;          // data bus: start -> end (cycles)
  std::vector<std::vector<int64_t>> queues_;   // per bank: last column of each run admitted so far
  int64_t last_admission_ = 0;
  uint64_t activations_ = 0;
};

}  // namespace aqpim::models::timing_test
