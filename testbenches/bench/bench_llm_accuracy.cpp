// Cost of the real-model accuracy path on the vendored stories260K: the fp32 reference pass of a text (four
// 512-token segments), one configuration of each back end on that text (per segment: prefill 448, 63 decode
// steps), and a grid of 45 configurations over three such texts on two threads. The accuracy grid users run
// is `aqpim accuracy --grid` (apps/accuracy_grid.h); this one measures the cost of the evaluation itself.
//
// Run (Release or RelWithDebInfo build): build/testbenches/bench_llm_accuracy
// With --table it prints the grid's accuracy figures instead (one line per text and configuration).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/llm/evaluation.h"
#include "core/llm/file_error.h"

namespace {

using namespace aqpim::core::llm;

std::string data_path(const std::string& name) { return std::string(AQPIM_SOURCE_DIR) + "/data/realdata/" + name; }

const LlamaModel& model() {
  static const LlamaModel shared = load_llama2_checkpoint(data_path("stories260K.bin"));
  return shared;
}
const Tokenizer& tokenizer() {
  static const Tokenizer shared = load_tokenizer(data_path("tok512.bin"), 512);
  return shared;
}

const std::vector<int32_t>& calibration() {  // the start of WikiText-2
  static const std::vector<int32_t> tokens =
      text_tokens(tokenizer(), read_file_bytes(data_path("wikitext2_test_head40k.txt")), 512);
  return tokens;
}

constexpr size_t kSegments = 4;

// Four 512-token segments per text: Shakespeare; WikiText-2 after the calibration part; stories the model
// samples itself (in-domain), one after another.
std::vector<std::vector<std::vector<int32_t>>> texts() {
  return {text_segments(tokenizer(), read_file_bytes(data_path("tinyshakespeare_head40k.txt")), 512, kSegments),
          text_segments(tokenizer(), read_file_bytes(data_path("wikitext2_test_head40k.txt")), 512, kSegments, 1024),
          token_segments(generated_stories(model(), kSegments * 511, 7), 512, kSegments)};
}

const AccuracyEvaluator& shakespeare() {
  static const AccuracyEvaluator shared(model(), texts()[0], calibration());
  return shared;
}

std::vector<AccuracyConfig> grid() {
  std::vector<AccuracyConfig> configs;
  auto add = [&](const std::string& backend) -> AccuracyConfig& {
    configs.emplace_back();
    configs.back().backend = backend;
    return configs.back();
  };
  add("fp32");
  add("fp16");
  for (size_t sub_dim : {1, 2, 4, 8})
    for (size_t clusters : {4, 16, 64, 256}) {
      AccuracyConfig& c = add("aqpim");
      c.aqpim.sub_dim = sub_dim;
      c.aqpim.clusters = clusters;
    }
  // Plain PQ, then each fix alone (fp16 sink + recent, importance weights, pre-sorting, windows of 64 coded
  // tokens), then all fixes with the reconstruct value path.
  for (int ablation = 0; ablation < 6; ++ablation) {
    AccuracyConfig& c = add("aqpim");
    if (ablation == 5) {
      c.aqpim.value_path = aqpim::core::ValuePath::kReconstruct;
      continue;
    }
    if (ablation != 1) c.aqpim.sink_tokens = c.aqpim.recent_tokens = 0;
    c.aqpim.importance_weighting = ablation == 2;
    c.aqpim.channel_presort = ablation == 3;
    c.aqpim.window_tokens = ablation == 4 ? 64 : 0;
  }
  for (size_t budget : {48, 64, 96, 128, 192}) add("snapkv").snapkv.budget = budget;
  for (size_t bits : {2, 3, 4, 8})
    for (size_t group : {8, 32}) {
      AccuracyConfig& c = add("skvq");
      c.skvq.key_bits = c.skvq.value_bits = bits;
      c.skvq.group_size = group;
    }
  for (size_t top_k : {8, 16, 32, 64})
    for (size_t clusters : {16, 64}) {
      AccuracyConfig& c = add("pqcache");
      c.pqcache.top_k = top_k;
      c.pqcache.clusters = clusters;
    }
  return configs;
}

void BM_ReferencePass(benchmark::State& state) {  // four segments of one text
  const std::vector<std::vector<int32_t>> segments = texts()[0];
  for (auto _ : state) benchmark::DoNotOptimize(AccuracyEvaluator(model(), segments, calibration()));
}
BENCHMARK(BM_ReferencePass)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_OneConfiguration(benchmark::State& state) {
  AccuracyConfig config;
  config.backend = backend_names()[size_t(state.range(0))];
  state.SetLabel(config.backend);
  shakespeare().run(config);  // calibrations are computed once per evaluator: not part of a configuration
  for (auto _ : state) benchmark::DoNotOptimize(shakespeare().run(config));
}
BENCHMARK(BM_OneConfiguration)->DenseRange(0, 5)->Unit(benchmark::kMillisecond)->UseRealTime();

// Everything a grid runner does: per text the reference pass and calibration, then every configuration,
// two threads pulling configurations from one list.
void BM_Grid(benchmark::State& state) {
  const std::vector<AccuracyConfig> configs = grid();
  const auto evaluated = texts();
  for (auto _ : state) {
    for (const auto& segments : evaluated) {
      const AccuracyEvaluator evaluator(model(), segments, calibration());
      std::atomic<size_t> next{0};
      auto work = [&] {
        for (size_t i; (i = next++) < configs.size();) benchmark::DoNotOptimize(evaluator.run(configs[i]));
      };
      std::thread helper(work);
      work();
      helper.join();
    }
  }
  state.counters["configurations"] = double(configs.size() * evaluated.size());
}
BENCHMARK(BM_Grid)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

std::string describe(const AccuracyConfig& c) {
  char text[160];
  if (c.backend == "aqpim")
    std::snprintf(text, sizeof text, "sub_dim=%zu K=%zu sink=%zu recent=%zu iw=%d presort=%d window=%zu path=%s",
                  c.aqpim.sub_dim, c.aqpim.clusters, c.aqpim.sink_tokens, c.aqpim.recent_tokens,
                  c.aqpim.importance_weighting, c.aqpim.channel_presort, c.aqpim.window_tokens,
                  c.aqpim.value_path == aqpim::core::ValuePath::kHistogram ? "histogram" : "reconstruct");
  else if (c.backend == "snapkv")
    std::snprintf(text, sizeof text, "budget=%zu window=%zu", c.snapkv.budget, c.snapkv.window);
  else if (c.backend == "skvq")
    std::snprintf(text, sizeof text, "bits=%zu group=%zu", c.skvq.key_bits, c.skvq.group(8));
  else if (c.backend == "pqcache")
    std::snprintf(text, sizeof text, "top_k=%zu K=%zu sub_dim=%zu", c.pqcache.top_k, c.pqcache.clusters,
                  c.pqcache.sub_dim);
  else
    text[0] = '\0';
  return text;
}

void print_table() {
  const char* names[] = {"shakespeare", "wikitext2", "story"};
  const auto evaluated = texts();
  std::printf("text\tbackend\tparameters\tperplexity\tfp32_perplexity\ttop1\tmean_kl\tbits_per_element\t"
              "memory_reduction\tattention_error_per_layer\tseconds\n");
  for (size_t t = 0; t < evaluated.size(); ++t) {
    const AccuracyEvaluator evaluator(model(), evaluated[t], calibration());
    for (const AccuracyConfig& config : grid()) {
      const AccuracyResult r = evaluator.run(config);
      std::string errors;
      for (double e : r.layer_attention_error) errors += (errors.empty() ? "" : ",") + std::to_string(e).substr(0, 6);
      std::printf("%s\t%s\t%s\t%.4f\t%.4f\t%.3f\t%.5f\t%.3f\t%.3f\t%s\t%.3f\n", names[t], r.backend.c_str(),
                  describe(config).c_str(), r.perplexity, r.reference_perplexity, r.top1_agreement, r.mean_kl,
                  r.footprint.bits_per_element(), r.footprint.memory_reduction(), errors.c_str(), r.seconds);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--table") == 0) return print_table(), 0;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
