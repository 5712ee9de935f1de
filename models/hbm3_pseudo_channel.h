// Loosely-timed TLM-2.0 model of one HBM3 pseudo-channel: a target for any number of initiators (the
// host path and the PIM unit of the same channel). b_transport times every request analytically with
// HbmTimingEngine and adds (completion - arrival) to the delay, never waiting; data lives in a sparse
// store handed out through DMI one chunk at a time. bank_socket takes bank-side (PIM) streams, a protocol
// of their own: see models/bank_stream_protocol.h. docs/models-hbm.md has the formulas.
#pragma once

#include <cstdint>
#include <memory>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/bank_stream_protocol.h"
#include "hwif/hbm_address_mapping.h"
#include "models/hbm_sparse_store.h"
#include "models/hbm_timing.h"
#include "hwif/trace_sink.h"

namespace aqpim::models {

// Defaults: HBM3 6400 Mbps, 4 bank groups x 4 banks, 1 KiB rows, 32-bit pseudo-channel, BL8.
struct Hbm3PseudoChannelConfig {
  unsigned bank_groups = 4;
  unsigned banks_per_group = 4;
  uint64_t rows_per_bank = 32768;
  uint64_t row_bytes = 1024;
  unsigned data_width_bits = 32;
  unsigned burst_length = 8;
  double data_rate_gbps = 6.4;  // per pin
  HbmPagePolicy page_policy = HbmPagePolicy::Open;
  hwif::HbmAddressMapping address_mapping = hwif::HbmAddressMapping::RoBaBgCoCh;
  std::string address_bits;  // a bit list replacing address_mapping when not empty (hwif/hbm_address_mapping.h)
  sc_core::sc_time tCK = sc_core::sc_time(0.625, sc_core::SC_NS);
  HbmTimingCycles timing;
  bool refresh = true;
  // Which host request goes next (HbmScheduler): in call order, or per-bank queues of queue_depth runs.
  HbmScheduler scheduler = HbmScheduler::InOrder;
  unsigned queue_depth = 8;
  // Order of host requests from several initiators. Off: timed in call order, so an initiator running
  // ahead inside its quantum is served before one that calls later with an earlier local time. On: each
  // request first waits until its own arrival time (sc_core::wait inside b_transport, so initiators must
  // call from a thread, as LT allows) and is timed then: requests are timed in order of local time, the
  // scheduler above deciding among them as usual. It costs a context switch per request and gives up the
  // initiators' temporal decoupling at this target. Bank-side streams are not affected.
  bool order_by_arrival = false;
  // false = timing-only: no data is ever stored (reads return zeros, DMI is refused), whatever the payload.
  bool store_data = true;
  uint64_t store_chunk_bytes = 64 * 1024;  // allocation and DMI granule
  // DMI policy. Accesses through a DMI pointer are untimed and uncounted: they bypass the timing engine and
  // the statistics (an initiator sees only the region's fixed row-hit latencies). Leave it on for
  // backdoor loads and functional runs; turn it off when every access must be timed and counted, as for
  // a DMI-capable initiator whose traffic the study is about: the channel then refuses DMI everywhere
  // and hints dmi_allowed = false.
  bool allow_dmi = true;
  // Channels handed the same memo reuse each other's timing results (HbmTimingEngine's HbmTimingMemo):
  // worth it where many channels see identical traffic, as PIM units running one firmware loop do. It
  // never changes a result. Null: this channel times everything itself.
  std::shared_ptr<HbmTimingMemo> timing_memo;

  uint64_t access_bytes() const { return uint64_t(data_width_bits) * burst_length / 8; }
  uint64_t capacity_bytes() const { return rows_per_bank * row_bytes * bank_groups * banks_per_group; }
  // Throws std::invalid_argument naming the offending field.
  void validate() const;
  HbmTimingConfig timing_config() const;  // validates
};

class Hbm3PseudoChannel : public sc_core::sc_module {
 public:
  // Both may stay unbound: a channel may serve only a host, or only its PIM unit.
  tlm_utils::multi_passthrough_target_socket_optional<Hbm3PseudoChannel> target_socket;  // host accesses, any number
  BankStreamTargetSocket<Hbm3PseudoChannel> bank_socket;  // bank-side streams of the PIM unit, if any

  // Throws std::invalid_argument naming the offending field of a bad config.
  Hbm3PseudoChannel(sc_core::sc_module_name name, const Hbm3PseudoChannelConfig& config = {});

  const Hbm3PseudoChannelConfig& config() const { return config_; }
  uint64_t capacity_bytes() const { return capacity_; }
  const hwif::HbmAddressMap& address_map() const { return engine_.address_map(); }
  // Counts per bank and per channel since construction or the last reset_statistics(). The reference is
  // valid until the channel's next request (with a shared timing memo, counters catch up when asked for).
  const HbmStats& statistics() const { return engine_.stats(); }
  void reset_statistics() { engine_.reset_stats(); }
  // Bytes of the sparse store actually allocated.
  uint64_t allocated_bytes() const { return store_.allocated_bytes(); }
  // Invalidates every DMI region handed out, then frees the stored data (it reads as zeros again): an
  // initiator honouring invalidate_direct_mem_ptr never holds a pointer into freed memory.
  void discard_data();
  // DMI regions granted since construction.
  uint64_t dmi_grants() const { return dmi_grants_; }
  // Optional timeline: one track for the channel, a span per host access or bank-side stream. Requests
  // queued behind one another show as back-to-back busy periods (a span starts when the previous ended).
  void set_trace_sink(hwif::TraceSink* sink);

 private:
  void b_transport(int initiator_id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void bank_transport(int initiator_id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int initiator_id, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(int initiator_id, tlm::tlm_generic_payload& payload);

  // Moves bank-side data between the payload (banks of the mask one after another, each holding its
  // ranges back to back) and the store.
  template <class Ranges>
  void move_bank_data(uint64_t bank_mask, const Ranges& ranges, unsigned char* data, bool is_write);
  // Moves the data of a host access between the payload and the store.
  void move_data(tlm::tlm_generic_payload& payload);
  // Calls move(global_address, offset_in_bank_range, bytes) for each column-access piece of
  // [bank_offset, bank_offset + bytes) in one bank's own space.
  template <class Move>
  void for_each_bank_piece(unsigned flat_bank, uint64_t bank_offset, uint64_t bytes, Move&& move) const;

  uint64_t to_ps(const sc_core::sc_time& time) const { return time.value() * ps_per_tick_ / ticks_per_ps_; }
  sc_core::sc_time from_ps(uint64_t ps) const {
    return sc_core::sc_time::from_value(ps_per_tick_ == 1 ? ps * ticks_per_ps_ : ps / ps_per_tick_);
  }

  void trace(const char* name, uint64_t arrival_ps, uint64_t completion_ps, uint64_t bytes);

  Hbm3PseudoChannelConfig config_;
  hwif::TraceSink* trace_ = nullptr;
  hwif::TraceSink::Track track_ = 0;
  uint64_t traced_until_ps_ = 0;
  HbmTimingEngine engine_;
  HbmSparseStore store_;
  uint64_t capacity_;
  // SystemC time <-> picoseconds: one of the two is 1 (resolution coarser or finer than 1 ps).
  uint64_t ps_per_tick_;
  uint64_t ticks_per_ps_;
  uint64_t dmi_grants_ = 0;
};

}  // namespace aqpim::models
