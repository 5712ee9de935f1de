#include "models/pcie_link.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/transfer_part.h"

namespace aqpim::models {

PcieLink::PcieLink(sc_core::sc_module_name name, const PcieLinkConfig& config)
    : sc_core::sc_module(name), target_socket("target_socket"), initiator_socket("initiator_socket"), config_(config) {
  if (!(config.bandwidth > 0.0 && config.bandwidth <= 1e16))
    throw std::invalid_argument("PcieLinkConfig.bandwidth = " + std::to_string(config.bandwidth) +
                                ": expected bytes/s in (0, 1e16]");
  if (config.latency < sc_core::SC_ZERO_TIME) throw std::invalid_argument("PcieLinkConfig.latency must be >= 0");
  target_socket.register_b_transport(this, &PcieLink::b_transport);
  target_socket.register_get_direct_mem_ptr(this, &PcieLink::get_direct_mem_ptr);
  target_socket.register_transport_dbg(this, &PcieLink::transport_dbg);
  initiator_socket.register_invalidate_direct_mem_ptr(this, &PcieLink::invalidate_direct_mem_ptr);
}

sc_core::sc_time PcieLink::isolated_transfer_time(uint64_t bytes) const {
  return config_.latency + sc_core::sc_time(double(bytes) / config_.bandwidth, sc_core::SC_SEC);
}

void PcieLink::set_trace_sink(hwif::TraceSink* sink) {
  trace_ = sink;
  if (!trace_) return;
  tracks_[0] = trace_->add_track("PCIe", std::string(name()) + " to GPU (reads)");
  tracks_[1] = trace_->add_track("PCIe", std::string(name()) + " to CPU (writes)");
}

void PcieLink::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const int direction = payload.is_write() ? 1 : 0;
  const uint64_t bytes = payload.get_data_length();
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = std::max(now + delay, free_at_[direction]);

  // The memory sees the transfer when the link starts moving it, so its streaming overlaps this
  // transfer's serialization, not the queue in front of it.
  sc_core::sc_time memory_time = start - now;
  initiator_socket->b_transport(payload, memory_time);
  if (payload.is_response_error()) return;

  const sc_core::sc_time serialization = streaming_time(payload, config_.bandwidth);
  const sc_core::sc_time memory_done = now + memory_time;
  const sc_core::sc_time occupancy = std::max(serialization, memory_done > start ? memory_done - start : sc_core::SC_ZERO_TIME);
  free_at_[direction] = start + occupancy;
  delay = free_at_[direction] + config_.latency - now;

  ++statistics_.transfers[direction];
  statistics_.bytes[direction] += bytes;
  statistics_.busy_ps[direction] += uint64_t(std::llround(occupancy.to_seconds() * 1e12));
  if (trace_)
    trace_->span(tracks_[direction], direction ? "write" : "read", uint64_t(std::llround(start.to_seconds() * 1e12)),
                 uint64_t(std::llround(occupancy.to_seconds() * 1e12)), {{"bytes", double(bytes)}});
}

bool PcieLink::get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
  // A DMI user bypasses the pipe; it still pays the link's latency on every access.
  const bool granted = initiator_socket->get_direct_mem_ptr(payload, dmi);
  dmi.set_read_latency(dmi.get_read_latency() + config_.latency);
  dmi.set_write_latency(dmi.get_write_latency() + config_.latency);
  return granted;
}

unsigned int PcieLink::transport_dbg(tlm::tlm_generic_payload& payload) {
  return initiator_socket->transport_dbg(payload);
}

void PcieLink::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  target_socket->invalidate_direct_mem_ptr(start, end);
}

}  // namespace aqpim::models
