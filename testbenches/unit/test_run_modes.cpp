// Functional and timing-only runs of the same workload take the same simulated time, phase by phase, and
// move the same bytes and commands: they differ only in whether data pointers are passed. SystemC allows
// one simulation per process, so this test runs the real `aqpim` binary once per mode and compares the
// JSON reports.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include "harness/aqpim_run.h"
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace {

nlohmann::json run_report(const std::string& name, const std::string& settings) {
  return aqpim::test::run_report(settings, name);
}

nlohmann::json run_aqpim(const std::string& mode, const std::string& extra = "") {
  return run_report(mode, "--set model.preset=tiny --set workload.context_tokens=900 --set workload.batch=3 "
                          "--set workload.decode_steps=17 --set hbm.pim_stacks=1 --set sim.mode=" + mode + " " + extra);
}

// What both modes report, from the workload alone: tiny (2 layers, 4 query and 2 KV heads of 128), batch 3,
// 900 + 17 tokens, 4 k-means iterations.
constexpr int64_t kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 128, kBatch = 3, kSteps = 17, kIterations = 4;

int64_t count(const nlohmann::json& report, const char* opcode) {
  return report["pim_commands"][opcode]["count"].get<int64_t>();
}

void expect_kv_bytes(const nlohmann::json& report) {
  // fp16 K and V of every token of every KV head.
  EXPECT_EQ(report["kv_bytes"]["fp16"].get<double>(),
            double(kLayers * kKvHeads * kHeadDim * 2 * 2 * kBatch * (900 + kSteps)));
}

void expect_token_mapping_figures(const nlohmann::json& report) {
  expect_kv_bytes(report);
  // Decode: one LUT, score, softmax and value pass per step, sequence, layer and query head.
  for (const char* opcode : {"build_lut", "score", "softmax_partial", "softmax_normalize", "value_histogram", "value_output"})
    EXPECT_EQ(count(report, opcode), kSteps * kBatch * kLayers * kHeads) << opcode;
  // Prefill: each k-means iteration clusters K and V of every sequence, layer and KV head once.
  for (const char* opcode : {"kmeans_assign", "kmeans_accumulate", "reduce", "update_centroids"})
    EXPECT_EQ(count(report, opcode), kBatch * kLayers * kKvHeads * 2 * kIterations) << opcode;
  EXPECT_EQ(count(report, "store_codebook"), kBatch * kLayers * kKvHeads * 2);
}

void expect_subvector_mapping_figures(const nlohmann::json& report) {
  expect_kv_bytes(report);
  // Decode: the query group of a KV head shares one pass of each kind (pim.gqa_one_pass), per step,
  // sequence and layer.
  for (const char* opcode : {"build_table", "score_table", "softmax_buffer", "value_table", "gather_accumulators"})
    EXPECT_EQ(count(report, opcode), kSteps * kBatch * kLayers * kKvHeads) << opcode;
  // Prefill: each k-means iteration clusters K and V of every sequence, layer and KV head once; the
  // centroids are finished in place (no separate reduce or codebook store).
  for (const char* opcode : {"kmeans_assign", "kmeans_accumulate", "finish_centroids"})
    EXPECT_EQ(count(report, opcode), kBatch * kLayers * kKvHeads * 2 * kIterations) << opcode;
  EXPECT_FALSE(report["pim_commands"].contains("store_codebook"));
}

void expect_modes_agree(const nlohmann::json& functional, const nlohmann::json& timing) {
  ASSERT_GT(timing["latency_s"]["total"].get<double>(), 0.0);
  EXPECT_EQ(functional["latency_s"], timing["latency_s"]);  // total, prefill, decode and every phase
  EXPECT_EQ(functional["traffic_bytes"], timing["traffic_bytes"]);
  EXPECT_EQ(functional["pim_commands"], timing["pim_commands"]);
  EXPECT_EQ(functional["gpu"], timing["gpu"]);
  EXPECT_TRUE(functional.contains("accuracy"));
  EXPECT_FALSE(timing.contains("accuracy"));
}

TEST(RunModes, FunctionalAndTimingOnlyGiveIdenticalTimeTrafficAndCommands) {
  const auto functional = run_aqpim("functional", "--set pim.mapping=token");
  const auto timing = run_aqpim("timing", "--set pim.mapping=token");
  expect_token_mapping_figures(timing);
  expect_token_mapping_figures(functional);
  expect_modes_agree(functional, timing);
}

TEST(RunModes, TheSubVectorMappingAlsoMatchesAcrossModes) {
  const auto functional = run_aqpim("functional", "--set pim.mapping=subvector");
  const auto timing = run_aqpim("timing", "--set pim.mapping=subvector");
  expect_subvector_mapping_figures(timing);
  expect_subvector_mapping_figures(functional);
  expect_modes_agree(functional, timing);
}

TEST(RunModes, BankGroupPlacementAlsoMatchesAcrossModes) {
  const auto functional = run_aqpim("functional", "--set pim.mapping=token --set pim.placement=bank_group");
  const auto timing = run_aqpim("timing", "--set pim.mapping=token --set pim.placement=bank_group");
  EXPECT_EQ(functional["latency_s"], timing["latency_s"]);
  EXPECT_EQ(functional["pim_commands"], timing["pim_commands"]);
}

}  // namespace

