// User-facing platform parameters: one struct tree, one table describing every field (key, type, range,
// unit, documentation), and the loader that fills the tree from defaults, a model preset, a JSON file and
// command-line overrides. Models never see this file: where a parameter is a model's own setting, the tree
// holds that model's config struct and the table points into it; the platform builder derives the rest.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/attention.h"
#include "core/enum_names.h"
#include "firmware/subvector_layout.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/hbm_presets.h"
#include "models/pim_unit.h"
#include "platform/energy_params.h"

namespace aqpim::platform {

// The systems a run simulates (sim.design) and how (sim.mode).
enum class Design { aqpim, attacc, gpu_offload, pqcache, snapkv, skvq };
inline constexpr core::EnumName<Design> kDesignNames[] = {
    {Design::aqpim, "aqpim"},     {Design::attacc, "attacc"}, {Design::gpu_offload, "gpu_offload"},
    {Design::pqcache, "pqcache"}, {Design::snapkv, "snapkv"}, {Design::skvq, "skvq"}};
// The designs whose KV cache the GPU alone serves (every hbm.stacks is plain HBM).
inline bool gpu_only(Design design) { return design != Design::aqpim && design != Design::attacc; }
enum class SimMode { timing, functional };
inline constexpr core::EnumName<SimMode> kSimModeNames[] = {{SimMode::timing, "timing"},
                                                            {SimMode::functional, "functional"}};
// How AQPIM places a head's KV cache on PIM: the paper's (a head per pseudo-channel, each sub-vector in its
// own bank with its own codebook), or tokens dealt over the banks with a full codebook per PE.
enum class PimMapping { subvector, token };
inline constexpr core::EnumName<PimMapping> kPimMappingNames[] = {{PimMapping::subvector, "subvector"},
                                                                  {PimMapping::token, "token"}};
// pq.value_path: `automatic` takes what the mapping's hardware does (docs/firmware.md).
enum class ValuePathSetting { automatic, histogram, reconstruct };
inline constexpr core::EnumName<ValuePathSetting> kValuePathSettingNames[] = {
    {ValuePathSetting::automatic, "auto"},
    {ValuePathSetting::histogram, "histogram"},
    {ValuePathSetting::reconstruct, "reconstruct"}};
inline constexpr core::EnumName<firmware::CodebookStore> kCodebookStoreNames[] = {
    {firmware::CodebookStore::dram, "dram"}, {firmware::CodebookStore::sram, "sram"}};
inline std::string to_string(Design design) { return std::string(core::enum_name(kDesignNames, design)); }
inline std::string to_string(SimMode mode) { return std::string(core::enum_name(kSimModeNames, mode)); }

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

// Where a functional run's K, V and queries come from (workload.source).
enum class WorkloadSource { synthetic, llama2c };
inline constexpr core::EnumName<WorkloadSource> kWorkloadSourceNames[] = {{WorkloadSource::synthetic, "synthetic"},
                                                                          {WorkloadSource::llama2c, "llama2c"}};

struct WorkloadParams {
  int64_t context_tokens = 32768;
  int64_t batch = 16;
  int64_t decode_steps = 128;
  int64_t seed = 1;
  WorkloadSource source = WorkloadSource::synthetic;
  // llama2c: the model whose shape model.* must equal, and the text teacher-forced through it (sequence b
  // reads the b-th run of context + decode tokens). Relative paths are read from the current directory.
  std::string model_file = "data/realdata/stories260K.bin";
  std::string tokenizer_file = "data/realdata/tok512.bin";
  std::string text_file = "data/realdata/tinyshakespeare_head40k.txt";
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
  ValuePathSetting value_path = ValuePathSetting::automatic;

