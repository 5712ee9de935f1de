#include "platform/simulation.h"

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

std::string seconds_text(double seconds) {
  char text[32];
  if (seconds >= 1.0)
    std::snprintf(text, sizeof text, "%.3f s", seconds);
  else if (seconds >= 1e-3)
    std::snprintf(text, sizeof text, "%.3f ms", seconds * 1e3);
  else
    std::snprintf(text, sizeof text, "%.3f us", seconds * 1e6);
  return text;
}

std::string bytes_text(double bytes) {
  char text[32];
  if (bytes >= double(1ull << 30))
    std::snprintf(text, sizeof text, "%.2f GiB", bytes / double(1ull << 30));
  else if (bytes >= double(1ull << 20))
    std::snprintf(text, sizeof text, "%.2f MiB", bytes / double(1ull << 20));
  else
    std::snprintf(text, sizeof text, "%.2f KiB", bytes / 1024.0);
  return text;
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
  for (size_t phase = 0; phase < report.phase_s.size(); ++phase) report.phase_s[phase] = double(host.phase_ps[phase]) * kPs;
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
  const auto& pcie = system->pcie().statistics();
  report.pcie_bytes = double(pcie.bytes[0] + pcie.bytes[1]);
  const size_t transfer = size_t(hwif::Phase::kTransfer);
  report.decode_transfer_s = double(host.phase_ps[transfer] - firmware_->prefill_phase_ps()[transfer]) * kPs;
  if (data_) add_accuracy(report, *firmware_, *data_, make_firmware_config(params));
  report.wall_seconds = wall_seconds_;
  return report;
}

RunReport run_simulation(const PlatformParams& params, hwif::TraceSink* trace) {
  Simulation simulation(params, trace);
  simulation.run();
  return simulation.report();
}

std::string format_report(const RunReport& r) {
  const auto& p = r.params;
  std::ostringstream out;
  char line[160];
  out << r.design << " run: " << p.model.preset << ", batch " << p.workload.batch << ", context " << p.workload.context_tokens
      << ", " << p.workload.decode_steps << " decode steps, " << to_string(p.sim.mode) << " mode\n\n";
  out << "Latency (simulated)\n";
  std::snprintf(line, sizeof line, "  %-22s %14s\n", "total", seconds_text(r.total_s).c_str());
  out << line;
  std::snprintf(line, sizeof line, "  %-22s %14s\n", "prefill", seconds_text(r.prefill_s).c_str());
  out << line;
  std::snprintf(line, sizeof line, "  %-22s %14s  (%s per step)\n", "decode", seconds_text(r.decode_s).c_str(),
                seconds_text(p.workload.decode_steps ? r.decode_s / double(p.workload.decode_steps) : 0.0).c_str());
  out << line;
  std::snprintf(line, sizeof line, "  %-22s %14s  (%.1f %% of decode)\n", "decode GPU<->CPU", seconds_text(r.decode_transfer_s).c_str(),
                r.decode_s > 0 ? 100.0 * r.decode_transfer_s / r.decode_s : 0.0);
  out << line << "\nLatency by phase (host critical path)\n";
  for (size_t phase = 0; phase < r.phase_s.size(); ++phase) {
    if (r.phase_s[phase] == 0.0) continue;
    std::snprintf(line, sizeof line, "  %-22s %14s  %5.1f %%\n", hwif::phase_name(hwif::Phase(phase)),
                  seconds_text(r.phase_s[phase]).c_str(), r.total_s > 0 ? 100.0 * r.phase_s[phase] / r.total_s : 0.0);
    out << line;
  }
  out << "\nKV cache (whole batch)\n";
  std::snprintf(line, sizeof line, "  %-22s %14s\n", "fp16", bytes_text(r.kv_fp16_bytes).c_str());
  out << line;
  if (r.kv_quantized_bytes > 0) {
    std::snprintf(line, sizeof line, "  %-22s %14s  (%.2fx smaller)\n", "PQ (packed codes)",
                  bytes_text(r.kv_quantized_bytes).c_str(), r.kv_fp16_bytes / r.kv_quantized_bytes);
    out << line;
    std::snprintf(line, sizeof line, "  %-22s %14s  of %s PIM capacity: %s\n", "PIM layout",
                  bytes_text(r.kv_pim_layout_bytes).c_str(), bytes_text(r.pim_capacity_bytes).c_str(),
                  r.fits ? "fits" : "DOES NOT FIT");
    out << line;
  }
  std::snprintf(line, sizeof line, "  %-22s %14s\n", "offloaded to CPU", bytes_text(r.offloaded_kv_bytes).c_str());
  out << line << "\nTraffic and bandwidth (over the whole run)\n";
  auto bandwidth = [&](const char* name, double bytes) {
    std::snprintf(line, sizeof line, "  %-22s %14s  %10.1f GB/s\n", name, bytes_text(bytes).c_str(),
                  r.total_s > 0 ? bytes / r.total_s / 1e9 : 0.0);
    out << line;
  };
  bandwidth("HBM external bus", r.hbm_host_bytes);
  bandwidth("HBM bank-side (PIM)", r.hbm_bank_bytes);
  bandwidth("PCIe", r.pcie_bytes);
  bandwidth("GPU HBM (roofline)", r.gpu_bytes);
  std::snprintf(line, sizeof line, "  %-22s %14s busy, %.1f TFLOP\n", "GPU", seconds_text(r.gpu_busy_s).c_str(),
                r.gpu_flops / 1e12);
  out << line << "\nPIM commands (all units)\n";
  for (const auto& [name, entry] : r.pim_commands) {
    std::snprintf(line, sizeof line, "  %-22s %12llu  %14s unit-busy\n", name.c_str(), (unsigned long long)entry.first,
                  seconds_text(entry.second).c_str());
    out << line;
  }
  if (r.has_accuracy) {
    std::snprintf(line, sizeof line, "\nAccuracy of decode attention vs fp32 reference: relative L2 error %.4g, cosine %.6f\n",
                  r.relative_l2_error, r.cosine_similarity);
    out << line;
  }
  std::snprintf(line, sizeof line, "\nWall time %.2f s\n", r.wall_seconds);
  out << line;
  return out.str();
}

