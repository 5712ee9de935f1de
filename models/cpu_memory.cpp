#include "models/cpu_memory.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/arrival_order.h"
#include "models/byte_enables.h"
#include "models/transfer_part.h"

namespace aqpim::models {
namespace {
constexpr uint64_t kChunkBytes = uint64_t(1) << 20;  // the DMI granule
}

CpuMemory::CpuMemory(sc_core::sc_module_name name, const CpuMemoryConfig& config)
    : sc_core::sc_module(name),
      socket("socket"),
      config_(config),
      store_(config.capacity_bytes ? config.capacity_bytes : 1, kChunkBytes) {
  if (config.capacity_bytes == 0) throw std::invalid_argument("CpuMemoryConfig.capacity_bytes must be at least 1");
  if (!(config.bandwidth > 0.0 && config.bandwidth <= 1e16))
    throw std::invalid_argument("CpuMemoryConfig.bandwidth = " + std::to_string(config.bandwidth) +
                                ": expected bytes/s in (0, 1e16]");
  if (config.latency < sc_core::SC_ZERO_TIME) throw std::invalid_argument("CpuMemoryConfig.latency must be >= 0");
  socket.register_b_transport(this, &CpuMemory::b_transport);
  socket.register_get_direct_mem_ptr(this, &CpuMemory::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &CpuMemory::transport_dbg);
}

bool CpuMemory::in_range(const tlm::tlm_generic_payload& payload) const {
  return payload.get_address() < config_.capacity_bytes &&
         payload.get_data_length() <= config_.capacity_bytes - payload.get_address();
}

void CpuMemory::move_data(tlm::tlm_generic_payload& payload) {
  unsigned char* data = payload.get_data_ptr();
  if (!config_.functional || !data) return;
  const uint64_t address = payload.get_address();
  const bool is_read = payload.is_read(), is_write = payload.is_write();
  for_each_enabled_run(payload, [&](unsigned offset, unsigned bytes) {
    if (is_read) store_.read(address + offset, data + offset, bytes);
    if (is_write) store_.write(address + offset, data + offset, bytes);
  });
}

void CpuMemory::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  if (payload.get_command() == tlm::TLM_IGNORE_COMMAND) return payload.set_response_status(tlm::TLM_OK_RESPONSE);
  if (!in_range(payload)) return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  if (!byte_enables_valid(payload)) return payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  const unsigned streaming_width = payload.get_streaming_width();
  if (streaming_width != 0 && streaming_width < payload.get_data_length())
    return payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
  if (config_.order_by_arrival) synchronise_to_arrival(delay);
  move_data(payload);
  const uint64_t bytes = payload.get_data_length();
  const sc_core::sc_time streaming = streaming_time(payload, config_.bandwidth);
  const sc_core::sc_time start = std::max(sc_core::sc_time_stamp() + delay, free_at_);
  free_at_ = start + streaming;
  delay = free_at_ + config_.latency - sc_core::sc_time_stamp();
  statistics_.busy_ps += uint64_t(std::llround(streaming.to_seconds() * 1e12));
  if (payload.is_read()) ++statistics_.reads, statistics_.bytes_read += bytes;
  if (payload.is_write()) ++statistics_.writes, statistics_.bytes_written += bytes;
  payload.set_dmi_allowed(config_.functional && config_.allow_dmi);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool CpuMemory::get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
  const uint64_t address = payload.get_address();
  if (!config_.functional || !config_.allow_dmi || address >= config_.capacity_bytes) {
    dmi.allow_none();
    dmi.set_start_address(address >= config_.capacity_bytes ? config_.capacity_bytes : 0);
    dmi.set_end_address(address >= config_.capacity_bytes ? ~sc_dt::uint64(0) : config_.capacity_bytes - 1);
    return false;
  }
  dmi.set_dmi_ptr(store_.chunk(address));
  dmi.set_start_address(store_.chunk_base(address));
  dmi.set_end_address(store_.chunk_last(address));
  dmi.set_read_latency(config_.latency);
  dmi.set_write_latency(config_.latency);
  dmi.allow_read_write();
  return true;
}

void CpuMemory::discard_data() {
  socket->invalidate_direct_mem_ptr(0, config_.capacity_bytes - 1);
  store_.clear();
}

unsigned int CpuMemory::transport_dbg(tlm::tlm_generic_payload& payload) {
  // Nothing moves without data, or without a functional store to move it from.
  if (!in_range(payload) || !payload.get_data_ptr() || !config_.functional) return 0;
  if (!payload.is_read() && !payload.is_write()) return 0;
  move_data(payload);
  return payload.get_data_length();
}

}  // namespace aqpim::models