namespace {

// Decode moves a full row of tokens out of the fp16 window into PIM every 16 steps (one encode per head for
// K and for V). At long contexts the code row lies far above the staging area; the firmware once aimed the
// encode's token offset below zero there and the unit refused it (bad_shape) after a few decode steps.
TEST(RunModes, DecodeEncodesEveryFullRowEvenFarAboveTheStagingArea) {
  constexpr int64_t context = 32768, steps = 40, layers = 2, kv_heads = 2, batch = 16, fp16_tokens = 8 + 32, lanes = 16;
  const std::string json_path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-long.json";
  const std::string command = std::string(AQPIM_BINARY_DIR) +
                              "/bin/aqpim run --set model.preset=tiny --set workload.context_tokens=32768 "
                              "--set workload.decode_steps=40 --set pim.mapping=token --json " + json_path +
                              " > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(json_path);
  const auto report = nlohmann::json::parse(in);
  const int64_t rows_added = (context + steps - fp16_tokens) / lanes - (context - fp16_tokens) / lanes;
  const int64_t instances = layers * kv_heads * batch;
  EXPECT_EQ(report["pim_commands"]["encode"]["count"].get<int64_t>(), instances * 2 * (1 + rows_added));
}

}  // namespace

namespace {


// Decode pipelining (sim.decode_micro_batches) reorders the same work: each sequence's outputs are the
// unpipelined ones, bit for bit, since every head runs the same commands on the same data.
TEST(RunModes, PipelinedDecodeComputesTheSameOutputs) {
  const std::string tiny = "--set model.preset=tiny --set workload.context_tokens=900 --set workload.batch=3 "
                           "--set workload.decode_steps=5 --set hbm.pim_stacks=1 --set sim.mode=functional ";
  const auto whole = run_report("whole", tiny + "--set sim.decode_micro_batches=1");
  const auto pipelined = run_report("pipelined", tiny + "--set sim.decode_micro_batches=3");
  ASSERT_TRUE(whole.contains("accuracy"));
  EXPECT_EQ(pipelined["accuracy"], whole["accuracy"]);
  for (const auto& [opcode, figures] : whole["pim_commands"].items())
    EXPECT_EQ(pipelined["pim_commands"][opcode]["count"], figures["count"]) << opcode;
}

// With one sequence per group the GPU re-reads the weights 16 times per layer (about as long as PIM's
// attention of a layer at 8K), so a pipeline that works keeps GPU and PIM busy at the same time: the
// overlap nearly reaches the shorter of the two. A host that waited for each group's attention before
// starting the next (what the first version did) overlaps nothing.
TEST(RunModes, PipelinedDecodeOverlapsGpuAndPimWork) {
  const std::string mistral_8k = "--set workload.context_tokens=8192 --set workload.decode_steps=2 ";
  const auto whole = run_report("whole-8k", mistral_8k + "--set sim.decode_micro_batches=1");
  const auto pipelined = run_report("pipelined-8k", mistral_8k + "--set sim.decode_micro_batches=16");
  const auto busy = [](const nlohmann::json& report, const char* what) {
    return report["latency_s"]["decode_busy"][what].get<double>();
  };
  // The same PIM work, and the GPU's dense work once per group (the LM head and the fp16 tokens' share once).
  EXPECT_NEAR(busy(pipelined, "pim"), busy(whole, "pim"), 0.005 * busy(whole, "pim"));
  EXPECT_GT(busy(pipelined, "gpu"), 12.0 * busy(whole, "gpu"));
  const double shorter = std::min(busy(pipelined, "gpu"), busy(pipelined, "pim"));
  EXPECT_GT(busy(pipelined, "overlap"), 0.8 * shorter);
  EXPECT_LT(pipelined["latency_s"]["decode"].get<double>(),
            busy(pipelined, "gpu") + busy(pipelined, "pim") - 0.8 * shorter);
}

}  // namespace
