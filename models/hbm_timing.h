// Timing engine of one HBM3 pseudo-channel, without SystemC: bank state (open row), the per-bank,
// per-bank-group and per-channel constraints, all-bank refresh and data-bus occupancy, in integer
// picoseconds. O(1) per column access; a run of accesses to one open row is timed in closed form.
//
// This class only wires the parts in models/hbm/ together (docs/models-hbm.md, "How the engine is
// organised"): the rules (timing_rules.h, all_bank_refresh.h) over one channel state (channel_state.h);
// the step-by-step reference that issues every command through them (reference.h) in the order the
// scheduling policy asks for (fcfs_scheduler.h: first come, first served, in call order); and the
// accelerators, each exact and tested bit for bit against the reference: the periodic jump
// (periodic_jump.h) and the interval memo (interval_memo.h) for long requests, the lockstep closed form
// (lockstep_jump.h) for all-bank PIM streams, and the memo shared by identical channels
// (shared_memo.h). access_reference() / bank_stream_reference() take the reference alone: the oracle.
// Host accesses use the external data bus; bank-side (PIM) streams do not (bank_stream()).
#pragma once

#include <cstdint>
#include <memory>

#include "models/hbm/channel.h"
#include "models/hbm/fcfs_scheduler.h"
#include "models/hbm/indirect_memo.h"
#include "models/hbm/indirect_pass.h"
#include "models/hbm/interval_memo.h"
#include "models/hbm/lockstep_jump.h"
#include "models/hbm/periodic_jump.h"
#include "models/hbm/shared_memo.h"
#include "models/hbm/timing_config.h"
#include "models/hbm/timing_stats.h"
#include "hwif/hbm_address_mapping.h"

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

  // Bank-side intra-row indirection pass (hbm/indirect_pass.h): chunk after chunk, the index streams into
  // the register file, then `lookups` row hits per token in each table row. Ranges must be valid. Returns
  // the end of the last access's data. O(chunks x (index rows + table rows)).
  uint64_t bank_indirect(uint64_t arrival_ps, uint64_t bank_mask, const hbm::IndirectPass& pass);

  // Test oracles: the same results as access() / bank_stream(), computed by the step-by-step reference
  // alone (row by row, bank by bank), without any accelerator or shared memo. Same effect on the state
  // and the statistics.
  uint64_t access_reference(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write);
  uint64_t bank_stream_reference(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                 uint64_t bytes_per_bank, bool is_write);
  uint64_t bank_indirect_reference(uint64_t arrival_ps, uint64_t bank_mask, const hbm::IndirectPass& pass);

  // Test aid: true when both engines would time every future request identically (bank, group and channel
  // state, compared field by field; statistics are not included).
  bool same_state(const HbmTimingEngine& other) const;
  // Diagnostic: column accesses (per bank, for bank streams) the periodic jump, the interval memo and the
  // lockstep closed form skipped, in the requests this engine timed itself (not in those it took from a shared memo).
  uint64_t skipped_accesses() const { return skipped_accesses_; }
  // Diagnostic: chunks of intra-row indirection passes replayed from the chunk memo.
  uint64_t indirect_chunk_replays() const { return chunk_memo_.replays(); }
  // Diagnostic: refresh intervals of host requests this engine replayed from its interval memo.
  uint64_t interval_memo_hits() const { return interval_memo_.replays(); }

  // Valid until the engine's next request: with a shared memo, replayed requests update the counters
  // only when they are asked for again.
  const HbmStats& stats() const {
    materialize();
    return channel_.stats;
  }
  void reset_stats();
  const HbmTimingConfig& config() const { return channel_.config; }
  const hwif::HbmAddressMap& address_map() const { return scheduler_.address_map(); }
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
  // A host request over at least PeriodicJump::kMinSteps address rows: the scheduler's runs, step by step,
  // unless the interval memo or the periodic jump can skip steps.
  uint64_t serve_long_request(uint64_t arrival_ps, uint64_t access_address, uint64_t accesses, bool is_write);
  // A bank stream, row by row through the reference (the oracle), or accelerated: lockstep closed form,
  // falling back to the periodic jump.
  enum class StreamMode { Reference, Accelerated };
  uint64_t time_bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset, uint64_t bytes_per_bank,
                            bool is_write, StreamMode mode);

  // Chunk by chunk; `accelerated` replays chunks from the chunk memo where it can.
  uint64_t time_indirect_pass(uint64_t arrival_ps, uint64_t bank_mask, const hbm::IndirectPass& pass,
                              bool accelerated);

  hbm::Channel channel_;
  hbm::FcfsScheduler scheduler_;
  uint64_t skipped_accesses_ = 0;
  hbm::PeriodicJump periodic_;
  hbm::IntervalMemo interval_memo_;
  hbm::LockstepJump lockstep_;
  hbm::IndirectChunkMemo chunk_memo_;
  hbm::SharedMemoCursor memo_;
  bool pristine_ = true;  // no request timed yet
};

}  // namespace aqpim::models
