// `aqpim accuracy` on the vendored stories260K: the keys table and its reference page, the cross-key rules,
// a run's figures against the core evaluated directly (so the command wires each key to the back end it
// names), JSON output, and bad input (files, keys) as one line with exit code 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "apps/accuracy_run.h"
#include "apps/accuracy_settings.h"
#include "apps/cli_options.h"
#include "core/llm/file_error.h"

namespace aqpim::apps {
namespace {

using nlohmann::json;

std::string data_path(const std::string& name) { return std::string(AQPIM_SOURCE_DIR) + "/data/realdata/" + name; }

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/" + std::to_string(getpid()) + "-accuracy-" + name;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Absolute paths (ctest runs in the build tree) and a small evaluation: one segment of 160 tokens.
std::vector<std::string> small_run(std::initializer_list<std::string> extra = {}) {
  std::vector<std::string> args = {"accuracy",
                                   "--set",
                                   "data.model=" + data_path("stories260K.bin"),
                                   "--set",
                                   "data.tokenizer=" + data_path("tok512.bin"),
                                   "--set",
                                   "data.text=" + data_path("tinyshakespeare_head40k.txt"),
                                   "--set",
                                   "data.calibration=" + data_path("wikitext2_test_head40k.txt"),
                                   "--set",
                                   "data.calibration_tokens=256",
                                   "--set",
                                   "data.segments=1",
                                   "--set",
                                   "data.segment_tokens=160"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct Outcome {
  int exit_code;
  std::string out, err;
};

Outcome run_cli(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = dispatch(args);
  std::string out = ::testing::internal::GetCapturedStdout();
  return {code, out, ::testing::internal::GetCapturedStderr()};
}

AccuracySettings resolve(std::initializer_list<std::string> sets) {
  platform::ParamLoader loader("eval.backend=snapkv");
  for (const auto& set : sets) loader.add_override(set);
  return resolve_accuracy_settings(loader);
}

TEST(AccuracyKeys, EveryKeyIsUniqueDocumentedAndInTheReferencePage) {
  AccuracySettings settings;
  std::set<std::string> keys;
  for (const auto& spec : accuracy_table(settings)) {
    EXPECT_TRUE(keys.insert(spec.key).second) << "duplicate key " << spec.key;
    EXPECT_GE(spec.doc.size(), 10u) << spec.key;
  }
  EXPECT_EQ(read_text(std::string(AQPIM_SOURCE_DIR) + "/docs/accuracy-keys.md"), accuracy_keys_markdown())
      << "regenerate with: build/bin/aqpim accuracy --keys --markdown > docs/accuracy-keys.md";
}

TEST(AccuracyKeys, EachKindOfKeyReachesTheConfigurationItNames) {
  const AccuracySettings s =
      resolve({"eval.backend=skvq", "skvq.key_bits=3", "skvq.clip_ratio=0.5", "aqpim.value_path=reconstruct",
               "snapkv.pooling=max", "aqpim.channel_presort=off", "data.text_source=generated", "pqcache.top_k=7"});
  EXPECT_EQ(s.config.backend, "skvq");
  EXPECT_EQ(s.config.skvq.key_bits, 3u);
  EXPECT_EQ(s.config.skvq.clip_ratio, 0.5f);
  EXPECT_EQ(s.config.aqpim.value_path, core::ValuePath::kReconstruct);
  EXPECT_EQ(s.config.snapkv.pooling, core::llm::SnapKvPooling::kMax);
  EXPECT_FALSE(s.config.aqpim.channel_presort);
  EXPECT_EQ(s.text_source, TextSource::generated);
  EXPECT_EQ(s.config.pqcache.top_k, 7u);
  EXPECT_EQ(changed_settings(s).front(), "data.text_source=generated");
  EXPECT_EQ(changed_settings(AccuracySettings{}).size(), 0u);
}

TEST(AccuracyKeys, RulesAgainstTheModelNameTheKeys) {
  core::llm::LlamaConfig model;  // stories260K's shape
  model.dim = 64, model.hidden_dim = 172, model.layers = 5, model.heads = 8, model.kv_heads = 4;
  model.vocab_size = 512, model.seq_len = 512;
  auto error = [&](std::initializer_list<std::string> sets) {
    try {
      validate_accuracy_settings(resolve(sets), model);
    } catch (const platform::ParamError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(error({}), "<no error>");
  EXPECT_EQ(error({"aqpim.sub_dim=3"}), "'aqpim.sub_dim' (3) must divide the model's head_dim (8)");
  EXPECT_EQ(error({"aqpim.sub_dim=1"}), "<no error>");
  EXPECT_EQ(error({"data.segment_tokens=513"}), "'data.segment_tokens' (513) exceeds the model's seq_len (512)");
  EXPECT_EQ(
      error({"data.segment_tokens=100", "eval.prefill_tokens=99"}),
      "'eval.prefill_tokens' (99) must be at most 'data.segment_tokens' - 2 (98): at least one decode step is scored");
  EXPECT_EQ(error({"eval.prefill_tokens=20"}), "'aqpim.importance_queries' (32) exceeds the prefill (20 tokens)");
  EXPECT_EQ(error({"eval.backend=snapkv", "snapkv.budget=32"}),
            "'snapkv.window' (32) must be below 'snapkv.budget' (32)");
  EXPECT_EQ(error({"eval.backend=snapkv", "snapkv.kernel=4"}), "'snapkv.kernel' (4) must be odd");
  EXPECT_EQ(error({"eval.backend=skvq", "skvq.group_size=12"}),
            "'skvq.group_size' (12) must divide the model's kv_dim (32)");
  EXPECT_EQ(error({"eval.backend=pqcache", "pqcache.sub_dim=5"}),
            "'pqcache.sub_dim' (5) must divide the model's head_dim (8)");
  // Keys of a back end not chosen are not checked: they do not apply.
  EXPECT_EQ(error({"eval.backend=fp16", "aqpim.sub_dim=3"}), "<no error>");
}

TEST(AccuracyCommand, FiguresAreTheCoresForTheConfigurationTheKeysName) {
  const std::string json_path = temp_path("result.json");
  const auto outcome = run_cli(small_run({"--set", "eval.backend=snapkv", "--set", "snapkv.budget=64", "--set",
                                          "snapkv.pooling=none", "--json", json_path}));
  ASSERT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_NE(outcome.out.find("back end  snapkv (eval.backend=snapkv snapkv.budget=64 snapkv.pooling=none)"),
            std::string::npos)
      << outcome.out;

  // The same evaluation straight through the core.
  const auto model = core::llm::load_llama2_checkpoint(data_path("stories260K.bin"));
  const auto tokenizer = core::llm::load_tokenizer(data_path("tok512.bin"), 512);
  const auto segments =
      core::llm::text_segments(tokenizer, core::llm::read_file_bytes(data_path("tinyshakespeare_head40k.txt")), 160, 1);
  core::llm::AccuracyConfig config;
  config.backend = "snapkv";
  config.snapkv.budget = 64;
  config.snapkv.pooling = core::llm::SnapKvPooling::kNone;
  const auto expected = core::llm::AccuracyEvaluator(model, segments).run(config);

  const json document = json::parse(read_text(json_path));
  const json& result = document.at("result");
  EXPECT_EQ(result.at("perplexity").get<double>(), expected.perplexity);
  EXPECT_EQ(result.at("top1_agreement").get<double>(), expected.top1_agreement);
  EXPECT_EQ(result.at("mean_kl").get<double>(), expected.mean_kl);
  EXPECT_EQ(result.at("scored_tokens").get<size_t>(), size_t(160 - 1 - 96));  // P = max(160 - 64, 80) = 96
  EXPECT_EQ(result.at("footprint_bytes").at("total").get<uint64_t>(), expected.footprint.total_bytes());
  EXPECT_EQ(document.at("settings").at("snapkv").at("budget"), 64);
}

// Each bad input: exit code 2 and one line naming the key.
TEST(AccuracyCommand, BadFilesAndKeysExit2WithOneLine) {
  const std::string truncated = temp_path("truncated.bin"), directory = temp_path("directory");
  {
    const std::string bytes = core::llm::read_file_bytes(data_path("stories260K.bin"));
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 4);
  }
  std::filesystem::create_directories(directory);
  const std::string short_text = temp_path("short.txt");
  std::ofstream(short_text) << "Too short.";
  const std::string missing = temp_path("missing.bin");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {small_run({"--set", "data.model=" + missing}),
       "aqpim: error: parameter 'data.model': " + missing + ": cannot open the llama2.c checkpoint: no such file\n"},
      {small_run({"--set", "data.model=" + truncated}),
       "aqpim: error: parameter 'data.model': " + truncated +
           ": truncated llama2.c checkpoint: 1056536 bytes, but the header "
           "(dim 64, hidden_dim 172, layers 5, heads 8/4, vocab 512 "
           "shared, seq_len 512) implies 1056540 bytes\n"},
      {small_run({"--set", "data.tokenizer=" + directory}), ""},
      {small_run({"--set", "data.text=" + missing}), ""},
      {small_run({"--set", "data.calibration=" + short_text}),
       "aqpim: error: parameter 'data.calibration': text: must encode to at least 256 tokens, got " +
           std::to_string(
               core::llm::load_tokenizer(data_path("tok512.bin"), 512).encode("Too short.", true, false).size()) +
           "\n"},
      {small_run({"--set", "data.segments=1000"}),
       "aqpim: error: parameter 'data.text': text: must encode to at least 159000 tokens for 1000 segments, got "
       "25334\n"},
      {small_run({"--set", "aqpim.sub_dim=3"}),
       "aqpim: error: 'aqpim.sub_dim' (3) must divide the model's head_dim (8)\n"},
      {small_run({"--set", "eval.backend=h2o"}),
       "aqpim: error: parameter 'eval.backend' in --set: expected one of fp32, fp16, aqpim, snapkv, skvq, pqcache, got "
       "'h2o'\n"},
      {small_run({"--set", "aqpim.clusterz=4"}),
       "aqpim: error: unknown parameter 'aqpim.clusterz' in --set (did you mean "
       "'aqpim.clusters'?); 'aqpim accuracy --keys' lists them all\n"},
      {small_run({"--set", "data.model="}),
       "aqpim: error: parameter 'data.model' in --set: expected a file path, got an empty string\n"},
      {small_run({"--plots"}), "aqpim: error: --plots goes with --grid\n"},
  };
  for (const auto& [args, expected] : cases) {
    const Outcome outcome = run_cli(args);
    EXPECT_EQ(outcome.exit_code, kExitBadInput) << args.back();
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
    EXPECT_EQ(outcome.err.rfind("aqpim: error: ", 0), 0u) << outcome.err;
    if (!expected.empty()) {
      EXPECT_EQ(outcome.err, expected);
    }
  }
}

TEST(AccuracyCommand, KeysAreListedWithTheirRanges) {
  const Outcome outcome = run_cli({"accuracy", "--keys"});
  ASSERT_EQ(outcome.exit_code, kExitOk);
  AccuracySettings settings;
  for (const auto& spec : accuracy_table(settings))
    EXPECT_NE(outcome.out.find(spec.key), std::string::npos) << spec.key;
  EXPECT_NE(outcome.out.find("Accepts one of fp32, fp16, aqpim, snapkv, skvq, pqcache."), std::string::npos);
}

}  // namespace
}  // namespace aqpim::apps
