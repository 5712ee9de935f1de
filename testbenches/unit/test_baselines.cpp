// The GPU-offload baseline against formulas written out here: the KV that overflows the GPU's HBM
// (usable capacity minus weights, runtime reserve and prefill workspace) switches on exactly at the
// capacity, and every decode step's GPU<->CPU time is
// the sum over layers of its two PCIe transfers, each latency + max(bytes / PCIe bandwidth, the CPU
// memory's own time = bytes / memory bandwidth + memory latency).
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "firmware/gpu_offload_firmware.h"
#include "harness/aqpim_run.h"

namespace aqpim::firmware {
namespace {

const ModelDims kTiny{2, 512, 4, 2, 128, 1024, 1000};  // layers, hidden, heads, kv_heads, head_dim, ffn, vocab

TEST(GpuOffload, OverflowStartsExactlyAtTheCapacity) {
  const WorkloadConfig workload{kTiny, 4, 1000, 24};
  const double per_token = 4.0 * 2 * 2 * 2 * 128 * 2;  // batch x layers x kv_heads x (K, V) x head_dim x fp16
  EXPECT_EQ(GpuOffloadFirmware::tokens_fitting(workload, 1024 * per_token), 1024u);        // 1024 < 1024 tokens: all
  EXPECT_EQ(GpuOffloadFirmware::tokens_fitting(workload, 1024 * per_token - 1), 1023u);    // one byte short
  EXPECT_EQ(GpuOffloadFirmware::tokens_fitting(workload, 1e15), 1024u);                    // never more than exist
  EXPECT_EQ(GpuOffloadFirmware::tokens_fitting(workload, -5.0), 0u);                       // weights overflowed HBM
}

// GPU HBM left for the tiny model's KV in one stack of 16 channels x 2 pseudo-channels x 16 banks x 64
// rows x 1 KiB: utilization x stack - runtime reserve - fp16 weights - the workspace of a 512-token prefill
// chunk (residual, normed input, gate, up and their product per token, fp16) and the fp32 logits.
double tiny_kv_room(double batch, double utilization, double reserve_mib) {
  const double stack = 16.0 * 2 * 16 * 64 * 1024;
  const double layer_parameters = 512.0 * (4 + 2 * 2) * 128 + 4.0 * 128 * 512 + 3.0 * 512 * 1024;
  const double weights = 2.0 * (2 * layer_parameters + 2.0 * 1000 * 512);
  const double workspace = 512.0 * (2 * 512 + 3 * 1024) * 2 + batch * 1000 * 4;
  return utilization * stack - reserve_mib * 1024 * 1024 - weights - workspace;
}

nlohmann::json run_aqpim(const std::string& sets) { return test::run_report(sets, "offload"); }

TEST(GpuOffload, DecodeTransferTimeIsTheSumOfItsPcieTransfers) {
  const int batch = 4, context = 4096, steps = 6, layers = 2;
  const double pcie_bandwidth = 64e9, pcie_latency = 1e-6, memory_bandwidth = 200e9, memory_latency = 100e-9;
  const auto report = run_aqpim(
      "--set model.preset=tiny --set workload.batch=4 --set workload.context_tokens=4096 --set workload.decode_steps=6 "
      "--set sim.design=gpu_offload --set hbm.stacks=1 --set hbm.pim_stacks=1 --set hbm.rows_per_bank=64 "
      "--set gpu.memory_utilization=0.9 --set gpu.runtime_reserve_mib=1");

  const double token_bytes = batch * 2.0 /*kv heads*/ * 2 /*K, V*/ * 128 * 2;  // one token of a layer's heads
  const double resident = std::floor(tiny_kv_room(batch, 0.9, 1) / (token_bytes * layers));
  ASSERT_LT(resident, context) << "the workload must overflow";
  auto transfer = [&](double bytes) {
    return pcie_latency + std::max(bytes / pcie_bandwidth, bytes / memory_bandwidth + memory_latency);
  };
  double expected = 0;
  for (int step = 0; step < steps; ++step)
    for (int layer = 0; layer < layers; ++layer)
      expected += transfer(token_bytes) + transfer((context + step + 1 - resident) * token_bytes);

  EXPECT_NEAR(report["latency_s"]["decode_transfer"].get<double>(), expected, 1e-12 * steps * layers * 2);
  EXPECT_NEAR(report["kv_bytes"]["offloaded"].get<double>(), (context + steps - resident) * token_bytes * layers, 0.5);
  EXPECT_FALSE(report["kv_bytes"]["fits"].get<bool>());
}

// The switch-over: a cache of exactly the tokens that fit the usable HBM stays on the GPU; one token
// more per head sends exactly that token of every layer and head to CPU memory.
TEST(GpuOffload, OffloadsExactlyWhatDoesNotFitTheUsableHbm) {
  const int batch = 4, steps = 2, layers = 2;
  const double token_bytes = batch * layers * 2.0 /*kv heads*/ * 2 /*K, V*/ * 128 * 2;
  const int fitting = int(std::floor(tiny_kv_room(batch, 0.8, 2) / token_bytes));
  ASSERT_GT(fitting, 1000);
  const auto run = [&](int context) {
    return run_aqpim("--set model.preset=tiny --set workload.batch=4 --set workload.decode_steps=2 "
                     "--set sim.design=gpu_offload --set hbm.stacks=1 --set hbm.pim_stacks=1 "
                     "--set hbm.rows_per_bank=64 --set gpu.memory_utilization=0.8 --set gpu.runtime_reserve_mib=2 "
                     "--set workload.context_tokens=" + std::to_string(context));
  };
  const auto exact = run(fitting - steps);
  EXPECT_EQ(exact["gpu_memory"]["kv_offloaded"].get<double>(), 0.0);
  EXPECT_EQ(exact["gpu_memory"]["kv_resident"].get<double>(), fitting * token_bytes);
  EXPECT_EQ(exact["gpu_memory"]["capacity"].get<double>(), 16.0 * 2 * 16 * 64 * 1024);
  const auto one_more = run(fitting - steps + 1);
  EXPECT_EQ(one_more["gpu_memory"]["kv_offloaded"].get<double>(), token_bytes);
  EXPECT_EQ(one_more["gpu_memory"]["kv_resident"].get<double>(), fitting * token_bytes);
  const auto one_less = run(fitting - steps - 1);
  EXPECT_EQ(one_less["gpu_memory"]["kv_resident"].get<double>(), (fitting - 1) * token_bytes);
  EXPECT_EQ(one_less["gpu_memory"]["kv_offloaded"].get<double>(), 0.0);
}

TEST(GpuOffload, NothingCrossesPcieWhenTheCacheFits) {
  const auto report = run_aqpim(
      "--set model.preset=tiny --set workload.batch=2 --set workload.context_tokens=1024 --set workload.decode_steps=4 "
      "--set sim.design=gpu_offload");
  EXPECT_EQ(report["latency_s"]["decode_transfer"].get<double>(), 0.0);
  EXPECT_EQ(report["traffic_bytes"]["pcie"].get<double>(), 0.0);
  EXPECT_TRUE(report["kv_bytes"]["fits"].get<bool>());
}

// AttAcc-like fp16 PIM: MAC streams on exact fp16 rows give fp32 attention up to reassociation, also when
// the PIM is full and each head's later tokens come back from CPU memory every step.
TEST(AttAcc, FunctionalOutputsMatchFp32AttentionWithAndWithoutOverflow) {
  const std::string base = "--set model.preset=tiny --set workload.batch=4 --set workload.context_tokens=3000 "
                           "--set workload.decode_steps=20 --set sim.design=attacc --set sim.mode=functional";
  const auto fits = run_aqpim(base);
  EXPECT_TRUE(fits["kv_bytes"]["fits"].get<bool>());
  EXPECT_EQ(fits["kv_bytes"]["offloaded"].get<double>(), 0.0);
  EXPECT_LT(fits["accuracy"]["relative_l2_error"].get<double>(), 1e-5);
  // One small PIM pseudo-channel (16 banks of 1 MiB) cannot hold 16 heads x 3020 tokens x 512 bytes. The
  // GPU's stacks shrink with it (64 MiB), too small for a CUDA context: no runtime reserve here.
  const auto overflows = run_aqpim(base + " --set hbm.pim_stacks=1 --set hbm.channels_per_stack=1 "
                                          "--set hbm.pseudo_channels=1 --set hbm.rows_per_bank=1024 "
                                          "--set gpu.runtime_reserve_mib=0");
  EXPECT_FALSE(overflows["kv_bytes"]["fits"].get<bool>());
  EXPECT_GT(overflows["kv_bytes"]["offloaded"].get<double>(), 0.0);
  EXPECT_GT(overflows["latency_s"]["decode_transfer"].get<double>(), 0.0);
  EXPECT_LT(overflows["accuracy"]["relative_l2_error"].get<double>(), 1e-5);
}

TEST(Designs, PimDesignsScoreTheSameTokensOfTheSameHeads) {
  // Every decode step scores every query head of every sequence and layer once, whichever way.
  const std::string base = "--set model.preset=tiny --set workload.batch=3 --set workload.context_tokens=2048 "
                           "--set workload.decode_steps=9";
  const auto aqpim = run_aqpim(base + " --set sim.design=aqpim --set pim.mapping=token");
  const auto subvector = run_aqpim(base + " --set sim.design=aqpim --set pim.mapping=subvector");
  const auto attacc = run_aqpim(base + " --set sim.design=attacc");
  const double expected = 9.0 * 2 /*layers*/ * 3 /*sequences*/ * 4 /*query heads*/;
  EXPECT_EQ(aqpim["pim_commands"]["score"]["count"].get<double>(), expected);
  EXPECT_EQ(aqpim["pim_commands"]["build_lut"]["count"].get<double>(), expected);
  // The sub-vector mapping scores a KV head's query group (two heads in the tiny model) in one pass.
  EXPECT_EQ(subvector["pim_commands"]["score_table"]["count"].get<double>(), expected / 2);
  EXPECT_EQ(subvector["pim_commands"]["build_table"]["count"].get<double>(), expected / 2);
  EXPECT_EQ(attacc["pim_commands"]["mac_dot"]["count"].get<double>(), expected);
  EXPECT_EQ(attacc["pim_commands"]["mac_weighted"]["count"].get<double>(), expected);
  // Same GPU dense work per decode step (projections, LM head) in the skeleton all designs share: AQPIM adds
  // only the importance-weight attention in the prefill and the fp16 window's attention.
  EXPECT_EQ(aqpim["kv_bytes"]["fp16"], attacc["kv_bytes"]["fp16"]);
}

// The cells of one Markdown table line, trimmed ("| a | b |" -> {"a", "b"}).
std::vector<std::string> markdown_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line.substr(1));
  for (std::string cell; std::getline(in, cell, '|');) {
    const size_t first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
    cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  return cells;
}

TEST(Compare, PrintsOneMarkdownRowPerDesignWithSpeedupsFromTheReports) {
  const std::string directory = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-compare";
  const std::string output = directory + ".txt";
  const std::string command = std::string(AQPIM_BINARY_DIR) +
                              "/bin/aqpim compare --set model.preset=tiny --set workload.batch=2 "
                              "--set workload.context_tokens=1024 --set workload.decode_steps=4 --jobs 2 --out " +
                              directory + " > " + output + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  // Each design's decode time per step, read from its own report.
  std::map<std::string, double> per_step;
  for (const auto& entry : std::filesystem::directory_iterator(directory + "/runs")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const auto report = nlohmann::json::parse(in);
    std::string label = report["design"].get<std::string>();
    if (label == "aqpim" && report["parameters"]["pim"]["mapping"] == "token") label += "_token";
    per_step[label] = report["latency_s"]["decode"].get<double>() / report["parameters"]["workload"]["decode_steps"].get<double>();
  }
  std::ifstream table(directory + "/compare.md");
  std::vector<std::vector<std::string>> lines;
  for (std::string line; std::getline(table, line);) lines.push_back(markdown_cells(line));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0][0], "design");
  EXPECT_EQ(lines[0][2], "AQPIM speedup");
  std::set<std::string> designs;
  for (size_t line = 2; line < lines.size(); ++line) {
    const auto& cells = lines[line];
    ASSERT_TRUE(per_step.count(cells[0])) << cells[0];
    designs.insert(cells[0]);
    EXPECT_NEAR(std::stod(cells[1]), per_step[cells[0]] * 1e3, per_step[cells[0]] * 1e3 * 6e-4) << cells[0];  // 4 digits
    EXPECT_NEAR(std::stod(cells[2]), per_step[cells[0]] / per_step["aqpim"], 5.1e-3) << cells[0];
  }
  const std::set<std::string> expected = {"aqpim", "aqpim_token", "attacc", "gpu_offload", "pqcache", "snapkv", "skvq"};
  for (const auto& design : expected) EXPECT_TRUE(designs.count(design)) << design << " has no row";
  EXPECT_EQ(designs.size(), per_step.size());
  std::ifstream printed(output);
  const std::string text((std::istreambuf_iterator<char>(printed)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| aqpim_token "), std::string::npos) << text;
  EXPECT_NE(lines[0].back().find("energy ratio"), std::string::npos) << "energy columns once reports carry energy";
  for (const char* setting : {"sim.design=aqpim", "pim.mapping=token"}) {
    const std::string refused = std::string(AQPIM_BINARY_DIR) + "/bin/aqpim compare --set " + setting + " 2>/dev/null";
    EXPECT_EQ(WEXITSTATUS(std::system(refused.c_str())), 2) << setting;
  }
}

}  // namespace
}  // namespace aqpim::firmware
