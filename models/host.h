// The host: a TLM-2.0 initiator whose SC_THREAD runs firmware through the hwif::Hal interface, plus
// the GPU's dense work timed by a roofline. The GPU is an asynchronous resource of the host (work queues
// behind earlier work and runs while the firmware drives PIM), so prefill clustering can overlap the
// GPU's projections as in AQPIM.
//
// Timed accesses always go through b_transport, as large transactions: the memory models time them from
// their bank and link state, and functional and timing-only runs (which differ only in whether a data
// pointer is passed) take exactly the same path and time. DMI is used for the untimed backdoor that loads
// workloads and reads results back.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "hwif/hal.h"
#include "hwif/trace_sink.h"
#include "models/transfer_part.h"

namespace aqpim::models {

struct HostConfig {
  double gpu_peak_flops = 989e12;         // FLOP/s (H100 SXM dense fp16)
  double gpu_memory_bandwidth = 3350e9;   // bytes/s (H100 SXM HBM3)
  double gpu_compute_efficiency = 1.0;    // fraction of peak reached by dense kernels, (0, 1]
  double gpu_memory_efficiency = 1.0;     // fraction of peak bandwidth reached, (0, 1]
  uint32_t gpu_sms = 0;                   // thread blocks fill this many SMs in waves; 0: every kernel fills the GPU
  // Positive: set as the global TLM quantum (tlm_global_quantum) at construction, as a platform built
  // around this host wants. Zero (the default): leave the global quantum as the enclosing platform set it.
  sc_core::sc_time quantum = sc_core::SC_ZERO_TIME;
  bool functional = true;                 // whether the firmware moves real data
  // A larger access travels as parts of at most this many bytes (a TLM payload's length is 32 bits), each
  // with a TransferPartExtension (models/transfer_part.h) so that pipe-timed targets charge the parts
  // exactly the unsplit transfer's time. In [1, 2^32 - 1].
  uint64_t max_transaction_bytes = uint64_t(1) << 31;
};

class Host : public sc_core::sc_module, public hwif::Hal {
 public:
  tlm_utils::simple_initiator_socket<Host> socket;

  using Program = std::function<void(hwif::Hal&)>;

  struct Statistics {
    std::array<uint64_t, size_t(hwif::Phase::kCount)> phase_ps{};  // host time spent in each phase
    uint64_t reads = 0, writes = 0;
    uint64_t bytes_read = 0, bytes_written = 0;
    uint64_t gpu_busy_ps = 0;
    double gpu_flops = 0, gpu_bytes = 0;
    uint64_t finish_ps = 0;  // when the program returned (all GPU work included)
    bool finished = false;
  };

  // Throws std::invalid_argument naming the config field when a value is out of range.
  Host(sc_core::sc_module_name name, const HostConfig& config, Program program);

  const Statistics& statistics() const { return statistics_; }
  // The exception that ended the program early, if any (the platform rethrows it after sc_start).
  std::exception_ptr failure() const { return failure_; }

  // Untimed access for loading inputs and checking outputs: DMI where granted, else debug transport.
  void backdoor_write(uint64_t address, const void* data, size_t bytes);
  void backdoor_read(uint64_t address, void* data, size_t bytes);

  // hwif::Hal
  void write(uint64_t address, const void* data, size_t bytes) override;
  void read(uint64_t address, void* data, size_t bytes) override;
  void write_async(uint64_t address, const void* data, size_t bytes) override;
  void wait_copies() override;
  uint64_t gpu_launch(const hwif::GpuWork& work) override;
  void gpu_wait() override;
  void wait_until(uint64_t ps) override { advance_to(ps); }
  void milestone(const char* name) override;
  hwif::Phase set_phase(hwif::Phase phase) override;
  uint64_t phase_total_ps(hwif::Phase phase) override;
  uint64_t now_ps() override;
  bool functional() const override { return config_.functional; }

  // Roofline time of one piece of GPU work under this configuration, in picoseconds.
  uint64_t gpu_time_ps(const hwif::GpuWork& work) const;

  // Firmware phases and GPU kernels become spans on two tracks; null (the default) records nothing.
  void set_trace_sink(hwif::TraceSink* sink);
  // Called with the firmware's milestones and the host's time of each (in the host's thread).
  using MilestoneObserver = std::function<void(const std::string& name, uint64_t ps)>;
  void set_milestone_observer(MilestoneObserver observer) { milestone_observer_ = std::move(observer); }

 private:
  void run();
  // Returns the access's completion as an offset from the current simulation time. An access above
  // max_transaction_bytes is issued as parts, all arriving now; it completes with its last part.
  sc_core::sc_time transport(tlm::tlm_command command, uint64_t address, void* data, size_t bytes);
  sc_core::sc_time transport_part(tlm::tlm_command command, uint64_t address, unsigned char* data, uint64_t bytes);
  void advance_to(uint64_t ps);
  void backdoor(tlm::tlm_command command, uint64_t address, unsigned char* data, size_t bytes);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  HostConfig config_;
  Program program_;
  tlm_utils::tlm_quantumkeeper quantum_keeper_;
  Statistics statistics_;
  std::exception_ptr failure_;
  hwif::Phase phase_ = hwif::Phase::kIdle;
  uint64_t phase_start_ps_ = 0;
  uint64_t gpu_free_ps_ = 0;     // when the GPU finishes the work launched so far
  uint64_t copies_done_ps_ = 0;  // when the copies started so far complete
  std::map<uint64_t, tlm::tlm_dmi> dmi_regions_;  // keyed by start address
  // Reused by every timed access: constructing a payload allocates its extension array, and decode issues
  // tens of millions of register writes.
  tlm::tlm_generic_payload payload_;
  TransferPartExtension part_;  // attached to payload_ while a split access is under way
  hwif::TraceSink* trace_ = nullptr;
  hwif::TraceSink::Track phase_track_ = 0, gpu_track_ = 0;
  MilestoneObserver milestone_observer_;
};

}  // namespace aqpim::models