nlohmann::json report_json(const RunReport& r) {
  nlohmann::json phases = nlohmann::json::object();
  for (size_t phase = 0; phase < r.phase_s.size(); ++phase)
    phases[hwif::phase_name(hwif::Phase(phase))] = r.phase_s[phase];
  nlohmann::json commands = nlohmann::json::object();
  for (const auto& [name, entry] : r.pim_commands) commands[name] = {{"count", entry.first}, {"busy_s", entry.second}};
  nlohmann::json report = {
      {"parameters", to_json(r.params)},
      {"design", r.design},
      {"latency_s",
       {{"total", r.total_s},
        {"prefill", r.prefill_s},
        {"decode", r.decode_s},
        {"decode_transfer", r.decode_transfer_s},
        {"phases", phases}}},
      {"kv_bytes",
       {{"fp16", r.kv_fp16_bytes},
        {"quantized", r.kv_quantized_bytes},
        {"pim_layout", r.kv_pim_layout_bytes},
        {"pim_capacity", r.pim_capacity_bytes},
        {"offloaded", r.offloaded_kv_bytes},
        {"fits", r.fits}}},
      {"traffic_bytes",
       {{"hbm_external", r.hbm_host_bytes}, {"hbm_bank_side", r.hbm_bank_bytes}, {"pcie", r.pcie_bytes},
        {"gpu_hbm", r.gpu_bytes}}},
      {"gpu", {{"flops", r.gpu_flops}, {"busy_s", r.gpu_busy_s}}},
      {"pim_commands", commands},
      {"wall_seconds", r.wall_seconds}};
  if (r.has_accuracy)
    report["accuracy"] = {{"relative_l2_error", r.relative_l2_error}, {"cosine_similarity", r.cosine_similarity}};
  return report;
}

}  // namespace aqpim::platform