  // Page-aware windows: K centroids in all, at most window_centroids per window (one row of products).
  int64_t windows() const {
    return windowed_clustering && centroids > window_centroids ? (centroids + window_centroids - 1) / window_centroids : 1;
  }
  int64_t centroids_per_window() const { return (centroids + windows() - 1) / windows(); }
};

// The GPU-side baselines of sim.design (docs/baselines.md); PQCache's key codes use pq.sub_vectors,
// pq.centroids and pq.kmeans_iterations, PQCache and SKVQ keep pq.sink_tokens + pq.recent_tokens in fp16.
struct PqCacheParams {
  int64_t top_k = 0;  // coded tokens fetched per KV head and step; 0: a fifth of the prompt (PQCache's setting)
  int64_t resolved_top_k(int64_t context_tokens) const { return top_k ? top_k : std::max<int64_t>(1, context_tokens / 5); }
};
struct SnapKvParams {
  int64_t token_budget = 2048;
  int64_t window = 32;
};
struct SkvqParams {
  int64_t bits = 2;
  int64_t group_size = 128;
};

// A model's own configuration field that is a user parameter lives once, in the model's config struct:
// the parameter table points into `channel` and `unit`, and the platform builder copies them whole
// (adding only what it derives, such as the PIM clock from tCK).
struct HbmParams {
  int64_t stacks = 5;
  int64_t pim_stacks = 4;
  int64_t channels_per_stack = 16;
  int64_t pseudo_channels = 2;
  // Stack IDs (SIDs) behind each pseudo-channel's bus: HBM3 stacks of 2 SIDs (AttAcc's HBM3_8Gb_2R) hold
  // twice the banks per pseudo-channel at half the rows, the same capacity (docs/models-hbm.md, Stack IDs).
  int64_t stack_ids = 1;
  // A standard speed bin written into `channel` before any other hbm.* value (none: the defaults below).
  models::HbmPreset preset = models::HbmPreset::None;
  models::Hbm3PseudoChannelConfig channel = default_channel();

  // The model's HBM3 defaults, except the address mapping: bank groups interleaved below the column let a
  // sequential stream alternate bank groups (tCCD_S, not tCCD_L) and reach the bus peak; RoBaBgCoCh keeps
  // it in one bank group at about half the peak (docs/models-hbm.md).
  static models::Hbm3PseudoChannelConfig default_channel() {
    models::Hbm3PseudoChannelConfig channel;
    channel.address_mapping = hwif::HbmAddressMapping::RoCoBaBgCh;
    return channel;
  }
  // The pseudo-channel the models are built with: each stack ID adds hbm.bank_groups more bank groups
  // behind the same bus and the rows per bank shrink in proportion.
  models::Hbm3PseudoChannelConfig organised_channel() const {
    models::Hbm3PseudoChannelConfig organised = channel;
    organised.bank_groups = unsigned(channel.bank_groups * stack_ids);
    organised.rows_per_bank = channel.rows_per_bank / uint64_t(stack_ids);
    return organised;
  }
};

// The AttAcc baseline as its authors' simulator runs it (scale-snu/attacc_simulator; docs/firmware.md).
enum class AttAccPipeline { none, head };
inline constexpr core::EnumName<AttAccPipeline> kAttAccPipelineNames[] = {{AttAccPipeline::none, "none"},
                                                                         {AttAccPipeline::head, "head"}};
struct AttAccParams {
  AttAccPipeline pipeline = AttAccPipeline::head;  // --pipeopt
  bool ffn_split = true;                           // --ffopt
  double internal_bandwidth_scale = 9.0;           // --powerlimit: BW_SCALE 9 (16 without); 0 = no limit
};

struct PimParams {
  PimMapping mapping = PimMapping::subvector;
  firmware::CodebookStore codebook_store = firmware::CodebookStore::dram;
  bool gqa_one_pass = true;       // one pass over a KV head's codes serves its whole query group
  bool buffer_assignment = true;  // k-means MIN on the buffer-die unit (the paper's Table I)
  bool coalesced_lookups = false;  // a what-if: table rows read once per register-file load
  // Placement, MAC lanes and SRAM sizes. Defaults hold one head's full working set at the paper's shape
  // (m = 32, K = 512, sub_dim 4): codebook 32 x 512 x 4 fp16 = 128 KiB, LUT 32 x 512 fp32 = 64 KiB, k-means
  // sums 32 x 512 x 5 fp32 = 81920 accumulators.
  models::PimUnitConfig unit = default_unit();

