// The report of one run as text and as JSON.
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "platform/simulation.h"

namespace aqpim::platform {
namespace {

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


// One row of the stretch table: a figure per prefill layer and per decode step.
struct StretchRow {
  std::string name;
  double prefill, decode;  // whole prefill and whole decode; the table divides
};

// What one prefill layer and one decode step take on average: the host's critical path, each resource's busy
// time (they run at the same time, so they do not add up to the path), and the critical path by phase.
std::string stretch_table(const RunReport& r) {
  const double layers = r.params.model.layers, steps = r.params.workload.decode_steps;
  std::vector<StretchRow> rows = {
      {"critical path (host)", r.prefill_s, r.decode_s},
      {"  GPU busy", r.prefill_gpu_busy_s, r.decode_gpu_busy_s},
      {"  PIM busy (busiest)", r.prefill_pim_busy_s, r.decode_pim_busy_s},
      {"  PCIe busy (busier way)", r.prefill_pcie_busy_s, r.decode_pcie_busy_s},
      {"  GPU || PIM, at least", r.prefill_overlap_s, r.decode_overlap_s},
      {"critical path by phase", -1, -1}};
  for (size_t phase = 0; phase < r.phase_s.size(); ++phase)
    if (r.phase_s[phase] != 0.0)
      rows.push_back({std::string("  ") + hwif::phase_name(hwif::Phase(phase)), r.prefill_phase_s[phase], r.decode_phase_s[phase]});
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "Per prefill layer and decode step (means over %g layers, %g steps)\n", layers, steps);
  out << line;
  std::snprintf(line, sizeof line, "  %-24s %14s %14s\n", "", "prefill layer", "decode step");
  out << line;
  for (const auto& row : rows) {
    const auto cell = [](double total, double count) {
      return total < 0 ? std::string() : count > 0 && total != 0.0 ? seconds_text(total / count) : std::string("-");
    };
    std::snprintf(line, sizeof line, "  %-24s %14s %14s\n", row.name.c_str(), cell(row.prefill, layers).c_str(),
                  cell(row.decode, steps).c_str());
    out << line;
  }
  return out.str();
}

}  // namespace

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
  out << line;
  out << "\n" << stretch_table(r);
  out << "\nLatency by phase (host critical path, whole run)\n";
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
  if (r.pim_codebook_sram_bytes + r.pim_lut_sram_bytes + r.pim_accumulator_bytes > 0) {
    std::snprintf(line, sizeof line, "  %-22s %14s codebook, %s LUT, %s accumulators\n", "SRAM per PIM unit",
                  bytes_text(r.pim_codebook_sram_bytes).c_str(), bytes_text(r.pim_lut_sram_bytes).c_str(),
                  bytes_text(r.pim_accumulator_bytes).c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "  %-22s %14s\n", "offloaded to CPU", bytes_text(r.offloaded_kv_bytes).c_str());
  out << line;
  const GpuMemory& gpu = r.gpu_memory;
  std::snprintf(line, sizeof line,
                "\nGPU HBM: %s weights, %s reserve, %s workspace, %s KV resident, %s KV offloaded, of %s\n",
                bytes_text(gpu.weights).c_str(), bytes_text(gpu.reserve).c_str(), bytes_text(gpu.workspace).c_str(),
                bytes_text(r.gpu_kv_resident_bytes).c_str(), bytes_text(r.offloaded_kv_bytes).c_str(),
                bytes_text(gpu.capacity).c_str());
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
  out << "\n" << energy_text(r.energy, r.area, double(p.workload.decode_steps));
  std::snprintf(line, sizeof line, "\nWall time %.2f s\n", r.wall_seconds);
  out << line;
  return out.str();
}

