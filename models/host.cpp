#include "models/host.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace aqpim::models {
namespace {

uint64_t to_ps(const sc_core::sc_time& time) { return uint64_t(std::llround(time.to_seconds() * 1e12)); }

void require_positive(double value, const char* field, double max) {
  if (!(value > 0.0 && value <= max))
    throw std::invalid_argument(std::string("HostConfig.") + field + " = " + std::to_string(value) +
                                ": expected a number in (0, " + std::to_string(max) + "]");
}

}  // namespace

Host::Host(sc_core::sc_module_name name, const HostConfig& config, Program program)
    : sc_core::sc_module(name), socket("socket"), config_(config), program_(std::move(program)) {
  require_positive(config.gpu_peak_flops, "gpu_peak_flops", 1e20);
  require_positive(config.gpu_memory_bandwidth, "gpu_memory_bandwidth", 1e18);
  require_positive(config.gpu_compute_efficiency, "gpu_compute_efficiency", 1.0);
  require_positive(config.gpu_memory_efficiency, "gpu_memory_efficiency", 1.0);
  if (config.max_transaction_bytes == 0 || config.max_transaction_bytes > UINT32_MAX)
    throw std::invalid_argument("HostConfig.max_transaction_bytes = " + std::to_string(config.max_transaction_bytes) +
                                ": expected 1 to 2^32 - 1 (a TLM payload's length is 32 bits)");
  if (!program_) throw std::invalid_argument("Host: no program to run");
  socket.register_invalidate_direct_mem_ptr(this, &Host::invalidate_direct_mem_ptr);
  if (config.quantum > sc_core::SC_ZERO_TIME) quantum_keeper_.set_global_quantum(config.quantum);
  SC_HAS_PROCESS(Host);
  SC_THREAD(run);
}

void Host::run() {
  quantum_keeper_.reset();
  try {
    program_(*this);
    wait_copies();
    gpu_wait();
  } catch (...) {
    failure_ = std::current_exception();
  }
  set_phase(hwif::Phase::kIdle);
  statistics_.finish_ps = now_ps();
  statistics_.finished = !failure_;
  quantum_keeper_.sync();
}

uint64_t Host::now_ps() { return to_ps(quantum_keeper_.get_current_time()); }

void Host::set_trace_sink(hwif::TraceSink* sink) {
  trace_ = sink;
  if (!trace_) return;
  phase_track_ = trace_->add_track("host", std::string(name()) + " firmware phases");
  gpu_track_ = trace_->add_track("GPU", "kernels (roofline)");
}

hwif::Phase Host::set_phase(hwif::Phase phase) {
  const uint64_t now = now_ps();
  statistics_.phase_ps[size_t(phase_)] += now - phase_start_ps_;
  // Idle is the time before and after the program; a span there would only hide the others.
  if (trace_ && now > phase_start_ps_ && phase_ != hwif::Phase::kIdle)
    trace_->span(phase_track_, hwif::phase_name(phase_), phase_start_ps_, now - phase_start_ps_);
  phase_start_ps_ = now;
  return std::exchange(phase_, phase);
}

uint64_t Host::phase_total_ps(hwif::Phase phase) {
  return statistics_.phase_ps[size_t(phase)] + (phase == phase_ ? now_ps() - phase_start_ps_ : 0);
}

uint64_t Host::gpu_time_ps(const hwif::GpuWork& work) const {
  // AttAcc's simulator (src/devices.py): blocks / (waves x SMs) of the GPU does the work, at both rates.
  const double sms = config_.gpu_sms;
  const double blocks = work.thread_blocks;
  const double busy = sms > 0 && blocks > 0 ? blocks / (std::ceil(blocks / sms) * sms) : 1.0;
  const double memory_efficiency =
      work.bandwidth_fraction > 0 ? work.bandwidth_fraction : config_.gpu_memory_efficiency;
  const double compute_s = work.flops / (config_.gpu_peak_flops * config_.gpu_compute_efficiency * busy);
  const double memory_s = work.bytes / (config_.gpu_memory_bandwidth * memory_efficiency * busy);
  return uint64_t(std::llround((work.fixed_seconds + std::max(compute_s, memory_s)) * 1e12));
}

uint64_t Host::gpu_launch(const hwif::GpuWork& work) {
  const uint64_t duration = gpu_time_ps(work);
  const uint64_t start = std::max(gpu_free_ps_, now_ps());
  gpu_free_ps_ = start + duration;
  // Named after the phase that launched it: the GPU's own track then reads like the firmware's.
  if (trace_)
    trace_->span(gpu_track_, hwif::phase_name(phase_), start, duration, {{"flops", work.flops}, {"bytes", work.bytes}});
  statistics_.gpu_busy_ps += duration;
  statistics_.gpu_flops += work.flops;
  statistics_.gpu_bytes += work.bytes;
  return gpu_free_ps_;
}

void Host::milestone(const char* name) {
  if (milestone_observer_) milestone_observer_(name, now_ps());
}

void Host::advance_to(uint64_t ps) {
  const uint64_t now = now_ps();
  if (ps <= now) return;
  quantum_keeper_.inc(sc_core::sc_time(double(ps - now), sc_core::SC_PS));
  if (quantum_keeper_.need_sync()) quantum_keeper_.sync();
}

void Host::gpu_wait() { advance_to(gpu_free_ps_); }