  static models::PimUnitConfig default_unit() {
    models::PimUnitConfig unit;
    unit.codebook_sram_bytes = 128 * 1024;
    unit.lut_sram_bytes = 64 * 1024;
    unit.histogram_entries = 81920;
    unit.buffer_accumulator_entries = 81920;
    unit.io_buffer_bytes = 64 * 1024;
    return unit;
  }
};

struct GpuParams {
  double peak_tflops = 989.0;
  double hbm_bandwidth_gbps = 3350.0;
  // AttAcc's simulator (src/config.py): MAX_COMPUTE_UTIL 0.8, MAX_OFF_MEM_BW_UTIL 0.85.
  double compute_efficiency = 0.8;
  double memory_efficiency = 0.85;
  // What of the GPU's HBM the KV cache may use (docs/gpu-memory.md): vLLM's gpu_memory_utilization, the
  // CUDA context and allocator outside it, and the activations of one prefill chunk.
  double memory_utilization = 0.9;
  double runtime_reserve_mib = 723.0;
  int64_t prefill_chunk_tokens = 512;
  // Small kernels (AttAcc's src/devices.py): thread blocks fill SMs in waves; RMSNorm and SiLU x gate are
  // separate memory-bound kernels timed by AttAcc's fits (a fixed cost plus bytes at a share of peak).
  int64_t sms = 132;
  int64_t l1_kib = 256;
  double norm_kernel_us = 6.87;
  double norm_bandwidth_fraction = 0.402;
  double activation_kernel_us = 8.29;
  double activation_bandwidth_fraction = 1.439;
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
  Design design = Design::aqpim;
  SimMode mode = SimMode::timing;
  double quantum_ns = 1000.0;
  int64_t decode_micro_batches = 1;  // 1: the batch at once; batch: sequence by sequence (pipelining)

