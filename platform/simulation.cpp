#include "platform/simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "core/attention.h"
#include "core/metrics.h"
#include "core/pq_codec.h"
#include "firmware/aqpim_firmware.h"
#include "firmware/aqpim_subvector_firmware.h"
#include "models/pim_opcodes.h"
#include "platform/aqpim_system.h"
#include "platform/system_config.h"
#include "platform/workload_source.h"

namespace aqpim::platform {
namespace {

constexpr double kPs = 1e-12;
// Functional runs hold the whole synthetic workload in memory (fp32 K, V and queries).
constexpr double kMaxFunctionalWorkloadBytes = 4.0 * (1ull << 30);

void check_functional_size(const PlatformParams& p) {
  const double tokens = double(p.workload.context_tokens + p.workload.decode_steps);
  const double bytes = 4.0 * p.workload.batch * p.model.layers * p.model.head_dim *
                       (2.0 * tokens * p.model.kv_heads + double(p.model.heads) * (p.workload.decode_steps + 32));
  if (bytes > kMaxFunctionalWorkloadBytes) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f GiB", bytes / double(1ull << 30));
    throw ParamError("sim.mode=functional needs " + std::string(text) +
                     " of workload data (at most 4 GiB): use sim.mode=timing, or a smaller model (model.preset=tiny), "
                     "batch or context");
  }
}

void add_accuracy(RunReport& report, const firmware::AttentionFirmware& firmware, const firmware::WorkloadData& data,
                  const firmware::AqpimFirmwareConfig& config) {
  const auto& model = config.model;
  const uint32_t dim = model.head_dim, group = model.heads / model.kv_heads, stride = model.kv_heads * dim;
  std::vector<float> reference(firmware.outputs().size());
  for (uint32_t step = 0; step < config.decode_steps; ++step)
    for (uint32_t sequence = 0; sequence < config.batch; ++sequence)
      for (uint32_t layer = 0; layer < model.layers; ++layer)
        for (uint32_t head = 0; head < model.heads; ++head) {
          const size_t at = (((size_t(step) * config.batch + sequence) * model.layers + layer) * model.heads + head) * dim;
          const float* query = data.decode_queries(sequence, layer) + (size_t(step) * model.heads + head) * dim;
          const size_t kv_offset = size_t(head / group) * dim;
          core::reference_head_attention(query, data.keys(sequence, layer) + kv_offset,
                                         data.values(sequence, layer) + kv_offset, config.context_tokens + step + 1,
                                         stride, dim, 1.0f / std::sqrt(float(dim)), &reference[at]);
        }
  report.has_accuracy = !reference.empty();
  if (!report.has_accuracy) return;
  report.relative_l2_error = core::relative_l2_error(firmware.outputs().data(), reference.data(), reference.size());
  report.cosine_similarity = core::cosine_similarity(firmware.outputs().data(), reference.data(), reference.size());
}

}  // namespace

Simulation::Simulation(const PlatformParams& params, hwif::TraceSink* trace) : params_(params) {
  // The PIM stack is part of every platform (idle in the GPU baseline), so it needs at least one stack.
  if (params.hbm.pim_stacks == 0)
    throw ParamError("'hbm.pim_stacks' (0): the platform needs at least one HBM-PIM stack (the GPU baseline leaves it idle)");
  const bool functional = params.sim.functional();
  if (functional) check_functional_size(params);
  data_ = make_workload_data(params);
  try {
    system_ = new AqpimSystem("system", make_system_config(params), [&](const hwif::PlatformView& view) {
      firmware_ = make_firmware(params, view, data_.get());
      return [this](hwif::Hal& hal) { firmware_->run(hal); };
    });
  } catch (const std::invalid_argument& error) {
    // Model and firmware constructors name the field that cannot work; to the user it is a parameter error.
    throw ParamError(std::string("the platform cannot be built: ") + error.what());
  }
  system_->host().set_milestone_observer([this](const std::string& name, uint64_t) {
    if (name != "prefill_end") return;
    prefill_gpu_busy_ps_ = system_->host().statistics().gpu_busy_ps;
    for (size_t direction = 0; direction < prefill_pcie_busy_ps_.size(); ++direction)
      prefill_pcie_busy_ps_[direction] = system_->pcie().statistics().busy_ps[direction];
    prefill_unit_busy_.clear();
    for (uint32_t unit = 0; unit < system_->stack().size(); ++unit)
      prefill_unit_busy_.push_back(system_->stack().unit(unit).busy_time());
    prefill_events_ = count_events(*system_);
  });
  system_->set_trace_sink(trace);
}