nlohmann::json report_json(const RunReport& r) {
  const auto phases_json = [](const auto& seconds, double count) {
    nlohmann::json phases = nlohmann::json::object();
    for (size_t phase = 0; phase < seconds.size(); ++phase)
      phases[hwif::phase_name(hwif::Phase(phase))] = count > 0 ? seconds[phase] / count : 0.0;
    return phases;
  };
  const auto busy_json = [](double gpu, double pim, double pcie, double overlap, double count) {
    const auto mean = [count](double total) { return count > 0 ? total / count : 0.0; };
    return nlohmann::json{{"gpu", mean(gpu)}, {"pim", mean(pim)}, {"pcie", mean(pcie)}, {"overlap", mean(overlap)}};
  };
  const double layers = r.params.model.layers, steps = r.params.workload.decode_steps;
  // The mean prefill layer and decode step, each as one group: its critical path, by phase, and the busy
  // time of every resource (plots draw a breakdown of any of them the same way).
  const nlohmann::json per_layer = {
      {"total", r.prefill_s / layers},
      {"phases", phases_json(r.prefill_phase_s, layers)},
      {"busy", busy_json(r.prefill_gpu_busy_s, r.prefill_pim_busy_s, r.prefill_pcie_busy_s, r.prefill_overlap_s, layers)}};
  const nlohmann::json per_step = {
      {"total", steps > 0 ? r.decode_s / steps : 0.0},
      {"phases", phases_json(r.decode_phase_s, steps)},
      {"busy", busy_json(r.decode_gpu_busy_s, r.decode_pim_busy_s, r.decode_pcie_busy_s, r.decode_overlap_s, steps)}};
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
        {"decode_busy", busy_json(r.decode_gpu_busy_s, r.decode_pim_busy_s, r.decode_pcie_busy_s, r.decode_overlap_s, 1)},
        {"prefill_busy",
         busy_json(r.prefill_gpu_busy_s, r.prefill_pim_busy_s, r.prefill_pcie_busy_s, r.prefill_overlap_s, 1)},
        {"phases", phases_json(r.phase_s, 1)},
        {"per_prefill_layer", per_layer},
        {"per_decode_step", per_step}}},
      {"kv_bytes",
       {{"fp16", r.kv_fp16_bytes},
        {"quantized", r.kv_quantized_bytes},
        {"pim_layout", r.kv_pim_layout_bytes},
        {"pim_capacity", r.pim_capacity_bytes},
        {"offloaded", r.offloaded_kv_bytes},
        {"gpu_resident", r.gpu_kv_resident_bytes},
        {"stored_in", {{"gpu_hbm", r.gpu_kv_resident_bytes}, {"pim_hbm", r.kv_pim_bytes}, {"cpu_memory", r.offloaded_kv_bytes}}},
        {"pim_sram_per_unit",
         {{"codebook", r.pim_codebook_sram_bytes}, {"lut", r.pim_lut_sram_bytes}, {"accumulators", r.pim_accumulator_bytes}}},
        {"fits", r.fits}}},
      {"traffic_bytes",
       {{"hbm_external", r.hbm_host_bytes}, {"hbm_bank_side", r.hbm_bank_bytes}, {"pcie", r.pcie_bytes},
        {"gpu_hbm", r.gpu_bytes}}},
      {"gpu", {{"flops", r.gpu_flops}, {"busy_s", r.gpu_busy_s}}},
      {"gpu_memory",
       {{"weights", r.gpu_memory.weights},
        {"reserve", r.gpu_memory.reserve},
        {"workspace", r.gpu_memory.workspace},
        {"kv_resident", r.gpu_kv_resident_bytes},
        {"kv_offloaded", r.offloaded_kv_bytes},
        {"capacity", r.gpu_memory.capacity}}},
      {"pim_commands", commands},
      {"energy_j", energy_json(r.energy, steps)},
      {"energy_events", energy_events_json(r.energy)},
      {"area_mm2", area_json(r.area)},
      {"wall_seconds", r.wall_seconds}};
  if (r.has_accuracy)
    report["accuracy"] = {{"relative_l2_error", r.relative_l2_error}, {"cosine_similarity", r.cosine_similarity}};
  return report;
}

}  // namespace aqpim::platform
