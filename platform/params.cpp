#include "platform/params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

namespace aqpim::platform {
namespace {

using json = nlohmann::json;

std::string format_real(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(int64_t(value));
  std::ostringstream out;
  out.precision(std::numeric_limits<double>::max_digits10);
  out << value;
  // Shortest text that reads back exactly is nicer for humans; max_digits10 only when needed.
  for (int digits = 1; digits <= std::numeric_limits<double>::max_digits10; ++digits) {
    std::ostringstream shorter;
    shorter.precision(digits);
    shorter << value;
    if (std::strtod(shorter.str().c_str(), nullptr) == value) return shorter.str();
  }
  return out.str();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) text += (i ? separator : "") + items[i];
  return text;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(const std::string& key, const std::string& source,
                                std::vector<ParamSpec>& table) {
  const ParamSpec* closest = nullptr;
  size_t best = std::numeric_limits<size_t>::max();
  for (const auto& spec : table) {
    size_t distance = edit_distance(key, spec.key);
    if (distance < best) best = distance, closest = &spec;
  }
  std::string message = "unknown parameter '" + key + "' in " + source;
  if (closest && best <= std::max<size_t>(3, key.size() / 4)) message += " (did you mean '" + closest->key + "'?)";
  return message + "; 'aqpim params' lists them all";
}

std::string describe_json(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

[[noreturn]] void fail_value(const ParamSpec& spec, const std::string& source, const std::string& got) {
  throw ParamError("parameter '" + spec.key + "' in " + source + ": expected " + accepted_values(spec) +
                   ", got " + got);
}

bool parse_int(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = value;
  return true;
}

bool parse_real(const std::string& text, double& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value)) return false;
  out = value;
  return true;
}

// Writes one value into the field a spec describes, checking type and range. Exactly one of json_value /
// text is meaningful: files carry typed JSON, the command line carries text interpreted by the field type.
void assign(const ParamSpec& spec, const json* json_value, const std::string& text, const std::string& source) {
  const std::string got = json_value ? describe_json(*json_value) : "'" + text + "'";
  std::visit(
      [&](auto& field) {
        using Field = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, IntRange>) {
          int64_t value = 0;
          bool ok = json_value ? (json_value->is_number_integer() &&
                                  !(json_value->is_number_unsigned() &&
                                    json_value->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
                               : parse_int(text, value);
          if (ok && json_value) value = json_value->get<int64_t>();
          if (!ok || value < field.min || value > field.max) fail_value(spec, source, got);
          *field.value = value;
        } else if constexpr (std::is_same_v<Field, RealRange>) {
          double value = 0;
          bool ok = json_value ? json_value->is_number() : parse_real(text, value);
          if (ok && json_value) value = json_value->get<double>();
          if (!ok || !(value >= field.min && value <= field.max)) fail_value(spec, source, got);
          *field.value = value;
        } else if constexpr (std::is_same_v<Field, Flag>) {
          if (json_value) {
            if (!json_value->is_boolean()) fail_value(spec, source, got);
            *field.value = json_value->get<bool>();
          } else if (text == "true" || text == "1" || text == "on") {
            *field.value = true;
          } else if (text == "false" || text == "0" || text == "off") {
            *field.value = false;
          } else {
            fail_value(spec, source, got);
          }
        } else {
          std::string value;
          if (json_value) {
            if (!json_value->is_string()) fail_value(spec, source, got);
            value = json_value->get<std::string>();
          } else {
            value = text;
          }
          if (std::find(field.choices.begin(), field.choices.end(), value) == field.choices.end())
            fail_value(spec, source, "'" + value + "'");
          *field.value = value;
        }
      },
      spec.field);
}

}  // namespace

std::vector<ParamSpec> parameter_table(PlatformParams& p) {
  constexpr int64_t kMaxTokens = int64_t(1) << 24;
  std::vector<std::string> preset_names;
  for (const auto& preset : model_presets()) preset_names.push_back(preset.name);
  preset_names.push_back("custom");
  auto& t = p.hbm.timing;
  return {
      {"model.preset", "", "Model shape preset applied before any other model.* value; 'custom' keeps the given fields.",
       Choice{&p.model.preset, preset_names}},
      {"model.layers", "", "Transformer decoder layers.", IntRange{&p.model.layers, 1, 256}},
      {"model.hidden", "", "Hidden (embedding) width.", IntRange{&p.model.hidden, 16, 65536}},
      {"model.heads", "", "Query attention heads per layer.", IntRange{&p.model.heads, 1, 256}},
      {"model.kv_heads", "", "Key/value heads per layer (fewer than heads means grouped-query attention).",
       IntRange{&p.model.kv_heads, 1, 256}},
      {"model.head_dim", "", "Width of one attention head.", IntRange{&p.model.head_dim, 4, 1024}},
      {"model.ffn_hidden", "", "Feed-forward inner width.", IntRange{&p.model.ffn_hidden, 16, 262144}},
      {"model.vocab", "", "Vocabulary size (LM head GEMV).", IntRange{&p.model.vocab, 16, 1048576}},

      {"workload.context_tokens", "tokens", "Prompt length prefilled before decoding.",
       IntRange{&p.workload.context_tokens, 1, kMaxTokens}},
      {"workload.batch", "sequences", "Sequences decoded together.", IntRange{&p.workload.batch, 1, 1024}},
      {"workload.decode_steps", "tokens", "Tokens generated per sequence after the prefill.",
       IntRange{&p.workload.decode_steps, 0, 1 << 20}},
      {"workload.seed", "", "Seed of the synthetic KV data and of k-means initialisation (functional mode).",
       IntRange{&p.workload.seed, 0, std::numeric_limits<int32_t>::max()}},

      {"pq.sub_vectors", "", "m: sub-vectors each KV head vector is split into (sub-vector width = head_dim / m).",
       IntRange{&p.pq.sub_vectors, 1, 1024}},
      {"pq.centroids", "", "K: centroids per sub-space codebook; codes take ceil(log2 K) bits.",
       IntRange{&p.pq.centroids, 2, 4096}},
      {"pq.sink_tokens", "tokens", "First tokens kept in fp16 (attention sinks).", IntRange{&p.pq.sink_tokens, 0, 4096}},
      {"pq.recent_tokens", "tokens", "Most recent tokens kept in fp16 before they are quantized.",
       IntRange{&p.pq.recent_tokens, 0, 65536}},
      {"pq.kmeans_iterations", "", "In-memory k-means iterations during prefill.",
       IntRange{&p.pq.kmeans_iterations, 1, 100}},
      {"pq.importance_weighting", "", "Weight k-means updates by the attention the last prefill queries paid each token.",
       Flag{&p.pq.importance_weighting}},
      {"pq.importance_queries", "queries", "t: last prefill queries whose attention probabilities weight k-means.",
       IntRange{&p.pq.importance_queries, 1, 4096}},
      {"pq.channel_presort", "", "Permute channels offline so similar channels share a sub-vector.",
       Flag{&p.pq.channel_presort}},
      {"pq.windowed_clustering", "", "Page-aware windowed clustering (codebooks carried from row window to window).",
       Flag{&p.pq.windowed_clustering}},
      {"pq.window_centroids", "", "K_row: most centroids one DRAM row window holds (1 KB row / 2-byte products = 512).",
       IntRange{&p.pq.window_centroids, 2, 4096}},
      {"pq.value_path", "", "How PIM aggregates values: per-centroid softmax histogram x codebook, or reconstruct V then weight.",
       Choice{&p.pq.value_path, {"histogram", "reconstruct"}}},

      {"hbm.stacks", "", "HBM stacks attached to the GPU.", IntRange{&p.hbm.stacks, 1, 16}},
      {"hbm.pim_stacks", "", "Of those, stacks replaced by HBM-PIM.", IntRange{&p.hbm.pim_stacks, 0, 16}},
      {"hbm.channels_per_stack", "", "Independent channels per stack.", IntRange{&p.hbm.channels_per_stack, 1, 64}},
      {"hbm.pseudo_channels", "", "Pseudo-channels per channel.", IntRange{&p.hbm.pseudo_channels, 1, 4}},
      {"hbm.bank_groups", "", "Bank groups per pseudo-channel.", IntRange{&p.hbm.bank_groups, 1, 16}},
      {"hbm.banks_per_group", "", "Banks per bank group.", IntRange{&p.hbm.banks_per_group, 1, 16}},
      {"hbm.rows_per_bank", "", "Rows per bank.", IntRange{&p.hbm.rows_per_bank, 1, 1 << 24}},
      {"hbm.row_bytes", "bytes", "Row (page) size of one bank.", IntRange{&p.hbm.row_bytes, 64, 65536}},
      {"hbm.data_width_bits", "bits", "Data bus width of one pseudo-channel.", IntRange{&p.hbm.data_width_bits, 8, 1024}},
      {"hbm.burst_length", "beats", "Beats per burst.", IntRange{&p.hbm.burst_length, 1, 64}},
      {"hbm.data_rate_gbps", "Gbit/s/pin", "Data rate per pin.", RealRange{&p.hbm.data_rate_gbps, 0.1, 64.0}},
      {"hbm.page_policy", "", "Row buffer policy: keep rows open after access, or precharge immediately.",
       Choice{&p.hbm.page_policy, {"open", "closed"}}},
      {"hbm.address_mapping", "", "Physical address bit order, most significant field first (Ro row, Ba bank, Bg bank group, Co column, Ch channel).",
       Choice{&p.hbm.address_mapping, {"RoBaBgCoCh", "RoCoBaBgCh", "ChRoBaBgCo", "RoBgBaCoCh"}}},
      {"hbm.timing.tck_ns", "ns", "Command clock period.", RealRange{&t.tck_ns, 0.1, 10.0}},
      {"hbm.timing.nCL", "tCK", "Read latency (CAS).", IntRange{&t.nCL, 1, 1000}},
      {"hbm.timing.nRCDRD", "tCK", "Activate to read.", IntRange{&t.nRCDRD, 1, 1000}},
      {"hbm.timing.nRCDWR", "tCK", "Activate to write.", IntRange{&t.nRCDWR, 1, 1000}},
      {"hbm.timing.nRP", "tCK", "Precharge period.", IntRange{&t.nRP, 1, 1000}},
      {"hbm.timing.nRAS", "tCK", "Activate to precharge, minimum.", IntRange{&t.nRAS, 1, 1000}},
      {"hbm.timing.nRC", "tCK", "Activate to activate, same bank.", IntRange{&t.nRC, 1, 2000}},
      {"hbm.timing.nWR", "tCK", "Write recovery before precharge.", IntRange{&t.nWR, 1, 1000}},
      {"hbm.timing.nCCDS", "tCK", "Column to column, different bank group.", IntRange{&t.nCCDS, 1, 100}},
      {"hbm.timing.nCCDL", "tCK", "Column to column, same bank group.", IntRange{&t.nCCDL, 1, 100}},
      {"hbm.timing.nRRDS", "tCK", "Activate to activate, different bank group.", IntRange{&t.nRRDS, 1, 100}},
      {"hbm.timing.nRRDL", "tCK", "Activate to activate, same bank group.", IntRange{&t.nRRDL, 1, 100}},
      {"hbm.timing.nFAW", "tCK", "Window holding at most four activates.", IntRange{&t.nFAW, 1, 1000}},
      {"hbm.timing.nRFC", "tCK", "Refresh cycle time.", IntRange{&t.nRFC, 1, 10000}},
      {"hbm.timing.nREFI", "tCK", "Average refresh interval.", IntRange{&t.nREFI, 1, 1000000}},

      {"pim.placement", "", "Where processing units sit: one per bank or one per bank group.",
       Choice{&p.pim.placement, {"bank", "bank_group"}}},
      {"pim.macs_per_unit", "MACs/tCK", "FP16 multiply-accumulate lanes per processing unit.",
       IntRange{&p.pim.macs_per_unit, 1, 1024}},
      {"pim.codebook_sram_kib", "KiB", "Codebook SRAM per processing unit.", IntRange{&p.pim.codebook_sram_kib, 1, 65536}},
      {"pim.lut_sram_kib", "KiB", "Score lookup-table SRAM per processing unit.", IntRange{&p.pim.lut_sram_kib, 1, 65536}},
      {"pim.accumulator_entries", "", "fp32 accumulators per processing unit: value histograms (m x K) and k-means sums (m x K x (sub_dim + 1)).",
       IntRange{&p.pim.accumulator_entries, 1, 1 << 24}},
      {"pim.buffer_accumulator_entries", "", "fp32 accumulators of the buffer-die unit (reduction of k-means sums).",
       IntRange{&p.pim.buffer_accumulator_entries, 1, 1 << 24}},
      {"pim.io_buffer_kib", "KiB", "Buffer-die IO buffer per pseudo-channel (queries in, partial results out).",
       IntRange{&p.pim.io_buffer_kib, 1, 65536}},
      {"pim.buffer_macs", "MACs/tCK", "Multiply-accumulate lanes of the buffer-die unit of each pseudo-channel.",
       IntRange{&p.pim.buffer_macs, 1, 4096}},

      {"gpu.peak_tflops", "TFLOP/s", "Dense fp16 peak of the host GPU (H100 SXM: 989).",
       RealRange{&p.gpu.peak_tflops, 0.1, 100000.0}},
      {"gpu.hbm_bandwidth_gbps", "GB/s", "GPU memory bandwidth for weights (H100 SXM: 3350).",
       RealRange{&p.gpu.hbm_bandwidth_gbps, 1.0, 100000.0}},
      {"gpu.compute_efficiency", "", "Fraction of peak FLOP/s dense kernels reach (1 = ideal roofline).",
       RealRange{&p.gpu.compute_efficiency, 0.01, 1.0}},
      {"gpu.memory_efficiency", "", "Fraction of peak bandwidth dense kernels reach (1 = ideal roofline).",
       RealRange{&p.gpu.memory_efficiency, 0.01, 1.0}},

      {"pcie.bandwidth_gbps", "GB/s", "GPU<->CPU link bandwidth per direction (PCIe 5.0 x16: 64).",
       RealRange{&p.pcie.bandwidth_gbps, 0.1, 10000.0}},
      {"pcie.latency_ns", "ns", "Fixed cost of one DMA transfer over the link.", RealRange{&p.pcie.latency_ns, 0.0, 1e7}},
      {"cpu.memory_bandwidth_gbps", "GB/s", "Host CPU DRAM bandwidth for offloaded KV.",
       RealRange{&p.cpu.memory_bandwidth_gbps, 0.1, 100000.0}},
      {"cpu.memory_latency_ns", "ns", "Host CPU DRAM access latency (overlaps the link's own streaming).",
       RealRange{&p.cpu.memory_latency_ns, 0.0, 1e6}},
      {"cpu.memory_capacity_gib", "GiB", "Host CPU DRAM capacity for offloaded KV.",
       IntRange{&p.cpu.memory_capacity_gib, 1, 1 << 20}},

      {"sim.design", "", "The system simulated: aqpim (PQ KV cache in HBM-PIM); attacc (AttAcc-like PIM on an fp16 KV cache, overflow to CPU memory); gpu_offload (GPU only, fp16 KV overflowing its HBM to CPU memory over PCIe; every hbm.stacks is plain HBM).",
       Choice{&p.sim.design, {"aqpim", "attacc", "gpu_offload"}}},
      {"sim.mode", "", "functional: real data through the platform (small models); timing: sizes only, same timing.",
       Choice{&p.sim.mode, {"timing", "functional"}}},
      {"sim.quantum_ns", "ns", "Temporal-decoupling quantum of the initiators.", RealRange{&p.sim.quantum_ns, 1.0, 1e9}},
  };
}

std::string accepted_values(const ParamSpec& spec) {
  return std::visit(
      [](const auto& field) -> std::string {
        using Field = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, IntRange>)
          return "an integer in [" + std::to_string(field.min) + ", " + std::to_string(field.max) + "]";
        else if constexpr (std::is_same_v<Field, RealRange>)
          return "a number in [" + format_real(field.min) + ", " + format_real(field.max) + "]";
        else if constexpr (std::is_same_v<Field, Flag>)
          return "true or false";
        else
          return "one of " + join(field.choices, ", ");
      },
      spec.field);
}