  bool functional() const { return mode == SimMode::functional; }
};

struct PlatformParams {
  ModelParams model;
  WorkloadParams workload;
  PqParams pq;
  PqCacheParams pqcache;
  SnapKvParams snapkv;
  SkvqParams skvq;
  HbmParams hbm;
  PimParams pim;
  AttAccParams attacc;
  GpuParams gpu;
  PcieParams pcie;
  CpuParams cpu;
  SimParams sim;
  EnergyParams energy;
  AreaParams area;
};

// Every user input error (file, JSON, key, type, range, cross-field rule) is reported through this one
// type, with a single-line message that names the parameter and what it accepts.
class ParamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kinds of parameter field. Each reads and writes the field it describes through accessors, so one
// table entry serves a field of any integer width, a scaled unit (KiB stored as bytes), an sc_time, or an
// enum bound to its names when parsed.
struct IntRange {
  std::function<int64_t()> get;
  std::function<void(int64_t)> set;
  int64_t min;
  int64_t max;
};
struct RealRange {
  std::function<double()> get;
  std::function<void(double)> set;
  double min;
  double max;
};
struct Flag {
  bool* value;
};
struct Choice {
  std::function<std::string()> get;
  std::function<void(const std::string&)> set;  // only ever called with one of `choices`
  std::vector<std::string> choices;
};
// Free text that must not be empty, such as a file path (opened, and its errors reported, by whoever uses it).
struct Text {
  std::function<std::string()> get;
  std::function<void(const std::string&)> set;
  std::string what;  // what the text is, for "expected <what>": "a file path"
  bool empty_allowed = false;  // an empty text means "none" (checked by a cross-field rule, if at all)
};

struct ParamSpec {
  std::string key;   // dotted path, e.g. "hbm.timing.nCL"
  std::string unit;  // "" when dimensionless
  std::string doc;
  std::variant<IntRange, RealRange, Flag, Choice, Text> field;
};

// Field builders for tables over any settings struct (the platform's below, the accuracy command's in apps/).
template <class Integer>
IntRange integer(Integer& field, int64_t min, int64_t max) {
  return {[&field] { return int64_t(field); }, [&field](int64_t value) { field = Integer(value); }, min, max};
}
template <class Real>
RealRange real(Real& field, double min, double max) {
  return {[&field] { return double(field); }, [&field](double value) { field = Real(value); }, min, max};
}
template <class Enum, size_t N>
Choice choice(Enum& field, const core::EnumName<Enum> (&names)[N]) {
  return {[&field, &names] { return std::string(core::enum_name(names, field)); },
          [&field, &names](const std::string& name) { field = *core::parse_enum(names, name); },
          core::enum_names(names)};
}
inline Choice choice(std::string& field, std::vector<std::string> choices) {
  return {[&field] { return field; }, [&field](const std::string& name) { field = name; }, std::move(choices)};
}
inline Text file_path(std::string& field) {
  return {[&field] { return field; }, [&field](const std::string& path) { field = path; }, "a file path"};
}

// The table is built over a particular PlatformParams so the same description reads, writes, validates
// and documents it; nothing else lists the parameters.
std::vector<ParamSpec> parameter_table(PlatformParams& params);

// The shortest text that reads back as exactly `value` ("0.625", "1e+09").
std::string format_real(double value);
std::string accepted_values(const ParamSpec& spec);  // "integer in [1, 16]", "one of bank, bank_group"
std::string current_value(const ParamSpec& spec);    // as it would be written on the command line

// Gathers parameter sources in the order given and resolves them: defaults, then the model preset named
// by any source (the last one wins), then every other assignment in source order.
class ParamLoader {
 public:
  // example: a valid KEY=VALUE of the table the sources are meant for, shown when an override lacks its '='.
  explicit ParamLoader(std::string example = "pim.placement=bank_group") : example_(std::move(example)) {}
  void add_file(const std::string& path);
  void add_json(const nlohmann::json& document, const std::string& source_name);
  // "--set KEY=VALUE"; `source` names the option in error messages (aqpim sweep passes "--vary").
  void add_override(const std::string& key_equals_value, const std::string& source = "--set");
  PlatformParams resolve() const;
  // Assigns every gathered value, in source order, to the field `table` describes, checking type and range
  // (ParamError). An unknown key's message suggests the closest key and ends with `listing`, which says
  // where the keys are listed ("'aqpim params' lists them all").
  void apply_to(const std::vector<ParamSpec>& table, const std::string& listing) const;

 private:
  struct Assignment {
    std::string key;
    std::string source;
    // Exactly one of the two: a JSON value from a file or a text value from the command line.
    std::shared_ptr<const nlohmann::json> json_value;
    std::string text_value;
  };
  void flatten(const nlohmann::json& node, const std::string& prefix, const std::string& source);
  void apply_where(const std::vector<ParamSpec>& table, const std::string& listing,
                   const std::function<bool(const Assignment&)>& selected) const;
  std::string example_;
  std::vector<Assignment> assignments_;
};

// Cross-field rules (divisibility, capacities, orderings); single-field ranges are checked on assignment.
void validate(const PlatformParams& params);

// What one bank-level processing unit must hold for AQPIM on the configured mapping, and how each figure is
// made up (for the messages when an SRAM is too small).
struct PimSramNeeds {
  int64_t codebook_bytes = 0, lut_bytes = 0, accumulator_entries = 0, buffer_accumulator_entries = 0;
  std::string codebook_what, lut_what, accumulator_what, buffer_accumulator_what;
};
PimSramNeeds pim_sram_needs(const PlatformParams& params);

nlohmann::json to_json(const PlatformParams& params);  // a complete, valid parameter file
nlohmann::json to_json(const std::vector<ParamSpec>& table);  // the same for any table: nested by the dots
std::string to_markdown_reference(const PlatformParams& defaults);
// One Markdown table per group of keys (the text before the first dot): key, default, unit, accepted, meaning.
std::string markdown_tables(const std::vector<ParamSpec>& table);

struct ModelPreset {
  std::string name;
  std::string description;
  ModelParams shape;
};
const std::vector<ModelPreset>& model_presets();

}  // namespace aqpim::platform
