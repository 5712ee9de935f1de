// The report of one run as text and as JSON.
#include <cstdio>
#include <sstream>

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
  if (r.decode_s > 0) {
    std::snprintf(line, sizeof line, "  %-22s %14s  GPU, %s busiest PIM unit, at least %s overlapped\n", "decode busy",
                  seconds_text(r.decode_gpu_busy_s).c_str(), seconds_text(r.decode_pim_busy_s).c_str(),
                  seconds_text(r.decode_overlap_s).c_str());
    out << line;
  }
  out << "\nLatency by phase (host critical path)\n";
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
        {"decode_busy", {{"gpu", r.decode_gpu_busy_s}, {"pim", r.decode_pim_busy_s}, {"overlap", r.decode_overlap_s}}},
        {"phases", phases}}},
      {"kv_bytes",
       {{"fp16", r.kv_fp16_bytes},
        {"quantized", r.kv_quantized_bytes},
        {"pim_layout", r.kv_pim_layout_bytes},
        {"pim_capacity", r.pim_capacity_bytes},
        {"offloaded", r.offloaded_kv_bytes},
        {"pim_sram_per_unit",
         {{"codebook", r.pim_codebook_sram_bytes}, {"lut", r.pim_lut_sram_bytes}, {"accumulators", r.pim_accumulator_bytes}}},
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
