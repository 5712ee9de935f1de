// User-facing platform parameters: one struct tree, one table describing every field (key, type, range,
// unit, documentation), and the loader that fills the tree from defaults, a model preset, a JSON file and
// command-line overrides. Models never see this file: the platform builder converts these values into
// each model's own configuration struct, so models stay usable without our parameter system.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace aqpim::platform {

struct ModelParams {
  std::string preset = "mistral-7b";
  int64_t layers = 32;
  int64_t hidden = 4096;
  int64_t heads = 32;
  int64_t kv_heads = 8;
  int64_t head_dim = 128;
  int64_t ffn_hidden = 14336;
  int64_t vocab = 32000;
};

struct WorkloadParams {
  int64_t context_tokens = 32768;
  int64_t batch = 16;
  int64_t decode_steps = 128;
  int64_t seed = 1;
};

struct PqParams {
  int64_t sub_vectors = 32;  // m; sub-vector width = model.head_dim / m
  int64_t centroids = 512;   // K
  int64_t sink_tokens = 8;
  int64_t recent_tokens = 32;
  int64_t kmeans_iterations = 4;
  bool importance_weighting = true;
  int64_t importance_queries = 32;
  bool channel_presort = true;
  bool windowed_clustering = false;
  int64_t window_centroids = 512;
  std::string value_path = "histogram";
};

struct HbmTimingParams {
  double tck_ns = 0.625;
  int64_t nCL = 20;
  int64_t nRCDRD = 31;
  int64_t nRCDWR = 15;
  int64_t nRP = 26;
  int64_t nRAS = 45;
  int64_t nRC = 72;
  int64_t nWR = 26;
  int64_t nCCDS = 2;
  int64_t nCCDL = 4;
  int64_t nRRDS = 4;
  int64_t nRRDL = 5;
  int64_t nFAW = 24;
  int64_t nRFC = 320;
  int64_t nREFI = 6240;
};

struct HbmParams {
  int64_t stacks = 5;
  int64_t pim_stacks = 4;
  int64_t channels_per_stack = 16;
  int64_t pseudo_channels = 2;
  int64_t bank_groups = 4;
  int64_t banks_per_group = 4;
  int64_t rows_per_bank = 32768;
  int64_t row_bytes = 1024;
  int64_t data_width_bits = 32;
  int64_t burst_length = 8;
  double data_rate_gbps = 6.4;
  std::string page_policy = "open";
  // Bank groups interleave below the column: a sequential stream alternates bank groups (tCCD_S, not
  // tCCD_L) and reaches the bus peak; RoBaBgCoCh keeps it in one bank group at about half the peak.
  std::string address_mapping = "RoCoBaBgCh";
  HbmTimingParams timing;
};

struct PimParams {
  std::string placement = "bank";
  int64_t macs_per_unit = 16;
  // One head's full working set at the paper's shape (m = 32, K = 512, sub_dim 4): codebook 32 x 512 x 4
  // fp16 = 128 KiB, LUT 32 x 512 fp32 = 64 KiB, k-means sums 32 x 512 x 5 fp32 = 81920 accumulators.
  int64_t codebook_sram_kib = 128;
  int64_t lut_sram_kib = 64;
  int64_t accumulator_entries = 81920;
  int64_t buffer_accumulator_entries = 81920;
  int64_t io_buffer_kib = 64;
  int64_t buffer_macs = 16;
};

struct GpuParams {
  double peak_tflops = 989.0;
  double hbm_bandwidth_gbps = 3350.0;
  double compute_efficiency = 1.0;
  double memory_efficiency = 1.0;
};

struct PcieParams {
  double bandwidth_gbps = 64.0;
  double latency_ns = 1000.0;
};

struct CpuParams {
  double memory_bandwidth_gbps = 200.0;
  double memory_latency_ns = 100.0;
  int64_t memory_capacity_gib = 1024;
};

struct SimParams {
  std::string design = "aqpim";
  std::string mode = "timing";
  double quantum_ns = 1000.0;
};

struct PlatformParams {
  ModelParams model;
  WorkloadParams workload;
  PqParams pq;
  HbmParams hbm;
  PimParams pim;
  GpuParams gpu;
  PcieParams pcie;
  CpuParams cpu;
  SimParams sim;
};

// Every user input error (file, JSON, key, type, range, cross-field rule) is reported through this one
// type, with a single-line message that names the parameter and what it accepts.
class ParamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IntRange {
  int64_t* value;
  int64_t min;
  int64_t max;
};
struct RealRange {
  double* value;
  double min;
  double max;
};
struct Flag {
  bool* value;
};
struct Choice {
  std::string* value;
  std::vector<std::string> choices;
};

struct ParamSpec {
  std::string key;   // dotted path, e.g. "hbm.timing.nCL"
  std::string unit;  // "" when dimensionless
  std::string doc;
  std::variant<IntRange, RealRange, Flag, Choice> field;
};

// The table is built over a particular PlatformParams so the same description reads, writes, validates
// and documents it; nothing else lists the parameters.
std::vector<ParamSpec> parameter_table(PlatformParams& params);

std::string accepted_values(const ParamSpec& spec);  // "integer in [1, 16]", "one of bank, bank_group"
std::string current_value(const ParamSpec& spec);    // as it would be written on the command line

// Gathers parameter sources in the order given and resolves them: defaults, then the model preset named
// by any source (the last one wins), then every other assignment in source order.
class ParamLoader {
 public:
  void add_file(const std::string& path);
  void add_json(const nlohmann::json& document, const std::string& source_name);
  // "--set KEY=VALUE"; `source` names the option in error messages (aqpim sweep passes "--vary").
  void add_override(const std::string& key_equals_value, const std::string& source = "--set");
  PlatformParams resolve() const;

 private:
  struct Assignment {
    std::string key;
    std::string source;
    // Exactly one of the two: a JSON value from a file or a text value from the command line.
    std::shared_ptr<const nlohmann::json> json_value;
    std::string text_value;
  };
  void flatten(const nlohmann::json& node, const std::string& prefix, const std::string& source);
  std::vector<Assignment> assignments_;
};

// Cross-field rules (divisibility, capacities, orderings); single-field ranges are checked on assignment.
void validate(const PlatformParams& params);

nlohmann::json to_json(const PlatformParams& params);  // a complete, valid parameter file
std::string to_markdown_reference(const PlatformParams& defaults);

struct ModelPreset {
  std::string name;
  std::string description;
  ModelParams shape;
};
const std::vector<ModelPreset>& model_presets();

}  // namespace aqpim::platform