Simulation::~Simulation() = default;

const firmware::AqpimFirmware& Simulation::aqpim() const {
  const auto* aqpim = dynamic_cast<const firmware::AqpimFirmware*>(firmware_.get());
  if (!aqpim) throw std::logic_error("sim.design is " + to_string(params_.sim.design) + ", not aqpim");
  return *aqpim;
}

void Simulation::run() {
  const auto wall_start = std::chrono::steady_clock::now();
  sc_core::sc_start();
  wall_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (system_->host().failure()) std::rethrow_exception(system_->host().failure());
}

RunReport Simulation::report() const {
  const PlatformParams& params = params_;
  const AqpimSystem* system = system_;
  RunReport report;
  report.params = params;
  const auto& host = system->host().statistics();
  report.total_s = double(host.finish_ps) * kPs;
  report.prefill_s = double(firmware_->prefill_end_ps()) * kPs;
  report.decode_s = report.total_s - report.prefill_s;
  for (size_t phase = 0; phase < report.phase_s.size(); ++phase) {
    const uint64_t prefill_ps = firmware_->prefill_phase_ps()[phase];
    report.phase_s[phase] = double(host.phase_ps[phase]) * kPs;
    report.prefill_phase_s[phase] = double(prefill_ps) * kPs;
    report.decode_phase_s[phase] = double(host.phase_ps[phase] - prefill_ps) * kPs;
  }
  report.gpu_flops = host.gpu_flops;
  report.gpu_bytes = host.gpu_bytes;
  report.gpu_busy_s = double(host.gpu_busy_ps) * kPs;

  report.design = to_string(params.sim.design);
  const auto& workload = firmware_->workload();
  const double instances = double(workload.batch) * workload.model.layers * workload.model.kv_heads;
  const double tokens = double(workload.context_tokens) + workload.decode_steps;
  report.kv_fp16_bytes = instances * 2.0 * tokens * workload.model.head_dim * 2.0;
  report.offloaded_kv_bytes = firmware_->offloaded_kv_bytes();
  report.fits = report.offloaded_kv_bytes == 0.0;
  report.gpu_memory = gpu_memory(params);
  report.gpu_kv_resident_bytes = firmware_->gpu_resident_kv_bytes();
  const auto& stack = system->stack();
  const auto& channel_config = stack.config().channel;
  report.pim_capacity_bytes = double(channel_config.capacity_bytes()) * stack.size();
  const double banks = double(channel_config.bank_groups) * channel_config.banks_per_group * stack.size();
  const auto* token = dynamic_cast<const firmware::AqpimFirmware*>(firmware_.get());
  const auto* subvector = dynamic_cast<const firmware::AqpimSubvectorFirmware*>(firmware_.get());
  if (token || subvector) {
    const uint32_t fp16_tokens = params.pq.sink_tokens + params.pq.recent_tokens;
    const core::PqShape shape{size_t(workload.model.head_dim), size_t(params.pq.sub_vectors),
                              size_t(params.pq.centroids_per_window())};
    const size_t coded = tokens > fp16_tokens ? size_t(tokens) - fp16_tokens : 0;
    const auto bytes = core::kv_bytes(shape, coded, size_t(tokens) - coded, size_t(params.pq.windows()));
    report.kv_quantized_bytes = instances * 2.0 * double(bytes.total());
  }
  if (token) {
    report.kv_pim_layout_bytes = double(token->layout().bytes_per_pe_used()) * banks;
    report.fits = token->layout().fits();
  }
  if (subvector) report.kv_pim_layout_bytes = double(subvector->layout().bytes_per_bank_used()) * banks;
  // Where the cache lives: AQPIM's PIM banks hold its codes (the fp16 tokens it offloads aside), AttAcc's the
  // fp16 rows it did not offload; the GPU-side designs report their own HBM share.
  if (design_uses_pim(params.sim.design))
    report.kv_pim_bytes = report.kv_quantized_bytes > 0 ? report.kv_quantized_bytes
                                                        : report.kv_fp16_bytes - report.offloaded_kv_bytes;

  for (uint32_t index = 0; index < stack.size(); ++index) {
    const auto total = stack.channel(index).statistics().total();
    report.hbm_host_bytes += double(total.bytes_read + total.bytes_written);
    report.hbm_bank_bytes += double(total.pim_bytes_read + total.pim_bytes_written);
    const auto& opcodes = stack.unit(index).opcode_stats();
    for (size_t opcode = 0; opcode < opcodes.size(); ++opcode) {
      if (!opcodes[opcode].commands) continue;
      auto& entry = report.pim_commands[std::string(models::pim::opcode_name(uint32_t(opcode)))];
      entry.first += opcodes[opcode].commands;
      entry.second += opcodes[opcode].busy.to_seconds();
    }
  }
  add_busy_times(report);
  if (token || subvector) {
    const PimSramNeeds needs = pim_sram_needs(params);
    report.pim_codebook_sram_bytes = double(needs.codebook_bytes);
    report.pim_lut_sram_bytes = double(needs.lut_bytes);
    report.pim_accumulator_bytes = 4.0 * double(needs.accumulator_entries);
  }
  const auto& pcie = system->pcie().statistics();
  report.pcie_bytes = double(pcie.bytes[0] + pcie.bytes[1]);
  const size_t transfer = size_t(hwif::Phase::kTransfer);
  report.decode_transfer_s = double(host.phase_ps[transfer] - firmware_->prefill_phase_ps()[transfer]) * kPs;
  add_energy(report);
  if (data_) add_accuracy(report, *firmware_, *data_, make_firmware_config(params));
  report.wall_seconds = wall_seconds_;
  return report;
}