std::string current_value(const ParamSpec& spec) {
  return std::visit(
      [](const auto& field) -> std::string {
        using Field = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, IntRange>)
          return std::to_string(*field.value);
        else if constexpr (std::is_same_v<Field, RealRange>)
          return format_real(*field.value);
        else if constexpr (std::is_same_v<Field, Flag>)
          return *field.value ? "true" : "false";
        else
          return *field.value;
      },
      spec.field);
}

void ParamLoader::add_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ParamError("cannot read parameter file '" + path + "'");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& error) {
    std::string what = error.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; the user needs the position and the reason.
    auto bracket = what.find("] ");
    throw ParamError("parameter file '" + path + "' is not valid JSON: " +
                     (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  add_json(document, "'" + path + "'");
}

void ParamLoader::add_json(const json& document, const std::string& source_name) {
  if (!document.is_object())
    throw ParamError("parameter file " + source_name + ": expected a JSON object at the top level, got " +
                     document.type_name());
  flatten(document, "", source_name);
}

void ParamLoader::flatten(const json& node, const std::string& prefix, const std::string& source) {
  for (const auto& [name, value] : node.items()) {
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (value.is_object())
      flatten(value, key, source);
    else
      assignments_.push_back({key, source, std::make_shared<const json>(value), ""});
  }
}

void ParamLoader::add_override(const std::string& key_equals_value, const std::string& source) {
  auto equals = key_equals_value.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ParamError(source + " '" + key_equals_value + "': expected KEY=VALUE, e.g. " + source +
                     " pim.placement=bank_group");
  assignments_.push_back({key_equals_value.substr(0, equals), source, nullptr, key_equals_value.substr(equals + 1)});
}

PlatformParams ParamLoader::resolve() const {
  PlatformParams params;
  auto table = parameter_table(params);
  auto find_spec = [&](const Assignment& assignment) -> const ParamSpec& {
    for (const auto& spec : table)
      if (spec.key == assignment.key) return spec;
    // A key that is a prefix of real keys is a group written as a scalar ("hbm": 5).
    for (const auto& spec : table)
      if (spec.key.rfind(assignment.key + ".", 0) == 0)
        throw ParamError("parameter group '" + assignment.key + "' in " + assignment.source +
                         ": expected an object of parameters, not a single value");
    throw ParamError(unknown_key_message(assignment.key, assignment.source, table));
  };
  auto apply = [&](const Assignment& assignment) {
    assign(find_spec(assignment), assignment.json_value.get(), assignment.text_value, assignment.source);
  };

  for (const auto& assignment : assignments_)
    if (assignment.key == "model.preset") apply(assignment);
  for (const auto& preset : model_presets())
    if (preset.name == params.model.preset) params.model = preset.shape;
  for (const auto& assignment : assignments_)
    if (assignment.key != "model.preset") apply(assignment);

  validate(params);
  return params;
}

void validate(const PlatformParams& p) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw ParamError(message);
  };
  auto value = [](const char* key, int64_t v) { return std::string("'") + key + "' (" + std::to_string(v) + ")"; };

  require(p.model.heads % p.model.kv_heads == 0,
          value("model.kv_heads", p.model.kv_heads) + " must divide " + value("model.heads", p.model.heads));
  require(p.model.head_dim % p.pq.sub_vectors == 0,
          value("pq.sub_vectors", p.pq.sub_vectors) + " must divide " + value("model.head_dim", p.model.head_dim));
  const int64_t sub_dim = p.model.head_dim / p.pq.sub_vectors;
  require(sub_dim >= 1 && sub_dim <= 16, "sub-vector width model.head_dim / pq.sub_vectors = " +
                                             std::to_string(sub_dim) + " must be in [1, 16]");
  require(p.pq.window_centroids >= p.pq.centroids || p.pq.windowed_clustering,
          value("pq.window_centroids", p.pq.window_centroids) + " is below " +
              value("pq.centroids", p.pq.centroids) + " but pq.windowed_clustering is off");
  require(p.hbm.pim_stacks <= p.hbm.stacks,
          value("hbm.pim_stacks", p.hbm.pim_stacks) + " must be at most " + value("hbm.stacks", p.hbm.stacks));
  const auto& t = p.hbm.timing;
  require(t.nRC >= t.nRAS + t.nRP, value("hbm.timing.nRC", t.nRC) + " must be at least nRAS + nRP (" +
                                       std::to_string(t.nRAS + t.nRP) + ")");
  require(t.nCCDL >= t.nCCDS, value("hbm.timing.nCCDL", t.nCCDL) + " must be at least " +
                                  value("hbm.timing.nCCDS", t.nCCDS));
  require(t.nRRDL >= t.nRRDS, value("hbm.timing.nRRDL", t.nRRDL) + " must be at least " +
                                  value("hbm.timing.nRRDS", t.nRRDS));
  require(t.nREFI > t.nRFC, value("hbm.timing.nREFI", t.nREFI) + " must exceed " + value("hbm.timing.nRFC", t.nRFC));
  // A burst must fit in the column-to-column gap, or back-to-back reads would overlap on the bus.
  const double burst_tck = double(p.hbm.burst_length) / (p.hbm.data_rate_gbps * t.tck_ns);
  require(burst_tck <= double(t.nCCDS) + 1e-9,
          "a burst of hbm.burst_length / (hbm.data_rate_gbps x hbm.timing.tck_ns) = " + format_real(burst_tck) +
              " tCK does not fit in " + value("hbm.timing.nCCDS", t.nCCDS));
  const int64_t access_bytes = p.hbm.data_width_bits * p.hbm.burst_length / 8;
  require(p.hbm.row_bytes % access_bytes == 0,
          value("hbm.row_bytes", p.hbm.row_bytes) + " must be a multiple of one burst (" +
              std::to_string(access_bytes) + " bytes = data_width_bits x burst_length / 8)");
  // AQPIM keeps one head's codebook, LUT and k-means sums on each PE while it works on that head.
  const int64_t codebook_bytes = p.pq.sub_vectors * p.pq.centroids * sub_dim * 2;
  require(codebook_bytes <= p.pim.codebook_sram_kib * 1024,
          "one head's codebook (pq.sub_vectors x pq.centroids x sub_dim x 2 bytes = " + std::to_string(codebook_bytes) +
              " bytes) does not fit " + value("pim.codebook_sram_kib", p.pim.codebook_sram_kib) + " KiB");
  const int64_t lut_bytes = p.pq.sub_vectors * p.pq.centroids * 4;
  require(lut_bytes <= p.pim.lut_sram_kib * 1024,
          "one query's LUT (pq.sub_vectors x pq.centroids x 4 bytes = " + std::to_string(lut_bytes) +
              " bytes) does not fit " + value("pim.lut_sram_kib", p.pim.lut_sram_kib) + " KiB");
  const int64_t kmeans_entries = p.pq.sub_vectors * p.pq.centroids * (sub_dim + 1);
  require(kmeans_entries <= p.pim.accumulator_entries,
          "k-means sums (pq.sub_vectors x pq.centroids x (sub_dim + 1) = " + std::to_string(kmeans_entries) +
              ") exceed " + value("pim.accumulator_entries", p.pim.accumulator_entries));
  require(kmeans_entries <= p.pim.buffer_accumulator_entries,
          "k-means sums (pq.sub_vectors x pq.centroids x (sub_dim + 1) = " + std::to_string(kmeans_entries) +
              ") exceed " + value("pim.buffer_accumulator_entries", p.pim.buffer_accumulator_entries));
  require(!p.pq.windowed_clustering,
          "pq.windowed_clustering = true is modelled by the algorithm core only; the platform firmware keeps one "
          "codebook per head: set it to false");
  if (p.pq.importance_weighting)
    require(p.pq.importance_queries <= p.workload.context_tokens,
            value("pq.importance_queries", p.pq.importance_queries) + " exceeds " +
                value("workload.context_tokens", p.workload.context_tokens));
}

