#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "platform/params.h"

namespace aqpim::platform {
namespace {

using json = nlohmann::json;

// CTest runs every test in its own process, several at once: each process writes its own files.
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
}

std::string write_temp_file(const std::string& name, const std::string& content) {
  std::string path = temp_path(name);
  std::ofstream(path) << content;
  return path;
}

PlatformParams resolve_json(const std::string& text) {
  ParamLoader loader;
  loader.add_file(write_temp_file("params.json", text));
  return loader.resolve();
}

PlatformParams resolve_sets(std::initializer_list<std::string> sets) {
  ParamLoader loader;
  for (const auto& set : sets) loader.add_override(set);
  return loader.resolve();
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ParamError& error) {
    return error.what();
  }
  return "<no error>";
}

TEST(PlatformParams, DefaultsReproduceThePaperSetup) {
  const PlatformParams p = ParamLoader().resolve();
  EXPECT_EQ(p.model.preset, "mistral-7b");
  EXPECT_EQ(p.pq.sub_vectors, 32);
  EXPECT_EQ(p.model.head_dim / p.pq.sub_vectors, 4);
  EXPECT_EQ(p.pq.centroids, 512);
  EXPECT_EQ(p.pq.sink_tokens, 8);
  EXPECT_EQ(p.pq.recent_tokens, 32);
  EXPECT_EQ(p.pq.kmeans_iterations, 4);
  EXPECT_EQ(p.hbm.stacks, 5);
  EXPECT_EQ(p.hbm.pim_stacks, 4);
  // HBM3 6400 Mbps: tCK 0.625 ns, 32-bit pseudo-channel -> 25.6 GB/s, 32 per stack -> 819.2 GB/s.
  EXPECT_EQ(p.hbm.channel.tCK, sc_core::sc_time(625, sc_core::SC_PS));
  EXPECT_DOUBLE_EQ(p.hbm.channel.data_width_bits * p.hbm.channel.data_rate_gbps / 8 * p.hbm.channels_per_stack * p.hbm.pseudo_channels,
                   819.2);
  EXPECT_EQ(p.hbm.channel.timing.nCL, 20u);
  EXPECT_EQ(p.hbm.channel.timing.nRCDRD, 31u);
  EXPECT_EQ(p.hbm.channel.timing.nRP, 26u);
  EXPECT_EQ(p.workload.context_tokens, 32768);
  EXPECT_EQ(p.workload.batch, 16);
  EXPECT_EQ(p.workload.decode_steps, 128);
}

TEST(PlatformParams, EveryKeyIsUniqueAndDocumented) {
  PlatformParams p;
  std::set<std::string> keys;
  for (const auto& spec : parameter_table(p)) {
    EXPECT_TRUE(keys.insert(spec.key).second) << "duplicate key " << spec.key;
    EXPECT_GE(spec.doc.size(), 10u) << spec.key << " needs a real description";
  }
}

TEST(PlatformParams, ReferenceDocumentMatchesTheCode) {
  std::ifstream in(std::string(AQPIM_SOURCE_DIR) + "/docs/parameters.md");
  ASSERT_TRUE(in) << "docs/parameters.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string generated = to_markdown_reference(PlatformParams{});
  EXPECT_EQ(text.str(), generated) << "regenerate with: build/bin/aqpim params --markdown > docs/parameters.md";
  PlatformParams p;
  for (const auto& spec : parameter_table(p))
    EXPECT_NE(text.str().find("`" + spec.key + "`"), std::string::npos) << spec.key << " is undocumented";
}

TEST(PlatformParams, JsonDumpReadsBackIdentically) {
  PlatformParams changed = resolve_sets({"hbm.timing.tck_ns=0.7", "pim.placement=bank_group", "pq.centroids=256",
                                         "pq.channel_presort=false", "model.preset=custom", "model.layers=3"});
  ParamLoader loader;
  loader.add_json(to_json(changed), "dump");
  EXPECT_EQ(to_json(loader.resolve()), to_json(changed));
}

