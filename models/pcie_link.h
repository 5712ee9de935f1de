// A GPU<->CPU link (PCIe) as a TLM-2.0 pass-through: transactions entering the target socket leave through
// the initiator socket towards the CPU memory, delayed by the link. Each direction is a separate pipe:
// a transfer occupies its direction for bytes / bandwidth and completes `latency` later, and the memory's
// own streaming time overlaps the link's (the longer of the two counts; the memory sees a transfer when
// the link starts moving it). So an isolated transfer takes exactly latency + bytes / bandwidth when the
// memory is faster than the link, and so does one split into parts (models/transfer_part.h).
// Reads are CPU -> GPU (host-to-device), writes GPU -> CPU.
#pragma once

#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "hwif/trace_sink.h"

namespace aqpim::models {

struct PcieLinkConfig {
  double bandwidth = 64e9;  // bytes/s per direction (PCIe 5.0 x16)
  sc_core::sc_time latency = sc_core::sc_time(1, sc_core::SC_US);  // fixed cost of one DMA transfer
};

class PcieLink : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PcieLink> target_socket;
  tlm_utils::simple_initiator_socket<PcieLink> initiator_socket;

  struct Statistics {
    uint64_t transfers[2] = {0, 0};  // [0] reads (to GPU), [1] writes (to CPU)
    uint64_t bytes[2] = {0, 0};
    uint64_t busy_ps[2] = {0, 0};  // time each direction's pipe was occupied
  };

  // Throws std::invalid_argument naming the config field when a value is out of range.
  PcieLink(sc_core::sc_module_name name, const PcieLinkConfig& config);

  const Statistics& statistics() const { return statistics_; }
  // Duration of an isolated transfer of `bytes` (what a formula-minded user expects).
  sc_core::sc_time isolated_transfer_time(uint64_t bytes) const;
  // Each transfer becomes a span on its direction's track (pipe occupancy); null records nothing.
  void set_trace_sink(hwif::TraceSink* sink);

 private:
  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(tlm::tlm_generic_payload& payload);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  PcieLinkConfig config_;
  sc_core::sc_time free_at_[2];  // absolute time each direction's pipe frees up
  Statistics statistics_;
  hwif::TraceSink* trace_ = nullptr;
  hwif::TraceSink::Track tracks_[2] = {0, 0};
};

}  // namespace aqpim::models
