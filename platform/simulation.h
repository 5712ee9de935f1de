// One simulated run of the platform on its parameters, and its report: latency per phase, KV bytes and
// capacity fit, bandwidth per component, PIM command counts, and (functional mode) accuracy against a plain
// fp32 attention. SystemC allows one elaboration per process: call run_simulation once per process.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/aqpim_firmware.h"
#include "hwif/hal.h"
#include "firmware/workload_data.h"
#include "platform/aqpim_system.h"
#include "platform/energy.h"
#include "platform/gpu_memory.h"
#include "platform/params.h"

namespace aqpim::platform {

struct RunReport {
  PlatformParams params;
  std::string design;
  // Simulated time, seconds.
  double total_s = 0, prefill_s = 0, decode_s = 0;
  std::array<double, size_t(hwif::Phase::kCount)> phase_s{};
  // The same split at the end of the prefill (prefill_phase_s + decode_phase_s = phase_s).
  std::array<double, size_t(hwif::Phase::kCount)> prefill_phase_s{}, decode_phase_s{};
  // KV cache of the whole batch (all layers, heads; context + decoded tokens).
  double kv_fp16_bytes = 0;
  double kv_quantized_bytes = 0;  // packed ceil(log2 K)-bit codes + fp16 codebooks + fp16 sink/recent tokens
  double kv_pim_layout_bytes = 0; // what the firmware's layout reserves in PIM banks (uint16 codes, codebooks, scratch)
  double pim_capacity_bytes = 0;
  double offloaded_kv_bytes = 0;  // held in CPU memory behind PCIe
  bool fits = false;              // the design's home memory holds the whole cache (nothing offloaded)
  GpuMemory gpu_memory;           // the GPU's own HBM: capacity, reserve, weights, workspace
  double gpu_kv_resident_bytes = 0;  // KV held in the GPU's HBM
  double kv_pim_bytes = 0;           // KV held in the PIM stacks (codes and codebooks, or fp16 rows)
  // Traffic and busy time per component.
  double hbm_host_bytes = 0, hbm_bank_bytes = 0;  // external bus vs bank-side PIM streams, all pseudo-channels
  double pcie_bytes = 0;
  double decode_transfer_s = 0;  // decode time spent on GPU<->CPU transfers
  double gpu_flops = 0, gpu_bytes = 0, gpu_busy_s = 0;
  std::map<std::string, std::pair<uint64_t, double>> pim_commands;  // opcode -> (count, busy seconds summed over units)
  // Decode only: the GPU's busy time, the busiest PIM unit's, and how much of them at least overlapped
  // (GPU + PIM - decode time, when positive): what decode pipelining buys.
  double decode_gpu_busy_s = 0, decode_pim_busy_s = 0, decode_overlap_s = 0;
  double decode_pcie_busy_s = 0;  // the busier PCIe direction's occupancy
  // The same for the prefill: the GPU against the in-memory k-means and encoding it hides.
  double prefill_gpu_busy_s = 0, prefill_pim_busy_s = 0, prefill_pcie_busy_s = 0, prefill_overlap_s = 0;
  // AQPIM: what each bank-level processing unit must hold (pim_sram_needs); 0 for the other designs.
  double pim_codebook_sram_bytes = 0, pim_lut_sram_bytes = 0, pim_accumulator_bytes = 0;
  // Functional mode only: decode attention outputs against fp32 attention on the unquantised cache.
  bool has_accuracy = false;
  double relative_l2_error = 0, cosine_similarity = 0;
  // Counted events and their energy per phase (platform/energy.h); area of the PIM additions.
  EnergyReport energy;
  AreaReport area;
  double wall_seconds = 0;
};

// The elaborated platform with its firmware and (functional mode) workload data: run() once, then read
// the report or look inside (testbenches compare the firmware's results with the golden model).
class Simulation {
 public:
  // Elaborates; throws ParamError for parameter sets the platform cannot run. A non-null `trace` receives
  // the timeline (it must outlive run()).
  explicit Simulation(const PlatformParams& params, hwif::TraceSink* trace = nullptr);
  ~Simulation();
  // One simulation per process, owning a system that is never freed: copies would share it.
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  void run();  // sc_start until the firmware finishes; rethrows the firmware's failure
  RunReport report() const;

  const firmware::AttentionFirmware& firmware() const { return *firmware_; }
  // The AQPIM firmware (sim.design = aqpim); throws std::logic_error for another design.
  const firmware::AqpimFirmware& aqpim() const;
  AqpimSystem& system() { return *system_; }
  const firmware::WorkloadData* data() const { return data_.get(); }

 private:
  void add_busy_times(RunReport& report) const;  // per resource, prefill and decode apart
  void add_energy(RunReport& report) const;      // counted events x energy.*, prefill and decode apart

  PlatformParams params_;
  std::unique_ptr<firmware::WorkloadData> data_;
  std::unique_ptr<firmware::AttentionFirmware> firmware_;
  AqpimSystem* system_ = nullptr;  // never freed: SystemC modules must outlive the kernel
  // At the firmware's prefill_end milestone: GPU busy time and every PIM unit's, to split off decode.
  uint64_t prefill_gpu_busy_ps_ = 0;
  std::array<uint64_t, 2> prefill_pcie_busy_ps_{};
  std::vector<sc_core::sc_time> prefill_unit_busy_;
  EventCounts prefill_events_{};  // every model's counted events at prefill_end
  double wall_seconds_ = 0;
};

RunReport run_simulation(const PlatformParams& params, hwif::TraceSink* trace = nullptr);
std::string format_report(const RunReport& report);
nlohmann::json report_json(const RunReport& report);

}  // namespace aqpim::platform