void Simulation::add_energy(RunReport& report) const {
  const EventCounts all = count_events(*system_);
  EnergyReport& energy = report.energy;
  energy.prefill_events = prefill_events_;
  for (size_t event = 0; event < all.size(); ++event) energy.decode_events[event] = all[event] - prefill_events_[event];
  energy.prefill = energy_of(energy.prefill_events, report.prefill_s, params_);
  energy.decode = energy_of(energy.decode_events, report.decode_s, params_);
  report.area = area_of(params_);
}

void Simulation::add_busy_times(RunReport& report) const {
  const auto& stack = system_->stack();
  const auto& host = system_->host().statistics();
  report.prefill_gpu_busy_s = double(prefill_gpu_busy_ps_) * kPs;
  report.decode_gpu_busy_s = double(host.gpu_busy_ps - prefill_gpu_busy_ps_) * kPs;
  for (uint32_t unit = 0; unit < stack.size() && unit < prefill_unit_busy_.size(); ++unit) {
    report.prefill_pim_busy_s = std::max(report.prefill_pim_busy_s, prefill_unit_busy_[unit].to_seconds());
    report.decode_pim_busy_s = std::max(report.decode_pim_busy_s,
                                        (stack.unit(unit).busy_time() - prefill_unit_busy_[unit]).to_seconds());
  }
  // The two directions are separate pipes: the busier one is the link's lane.
  const auto& pcie = system_->pcie().statistics();
  for (size_t direction = 0; direction < prefill_pcie_busy_ps_.size(); ++direction) {
    report.prefill_pcie_busy_s = std::max(report.prefill_pcie_busy_s, double(prefill_pcie_busy_ps_[direction]) * kPs);
    report.decode_pcie_busy_s =
        std::max(report.decode_pcie_busy_s, double(pcie.busy_ps[direction] - prefill_pcie_busy_ps_[direction]) * kPs);
  }
  // GPU and PIM both busy for longer than the stretch lasted: at least the excess ran at the same time. Whole
  // picoseconds: the three figures come from picosecond counts, so anything finer is rounding noise.
  const auto overlap = [](double gpu_s, double pim_s, double stretch_s) {
    return std::max(0.0, std::round((gpu_s + pim_s - stretch_s) / kPs)) * kPs;
  };
  report.prefill_overlap_s = overlap(report.prefill_gpu_busy_s, report.prefill_pim_busy_s, report.prefill_s);
  report.decode_overlap_s = overlap(report.decode_gpu_busy_s, report.decode_pim_busy_s, report.decode_s);
}

RunReport run_simulation(const PlatformParams& params, hwif::TraceSink* trace) {
  Simulation simulation(params, trace);
  simulation.run();
  return simulation.report();
}

}  // namespace aqpim::platform