json to_json(const PlatformParams& params) {
  PlatformParams copy = params;
  json document = json::object();
  for (const auto& spec : parameter_table(copy)) {
    json::json_pointer pointer("/" + [&] {
      std::string path = spec.key;
      std::replace(path.begin(), path.end(), '.', '/');
      return path;
    }());
    std::visit([&](const auto& field) { document[pointer] = *field.value; }, spec.field);
  }
  return document;
}

std::string to_markdown_reference(const PlatformParams& defaults) {
  PlatformParams copy = defaults;
  std::ostringstream out;
  out << "# Parameter reference\n\n"
      << "Generated by `aqpim params --markdown`; a test fails when this file and the code disagree.\n"
      << "Set parameters in a JSON file (nested objects follow the dots: `{\"hbm\": {\"timing\": {\"nCL\": 20}}}`)\n"
      << "passed with `--config FILE`, or one at a time with `--set KEY=VALUE`; later sources win, and\n"
      << "`model.preset` is applied before every other `model.*` value. Unknown keys, wrong types and\n"
      << "out-of-range values are errors (exit code 2).\n\n";
  std::string group;
  for (const auto& spec : parameter_table(copy)) {
    std::string spec_group = spec.key.substr(0, spec.key.find('.'));
    if (spec_group != group) {
      group = spec_group;
      out << "\n## " << group << "\n\n| key | default | unit | accepted | meaning |\n|---|---|---|---|---|\n";
    }
    out << "| `" << spec.key << "` | " << current_value(spec) << " | " << spec.unit << " | "
        << accepted_values(spec) << " | " << spec.doc << " |\n";
  }
  out << "\n## Model presets\n\n| preset | layers | hidden | heads | kv_heads | head_dim | ffn_hidden | vocab | notes |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& preset : model_presets()) {
    const auto& s = preset.shape;
    out << "| `" << preset.name << "` | " << s.layers << " | " << s.hidden << " | " << s.heads << " | " << s.kv_heads
        << " | " << s.head_dim << " | " << s.ffn_hidden << " | " << s.vocab << " | " << preset.description << " |\n";
  }
  return out.str();
}

const std::vector<ModelPreset>& model_presets() {
  // Shapes from each model's published config.json (Hugging Face model cards).
  static const std::vector<ModelPreset> presets = {
      {"mistral-7b", "Mistral-7B-v0.1, GQA 4:1", {"mistral-7b", 32, 4096, 32, 8, 128, 14336, 32000}},
      {"llama-3-8b", "Llama-3-8B, GQA 4:1", {"llama-3-8b", 32, 4096, 32, 8, 128, 14336, 128256}},
      {"llama-3.2-3b", "Llama-3.2-3B, GQA 3:1", {"llama-3.2-3b", 28, 3072, 24, 8, 128, 8192, 128256}},
      {"llama-2-7b", "Llama-2-7B, multi-head attention", {"llama-2-7b", 32, 4096, 32, 32, 128, 11008, 32000}},
      {"tiny", "Small test model for functional runs", {"tiny", 2, 512, 4, 2, 128, 1024, 1000}},
  };
  return presets;
}

}  // namespace aqpim::platform
