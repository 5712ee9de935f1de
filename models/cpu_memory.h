// Host CPU DRAM holding the KV cache that does not fit on the GPU side (the offload baselines). A TLM-2.0
// LT target timed as one bandwidth pipe: an access occupies the memory for bytes / bandwidth, queued
// behind earlier ones, and completes `latency` after its data has streamed. Data lives in a sparse store,
// so a terabyte-sized memory costs only what is written; with `functional` off nothing is stored.
#pragma once

#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/hbm_sparse_store.h"

namespace aqpim::models {

struct CpuMemoryConfig {
  uint64_t capacity_bytes = uint64_t(1) << 40;
  double bandwidth = 200e9;  // bytes/s
  sc_core::sc_time latency = sc_core::sc_time(100, sc_core::SC_NS);
  bool functional = true;
  // DMI policy: accesses through a DMI pointer are untimed and uncounted (see Hbm3PseudoChannelConfig).
  bool allow_dmi = true;
  // Requests from several initiators queue in order of their local times, not of their calls (each waits
  // for its arrival time first; see Hbm3PseudoChannelConfig::order_by_arrival).
  bool order_by_arrival = false;
};

class CpuMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<CpuMemory> socket;

  struct Statistics {
    uint64_t reads = 0, writes = 0, bytes_read = 0, bytes_written = 0;
    uint64_t busy_ps = 0;
  };

  // Throws std::invalid_argument naming the config field when a value is out of range.
  CpuMemory(sc_core::sc_module_name name, const CpuMemoryConfig& config);

  const Statistics& statistics() const { return statistics_; }
  uint64_t allocated_bytes() const { return store_.allocated_bytes(); }
  // Invalidates every DMI region handed out, then frees the stored data (it reads as zeros again).
  void discard_data();

 private:
  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(tlm::tlm_generic_payload& payload);
  bool in_range(const tlm::tlm_generic_payload& payload) const;
  void move_data(tlm::tlm_generic_payload& payload);

  CpuMemoryConfig config_;
  HbmSparseStore store_;
  sc_core::sc_time free_at_;
  Statistics statistics_;
};

}  // namespace aqpim::models