TEST(PlatformParams, FileValuesOfEveryTypeAreApplied) {
  PlatformParams p = resolve_json(
      R"({"hbm": {"stacks": 6, "data_rate_gbps": 8.0, "timing": {"tck_ns": 0.5}}, "pq": {"importance_weighting": false},
          "pim": {"placement": "bank_group"}})");
  EXPECT_EQ(p.hbm.stacks, 6);
  EXPECT_EQ(p.hbm.channel.tCK, sc_core::sc_time(500, sc_core::SC_PS));
  EXPECT_DOUBLE_EQ(p.hbm.channel.data_rate_gbps, 8.0);
  EXPECT_FALSE(p.pq.importance_weighting);
  EXPECT_EQ(p.pim.unit.placement, models::PimPlacement::bank_group);
}

TEST(PlatformParams, PresetAppliesBeforeExplicitModelValuesWhateverTheOrder) {
  ParamLoader loader;
  loader.add_override("model.layers=3");
  loader.add_override("model.preset=llama-2-7b");
  PlatformParams p = loader.resolve();
  EXPECT_EQ(p.model.preset, "llama-2-7b");
  EXPECT_EQ(p.model.kv_heads, 32);  // from the preset
  EXPECT_EQ(p.model.layers, 3);     // explicit value wins over the preset
}

TEST(PlatformParams, CommandLineOverridesWinOverFiles) {
  ParamLoader loader;
  loader.add_file(write_temp_file("a.json", R"({"workload": {"batch": 4}})"));
  loader.add_override("workload.batch=8");
  EXPECT_EQ(loader.resolve().workload.batch, 8);
}

TEST(PlatformParams, CommandLineTextIsParsedByFieldType) {
  PlatformParams p = resolve_sets({"pq.windowed_clustering=off", "gpu.peak_tflops=1e3", "workload.seed=7"});
  EXPECT_FALSE(p.pq.windowed_clustering);
  EXPECT_DOUBLE_EQ(p.gpu.peak_tflops, 1000.0);
  EXPECT_EQ(p.workload.seed, 7);
}

// The loader and field kinds serve any settings table, not only the platform's (aqpim accuracy has its own).
struct ToolSettings {
  std::string path = "model.bin";
  float ratio = 1.0f;
  size_t count = 3;
};
std::vector<ParamSpec> tool_table(ToolSettings& settings) {
  return {{"tool.path", "", "A file.", file_path(settings.path)},
          {"tool.ratio", "", "A fraction.", real(settings.ratio, 0.0, 1.0)},
          {"tool.count", "", "A count.", integer(settings.count, 1, 8)}};
}

TEST(ParamTables, AnyTableIsLoadedCheckedAndDumpedByTheSameMachinery) {
  ParamLoader loader("tool.count=2");
  loader.add_json(json::parse(R"({"tool": {"ratio": 0.5, "path": "first.bin"}})"), "'tool.json'");
  loader.add_override("tool.path=other.bin");
  loader.add_override("tool.count=8");
  ToolSettings settings;
  loader.apply_to(tool_table(settings), "'tool --keys' lists them");
  EXPECT_EQ(settings.path, "other.bin");  // later sources win
  EXPECT_EQ(settings.ratio, 0.5f);
  EXPECT_EQ(settings.count, 8u);
  EXPECT_EQ(to_json(tool_table(settings)), json::parse(R"({"tool": {"path": "other.bin", "ratio": 0.5, "count": 8}})"));
  EXPECT_NE(markdown_tables(tool_table(settings)).find("| `tool.path` | other.bin |  | a file path | A file. |"),
            std::string::npos);

  auto error = [](std::initializer_list<std::string> sets) {
    return error_of([&] {
      ParamLoader bad("tool.count=2");
      for (const auto& set : sets) bad.add_override(set);
      ToolSettings ignored;
      bad.apply_to(tool_table(ignored), "'tool --keys' lists them");
    });
  };
  EXPECT_EQ(error({"tool.path="}), "parameter 'tool.path' in --set: expected a file path, got an empty string");
  EXPECT_EQ(error({"tool.rato=1"}),
            "unknown parameter 'tool.rato' in --set (did you mean 'tool.ratio'?); 'tool --keys' lists them");
  EXPECT_EQ(error({"tool.count=9"}), "parameter 'tool.count' in --set: expected an integer in [1, 8], got '9'");
  EXPECT_EQ(error({"tool.count"}), "--set 'tool.count': expected KEY=VALUE, e.g. --set tool.count=2");
}

