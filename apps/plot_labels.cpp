#include "apps/plot_labels.h"

#include <cctype>
#include <cmath>
#include <vector>

#include "apps/plot_palette.h"
#include "platform/params.h"

namespace aqpim::apps {
namespace {

// Report columns in words. A pattern with "{}" matches any one name there (a phase, a resource, an
// opcode), which the label shows in the palette's words.
struct MetricPattern {
  const char* column;
  const char* words;
  Quantity quantity;
};
const MetricPattern kMetrics[] = {
    {"latency_s.total", "Total latency", Quantity::seconds},
    {"latency_s.prefill", "Prefill latency", Quantity::seconds},
    {"latency_s.decode", "Decode latency, all steps", Quantity::seconds},
    {"latency_s.decode_per_step", "Decode latency per step", Quantity::seconds},
    {"latency_s.decode_transfer", "Decode time on GPU<->CPU transfers", Quantity::seconds},
    {"latency_s.phases.{}", "{} on the critical path, whole run", Quantity::seconds},
    {"latency_s.decode_busy.{}", "{} during decode", Quantity::seconds},
    {"latency_s.prefill_busy.{}", "{} during prefill", Quantity::seconds},
    {"latency_s.per_decode_step.total", "Decode latency per step", Quantity::seconds},
    {"latency_s.per_decode_step.phases.{}", "{} per decode step", Quantity::seconds},
    {"latency_s.per_decode_step.busy.{}", "{} per decode step", Quantity::seconds},
    {"latency_s.per_prefill_layer.total", "Prefill latency per layer", Quantity::seconds},
    {"latency_s.per_prefill_layer.phases.{}", "{} per prefill layer", Quantity::seconds},
    {"latency_s.per_prefill_layer.busy.{}", "{} per prefill layer", Quantity::seconds},
    {"kv_bytes.fp16", "KV cache in fp16", Quantity::bytes},
    {"kv_bytes.quantized", "KV cache as PQ codes and codebooks", Quantity::bytes},
    {"kv_bytes.pim_layout", "KV layout reserved in PIM", Quantity::bytes},
    {"kv_bytes.pim_capacity", "PIM capacity", Quantity::bytes},
    {"kv_bytes.offloaded", "KV offloaded to CPU memory", Quantity::bytes},
    {"kv_bytes.pim_sram_per_unit.{}", "PIM {} SRAM per unit", Quantity::bytes},
    {"traffic_bytes.hbm_external", "HBM external-bus traffic", Quantity::bytes},
    {"traffic_bytes.hbm_bank_side", "PIM bank-side traffic", Quantity::bytes},
    {"traffic_bytes.pcie", "PCIe traffic", Quantity::bytes},
    {"traffic_bytes.gpu_hbm", "GPU HBM traffic", Quantity::bytes},
    {"gpu.flops", "GPU work", Quantity::flops},
    {"gpu_memory.weights", "GPU HBM holding weights", Quantity::bytes},
    {"gpu_memory.reserve", "GPU HBM reserved (runtime, unused share)", Quantity::bytes},
    {"gpu_memory.workspace", "GPU HBM for prefill activations", Quantity::bytes},
    {"gpu_memory.kv_resident", "KV cache held in GPU HBM", Quantity::bytes},
    {"gpu_memory.kv_offloaded", "KV cache offloaded to CPU memory", Quantity::bytes},
    {"gpu_memory.capacity", "GPU HBM capacity", Quantity::bytes},
    {"gpu.busy_s", "GPU busy time", Quantity::seconds},
    {"pim_commands.{}.count", "PIM {} commands", Quantity::none},
    {"pim_commands.{}.busy_s", "PIM {} time, summed over units", Quantity::seconds},
    {"accuracy.relative_l2_error", "Relative L2 error of decode attention", Quantity::none},
    {"accuracy.cosine_similarity", "Cosine similarity of decode attention", Quantity::none},
    {"wall_seconds", "Simulation wall time", Quantity::seconds},
};

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

// The quantity of a column no pattern names, from the unit its group carries ("latency_s", "_bytes", "_j").
Quantity quantity_from_name(const std::string& column) {
  if (column.rfind("latency_s.", 0) == 0 || ends_with(column, "_s")) return Quantity::seconds;
  if (column.find("bytes") != std::string::npos) return Quantity::bytes;
  if (column.find("flops") != std::string::npos) return Quantity::flops;
  if (column.find("energy_j") != std::string::npos || ends_with(column, "_j")) return Quantity::joules;
  return Quantity::none;
}

std::string capitalised(std::string text) {
  if (!text.empty()) text[0] = char(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

// `column` against a pattern: the name in place of "{}" (no dots in it), or false.
bool match(const std::string& pattern, const std::string& column, std::string& name) {
  const auto hole = pattern.find("{}");
  if (hole == std::string::npos) return name.clear(), pattern == column;
  const std::string before = pattern.substr(0, hole), after = pattern.substr(hole + 2);
  if (column.size() <= before.size() + after.size() || column.rfind(before, 0) != 0 || !ends_with(column, after))
    return false;
  name = column.substr(before.size(), column.size() - before.size() - after.size());
  return name.find('.') == std::string::npos;
}

}  // namespace

MetricLabel metric_label(const std::string& column) {
  for (const auto& metric : kMetrics) {
    std::string name;
    if (!match(metric.column, column, name)) continue;
    std::string words = metric.words;
    const auto hole = words.find("{}");
    if (hole != std::string::npos) words.replace(hole, 2, name_words(name));
    return {capitalised(words), metric.quantity};
  }
  return {column, quantity_from_name(column)};
}

DisplayUnit display_unit(Quantity quantity, double largest) {
  struct Step {
    double size;
    const char* unit;
  };
  static const std::vector<Step> seconds = {{1, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}};
  static const std::vector<Step> bytes = {{double(1ull << 40), "TiB"}, {double(1ull << 30), "GiB"},
                                          {double(1ull << 20), "MiB"}, {1024, "KiB"}, {1, "bytes"}};
  static const std::vector<Step> flops = {{1e15, "PFLOP"}, {1e12, "TFLOP"}, {1e9, "GFLOP"}, {1e6, "MFLOP"}, {1, "FLOP"}};
  static const std::vector<Step> joules = {{1e3, "kJ"}, {1, "J"}, {1e-3, "mJ"}, {1e-6, "uJ"}, {1e-9, "nJ"}};
  const std::vector<Step>* steps = quantity == Quantity::seconds ? &seconds
                                   : quantity == Quantity::bytes ? &bytes
                                   : quantity == Quantity::flops ? &flops
                                   : quantity == Quantity::joules ? &joules
                                                                  : nullptr;
  if (!steps) return {1, ""};
  // Seconds never go above "s" (a minute axis would read as a different quantity); the largest step that
  // keeps the largest value at or above 1, else the smallest step.
  for (const auto& step : *steps)
    if (std::fabs(largest) >= step.size) return {1.0 / step.size, step.unit};
  return {1.0 / steps->back().size, steps->back().unit};
}

std::string with_unit(const std::string& words, const std::string& unit) {
  return unit.empty() ? words : words + " (" + unit + ")";
}

std::string parameter_label(const std::string& key) {
  platform::PlatformParams scratch;
  for (const auto& spec : platform::parameter_table(scratch)) {
    if (spec.key != key) continue;
    // The first sentence or clause; a short name before ':' ("Context length: ...") is the label, a symbol
    // ("K: centroids per ...") keeps its explanation.
    std::string words = spec.doc.substr(0, spec.doc.find_first_of(".;("));
    const auto colon = words.find(':');
    if (colon != std::string::npos && colon > 3) words.resize(colon);
    while (!words.empty() && words.back() == ' ') words.pop_back();
    if (words.rfind("The ", 0) == 0) words = capitalised(words.substr(4));  // "The system simulated": a name
    return with_unit(words.empty() ? key : words, spec.unit);
  }
  return "";
}

std::string lowered(std::string text) {
  const auto upper = [&](size_t i) { return std::isupper(static_cast<unsigned char>(text[i])) != 0; };
  if (text.size() > 1 && upper(0) && !upper(1)) text[0] = char(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string name_words(const std::string& name) {
  const PaletteEntry* entry = palette_entry(name);
  return entry ? entry->words : name;
}

}  // namespace aqpim::apps