void Host::write(uint64_t address, const void* data, size_t bytes) {
  quantum_keeper_.set(transport(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), bytes));
  if (quantum_keeper_.need_sync()) quantum_keeper_.sync();
  ++statistics_.writes;
  statistics_.bytes_written += bytes;
}

void Host::read(uint64_t address, void* data, size_t bytes) {
  quantum_keeper_.set(transport(tlm::TLM_READ_COMMAND, address, data, bytes));
  if (quantum_keeper_.need_sync()) quantum_keeper_.sync();
  ++statistics_.reads;
  statistics_.bytes_read += bytes;
}

void Host::write_async(uint64_t address, const void* data, size_t bytes) {
  const sc_core::sc_time completion = transport(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), bytes);
  copies_done_ps_ = std::max(copies_done_ps_, to_ps(sc_core::sc_time_stamp() + completion));
  ++statistics_.writes;
  statistics_.bytes_written += bytes;
}

void Host::wait_copies() { advance_to(copies_done_ps_); }

sc_core::sc_time Host::transport(tlm::tlm_command command, uint64_t address, void* data, size_t bytes) {
  auto* bytes_at = static_cast<unsigned char*>(data);
  const uint64_t part_limit = config_.max_transaction_bytes;
  if (bytes <= part_limit) return transport_part(command, address, bytes_at, bytes);
  // Every part arrives now, as the whole access would; targets queue them behind one another.
  payload_.set_extension(&part_);
  sc_core::sc_time completion = sc_core::SC_ZERO_TIME;
  try {
    for (uint64_t done = 0; done < bytes; done += part_limit) {
      part_.offset = done;
      const sc_core::sc_time part_done = transport_part(command, address + done, bytes_at ? bytes_at + done : nullptr,
                                                        std::min<uint64_t>(part_limit, bytes - done));
      completion = std::max(completion, part_done);
    }
  } catch (...) {
    payload_.clear_extension(&part_);
    throw;
  }
  payload_.clear_extension(&part_);
  return completion;
}

sc_core::sc_time Host::transport_part(tlm::tlm_command command, uint64_t address, unsigned char* data, uint64_t bytes) {
  tlm::tlm_generic_payload& payload = payload_;
  payload.set_command(command);
  payload.set_address(address);
  payload.set_data_ptr(data);
  // Timing-only accesses carry their size with no data pointer; targets then move no bytes.
  payload.set_data_length(unsigned(bytes));
  payload.set_streaming_width(unsigned(bytes));
  payload.set_byte_enable_ptr(nullptr);
  payload.set_dmi_allowed(false);
  payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = quantum_keeper_.get_local_time();
  socket->b_transport(payload, delay);
  if (payload.is_response_error())
    throw hwif::HalError(std::string(name()) + ": " + (command == tlm::TLM_READ_COMMAND ? "read" : "write") +
                             " of " + std::to_string(bytes) + " bytes at 0x" + [&] {
                               char text[24];
                               std::snprintf(text, sizeof text, "%llx", (unsigned long long)address);
                               return std::string(text);
                             }() + " failed: " + payload.get_response_string());
  return delay;
}

void Host::backdoor(tlm::tlm_command command, uint64_t address, unsigned char* data, size_t bytes) {
  while (bytes > 0) {
    auto region = dmi_regions_.upper_bound(address);
    const tlm::tlm_dmi* dmi = nullptr;
    if (region != dmi_regions_.begin() && std::prev(region)->second.get_end_address() >= address)
      dmi = &std::prev(region)->second;
    if (!dmi) {
      tlm::tlm_generic_payload request;
      request.set_command(command);
      request.set_address(address);
      tlm::tlm_dmi granted;
      if (socket->get_direct_mem_ptr(request, granted) &&
          (command == tlm::TLM_READ_COMMAND ? granted.is_read_allowed() : granted.is_write_allowed()) &&
          granted.get_start_address() <= address && granted.get_end_address() >= address)
        dmi = &(dmi_regions_[granted.get_start_address()] = granted);
    }
    if (dmi) {
      const size_t chunk = std::min<uint64_t>(bytes, dmi->get_end_address() - address + 1);
      unsigned char* cell = dmi->get_dmi_ptr() + (address - dmi->get_start_address());
      if (command == tlm::TLM_READ_COMMAND)
        std::memcpy(data, cell, chunk);
      else
        std::memcpy(cell, data, chunk);
      address += chunk, data += chunk, bytes -= chunk;
      continue;
    }
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(address);
    payload.set_data_ptr(data);
    payload.set_data_length(unsigned(std::min<size_t>(bytes, UINT32_MAX)));
    const unsigned moved = socket->transport_dbg(payload);
    if (moved == 0) throw hwif::HalError(std::string(name()) + ": backdoor access failed at address " +
                                             std::to_string(address));
    address += moved, data += moved, bytes -= moved;
  }
}

void Host::backdoor_write(uint64_t address, const void* data, size_t bytes) {
  backdoor(tlm::TLM_WRITE_COMMAND, address, static_cast<unsigned char*>(const_cast<void*>(data)), bytes);
}

void Host::backdoor_read(uint64_t address, void* data, size_t bytes) {
  backdoor(tlm::TLM_READ_COMMAND, address, static_cast<unsigned char*>(data), bytes);
}

void Host::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  for (auto region = dmi_regions_.begin(); region != dmi_regions_.end();) {
    const bool overlaps = region->second.get_start_address() <= end && region->second.get_end_address() >= start;
    region = overlaps ? dmi_regions_.erase(region) : std::next(region);
  }
}

}  // namespace aqpim::models