// Each bad input gets exactly one line naming the key and what is accepted.
struct BadInput {
  const char* name;
  std::function<void()> action;
  std::string expected;
};

class BadParameterInput : public ::testing::TestWithParam<int> {};

std::vector<BadInput> bad_inputs() {
  auto file = [](const char* text) { return [text] { resolve_json(text); }; };
  auto sets = [](auto... set) { return [=] { resolve_sets({std::string(set)...}); }; };
  const std::string path = temp_path("params.json");
  return {
      {"unknown_key_with_suggestion", file(R"({"hbm": {"stackz": 4}})"),
       "unknown parameter 'hbm.stackz' in '" + path + "' (did you mean 'hbm.stacks'?); 'aqpim params' lists them all"},
      {"unknown_key_without_suggestion", sets("frobnicate=1"),
       "unknown parameter 'frobnicate' in --set; 'aqpim params' lists them all"},
      {"string_for_integer", file(R"({"hbm": {"stacks": "five"}})"),
       "parameter 'hbm.stacks' in '" + path + "': expected an integer in [1, 16], got string \"five\""},
      {"integer_below_range", sets("hbm.stacks=0"),
       "parameter 'hbm.stacks' in --set: expected an integer in [1, 16], got '0'"},
      {"fraction_for_integer", file(R"({"pq": {"centroids": 511.5}})"),
       "parameter 'pq.centroids' in '" + path + "': expected an integer in [2, 4096], got number 511.5"},
      {"integer_with_suffix", sets("workload.context_tokens=32k"),
       "parameter 'workload.context_tokens' in --set: expected an integer in [1, 16777216], got '32k'"},
      {"huge_unsigned", file(R"({"workload": {"batch": 18446744073709551615}})"),
       "parameter 'workload.batch' in '" + path +
           "': expected an integer in [1, 1024], got number 18446744073709551615"},
      {"real_above_range", sets("gpu.compute_efficiency=1.5"),
       "parameter 'gpu.compute_efficiency' in --set: expected a number in [0.01, 1], got '1.5'"},
      {"real_not_finite", sets("pcie.bandwidth_gbps=nan"),
       "parameter 'pcie.bandwidth_gbps' in --set: expected a number in [0.1, 10000], got 'nan'"},
      {"integer_for_flag", file(R"({"pq": {"channel_presort": 1}})"),
       "parameter 'pq.channel_presort' in '" + path + "': expected true or false, got number 1"},
      {"unknown_choice", sets("pim.placement=rank"),
       "parameter 'pim.placement' in --set: expected one of bank, bank_group, got 'rank'"},
      {"unknown_preset", sets("model.preset=gpt-5"),
       "parameter 'model.preset' in --set: expected one of mistral-7b, llama-3-8b, llama-3.2-3b, llama-2-7b, tiny, "
       "stories260k, custom, got 'gpt-5'"},
      {"group_given_as_scalar", file(R"({"hbm": 5})"),
       "parameter group 'hbm' in '" + path + "': expected an object of parameters, not a single value"},
      {"top_level_array", file("[1, 2]"),
       "parameter file '" + path + "': expected a JSON object at the top level, got array"},
      {"json_syntax_error", file(R"({"hbm": {"stacks": 4,}})"),
       "parameter file '" + path +
           "' is not valid JSON: parse error at line 1, column 22: syntax error while parsing object key - "
           "unexpected '}'; expected string literal"},
      {"missing_file", [] { ParamLoader().add_file("/nonexistent/params.json"); },
       "cannot read parameter file '/nonexistent/params.json'"},
      {"set_without_equals", [] { ParamLoader().add_override("hbm.stacks"); },
       "--set 'hbm.stacks': expected KEY=VALUE, e.g. --set pim.placement=bank_group"},
      {"sub_vectors_not_dividing_head_dim", sets("pq.sub_vectors=30"),
       "'pq.sub_vectors' (30) must divide 'model.head_dim' (128)"},
      {"sub_vector_too_wide", sets("pq.sub_vectors=4"),
       "sub-vector width model.head_dim / pq.sub_vectors = 32 must be in [1, 16]"},
      {"more_pim_stacks_than_stacks", sets("hbm.pim_stacks=6"),
       "'hbm.pim_stacks' (6) must be at most 'hbm.stacks' (5)"},
      {"kv_heads_not_dividing_heads", sets("model.kv_heads=5"), "'model.kv_heads' (5) must divide 'model.heads' (32)"},
      {"row_cycle_too_short", sets("hbm.timing.nRC=50"), "'hbm.timing.nRC' (50) must be at least nRAS + nRP (71)"},
      {"burst_longer_than_ccd", sets("hbm.burst_length=16"),
       "a burst of hbm.burst_length / (hbm.data_rate_gbps x hbm.timing.tck_ns) = 4 tCK does not fit in "
       "'hbm.timing.nCCDS' (2)"},
      {"codebook_sram_too_small", sets("pim.codebook_sram_kib=64"),
       "one head's codebook (pq.sub_vectors x pq.centroids x sub_dim x 2 bytes = 131072 bytes) does not fit "
       "'pim.codebook_sram_kib' (64) KiB"},
      {"lut_sram_too_small", sets("pim.lut_sram_kib=32"),
       "one query's LUT (pq.sub_vectors x pq.centroids x 4 bytes = 65536 bytes) does not fit 'pim.lut_sram_kib' (32) KiB"},
      {"too_few_accumulators", sets("pim.accumulator_entries=16384"),
       "k-means sums (pq.sub_vectors x pq.centroids x (sub_dim + 1) = 81920) exceed 'pim.accumulator_entries' (16384)"},
      {"windowed_clustering_on_the_token_mapping", sets("pq.windowed_clustering=true", "pim.mapping=token"),
       "pq.windowed_clustering = true needs pim.mapping=subvector (the token mapping keeps one codebook per head)"},
      {"subvector_mapping_on_bank_groups", sets("pim.mapping=subvector", "pim.placement=bank_group"),
       "pim.mapping=subvector puts each sub-vector in a bank of its own: it needs pim.placement=bank"},
      {"dram_table_wider_than_a_row", sets("pim.mapping=subvector", "pq.centroids=1024", "pq.window_centroids=1024"),
       "an inner-product table of pq.centroids per window x 2 bytes = 2048 bytes does not fit 'hbm.row_bytes' (1024) "
       "with pim.codebook_store=dram: turn pq.windowed_clustering on with a smaller pq.window_centroids, or use "
       "pim.codebook_store=sram"},
      {"reconstruct_from_sram", sets("pim.mapping=subvector", "pim.codebook_store=sram", "pq.value_path=reconstruct"),
       "pq.value_path=reconstruct looks values up in DRAM rows: it needs pim.codebook_store=dram"},
  };
}

TEST_P(BadParameterInput, GivesOneExactLine) {
  const BadInput input = bad_inputs()[size_t(GetParam())];
  const std::string message = error_of(input.action);
  EXPECT_EQ(message, input.expected) << input.name;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllCases, BadParameterInput, ::testing::Range(0, int(bad_inputs().size())),
                         [](const ::testing::TestParamInfo<int>& case_info) {
                           return std::string(bad_inputs()[size_t(case_info.param)].name);
                         });

}  // namespace
}  // namespace aqpim::platform
