// The GPU-side baselines (sim.design = pqcache, snapkv, skvq) against formulas written out here from the
// designs' descriptions (docs/baselines.md), not from the code: the bytes each keeps in the GPU's HBM and in
// CPU memory, the bytes it moves over PCIe, and its decode time as the sum of its GPU roofline kernels and
// PCIe transfers. Functional runs against plain fp32 attention over every token: exact when nothing is left
// out, worse when tokens are.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include "harness/aqpim_run.h"
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace {

// The tiny preset: layers, hidden, heads, kv_heads, head_dim, ffn_hidden, vocab.
constexpr double kLayers = 2, kHidden = 512, kHeads = 4, kKvHeads = 2, kDim = 128, kFfn = 1024, kVocab = 1000;
constexpr double kPeakFlops = 989e12 * 0.8, kGpuBandwidth = 3350e9 * 0.85;  // gpu.* defaults x utilisation
constexpr double kSms = 132;
constexpr double kPcieBandwidth = 64e9, kPcieLatency = 1e-6, kCpuBandwidth = 200e9, kCpuLatency = 100e-9;

// A kernel of `blocks` thread blocks keeps blocks / (waves x SMs) of the GPU busy (0: all of it).
double roofline(double flops, double bytes, double blocks = 0) {
  const double busy = blocks > 0 ? blocks / (std::ceil(blocks / kSms) * kSms) : 1.0;
  return std::round(std::max(flops / kPeakFlops, bytes / kGpuBandwidth) / busy * 1e12) * 1e-12;
}
// Decode attention of one query per sequence over `keys` keys of `head_bytes` K+V bytes per KV head: one
// thread block per sequence and query head.
double attention(double batch, double keys, double head_bytes) {
  return roofline(4 * batch * keys * kDim * kHeads, batch * (2 * kHeads * kDim + keys * kKvHeads * head_bytes),
                  batch * kHeads);
}
double transfer(double bytes) {
  return kPcieLatency + std::max(bytes / kPcieBandwidth, bytes / kCpuBandwidth + kCpuLatency);
}

nlohmann::json run(const std::string& sets) {
  return aqpim::test::run_report("--set model.preset=tiny " + sets, "gpu-baseline");
}

// Exit code and stderr of a run that must be refused.
std::pair<int, std::string> refused(const std::string& sets) {
  const std::string err_path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-refused.txt";
  const std::string command = std::string(AQPIM_BINARY_DIR) + "/bin/aqpim run --set model.preset=tiny " + sets +
                              " > /dev/null 2> " + err_path;
  const int status = std::system(command.c_str());
  std::ifstream in(err_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {WEXITSTATUS(status), text};
}

double per_step(const nlohmann::json& report) { return report["latency_s"]["per_decode_step"]["total"].get<double>(); }

// What every GPU-side design's decode step shares (projections, norms, activations, LM head: the skeleton
// firmware/attention_firmware.cpp runs for all of them, tested in test_gpu_work.cpp), taken from a
// gpu_offload run of the same workload that keeps its whole cache in HBM, minus its own fp16 attention.
double dense_per_step(const std::string& workload, double batch, double context, double steps) {
  const auto report = run(workload + " --set sim.design=gpu_offload");
  EXPECT_EQ(report["kv_bytes"]["offloaded"].get<double>(), 0.0) << "the reference must not offload";
  double attention_s = 0;
  for (double step = 0; step < steps; ++step) attention_s += kLayers * attention(batch, context + step + 1, 4 * kDim);
  return per_step(report) - attention_s / steps;
}

TEST(PqCache, BytesAndDecodeTimeFollowTheFormulas) {
  const double batch = 4, context = 4096, steps = 6, top_k = 500, sink = 8, recent = 32;
  const std::string workload = "--set workload.batch=4 --set workload.context_tokens=4096 --set workload.decode_steps=6";
  const auto report = run(workload + " --set sim.design=pqcache --set pqcache.top_k=500");
  const double token = batch * kKvHeads * 2 * kDim * 2;  // one token of every head of a layer, fp16 K and V
  // Every token's K and V in CPU memory; per step and layer the new token goes out, top_k tokens come back.
  EXPECT_DOUBLE_EQ(report["kv_bytes"]["offloaded"].get<double>(), (context + steps) * token * kLayers);
  EXPECT_DOUBLE_EQ(report["traffic_bytes"]["pcie"].get<double>(),
                   kLayers * context * token + steps * kLayers * (token + top_k * token));
  // GPU: 9-bit codes of 32 sub-vectors per coded key, a 512 x 128 fp16 codebook, fp16 sink/recent K and V.
  const double coded_end = context + steps - sink - recent;
  const double head = std::ceil(coded_end * 32 * 9 / 8) + 512 * kDim * 2 + (sink + recent) * kDim * 2 * 2;
  EXPECT_DOUBLE_EQ(report["kv_bytes"]["gpu_resident"].get<double>(), batch * kLayers * kKvHeads * head);

  double transfers = 0, decode = 0;
  for (double step = 0; step < steps; ++step) {
    const double coded = context + step + 1 - sink - recent;
    const double codes_bytes = std::ceil(coded * 32 * 9 / 8) + 512 * kDim * 2;
    const double scoring =
        roofline(batch * kHeads * (2 * 512 * kDim + coded * 32), batch * kKvHeads * codes_bytes, batch * kHeads);
    const double fetched = std::min(top_k, coded);
    const double layer_transfers = transfer(token) + transfer(fetched * token);
    transfers += kLayers * layer_transfers;
    decode += kLayers * (scoring + layer_transfers + attention(batch, sink + fetched + recent, 4 * kDim));
  }
  EXPECT_NEAR(report["latency_s"]["decode_transfer"].get<double>(), transfers, 1e-11);
  const double expected = dense_per_step(workload, batch, context, steps) + decode / steps;
  EXPECT_NEAR(per_step(report), expected, 1e-9 * expected);
}

TEST(SnapKv, KeepsTheBudgetOnTheGpuAndMovesNothing) {
  const double batch = 4, context = 4096, steps = 6, budget = 1000;
  const std::string workload = "--set workload.batch=4 --set workload.context_tokens=4096 --set workload.decode_steps=6";
  const auto report = run(workload + " --set sim.design=snapkv --set snapkv.token_budget=1000");
  EXPECT_EQ(report["traffic_bytes"]["pcie"].get<double>(), 0.0);
  EXPECT_EQ(report["kv_bytes"]["offloaded"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(report["kv_bytes"]["gpu_resident"].get<double>(),
                   batch * kLayers * kKvHeads * (budget + steps) * 2 * kDim * 2);
  double decode = 0;
  for (double step = 0; step < steps; ++step)
    decode += kLayers * attention(batch, budget + step + 1, 4 * kDim);
  const double expected = dense_per_step(workload, batch, context, steps) + decode / steps;
  EXPECT_NEAR(per_step(report), expected, 1e-9 * expected);
}

TEST(Skvq, QuantisedCacheOverflowsToCpuMemoryByTheFormula) {
  const double batch = 16, context = 4096, steps = 6, window = 8 + 32;
  const std::string workload = "--set workload.batch=16 --set workload.context_tokens=4096 --set workload.decode_steps=6 "
                               "--set hbm.stacks=1 --set hbm.pim_stacks=1 --set hbm.rows_per_bank=64 "
                               "--set gpu.runtime_reserve_mib=0 --set gpu.memory_utilization=1";
  const auto report = run(workload + " --set sim.design=skvq --set skvq.bits=4 --set skvq.group_size=32");
  // GPU HBM: 16 channels x 2 pseudo-channels x 16 banks x 64 rows x 1 KiB, minus the tiny model's weights and
  // the prefill workspace (a 512-token chunk's widest activations and the batch's fp32 logits).
  const double layer_parameters = kHidden * (kHeads + 2 * kKvHeads) * kDim + kHeads * kDim * kHidden + 3 * kHidden * kFfn;
  const double workspace = 2 * 512 * (2 * kHidden + 3 * kFfn) + 4 * batch * kVocab;
  const double capacity =
      16.0 * 2 * 16 * 64 * 1024 - 2 * (kLayers * layer_parameters + 2 * kVocab * kHidden) - workspace;
  const double instances = batch * kLayers * kKvHeads;
  const double quantized = 2 * (kDim * 4 / 8 + kDim / 32 * 4);  // K and V: 4-bit codes, fp16 scale + zero per 32
  const double resident = std::floor((capacity - instances * window * 4 * kDim) / (instances * quantized));
  ASSERT_LT(resident + window, context) << "the workload must overflow";
  const double offloaded_end = context + steps - window - resident;
  EXPECT_DOUBLE_EQ(report["kv_bytes"]["offloaded"].get<double>(), offloaded_end * instances * quantized);
  EXPECT_DOUBLE_EQ(report["kv_bytes"]["gpu_resident"].get<double>(),
                   instances * (window * 4 * kDim + resident * quantized));
  const double token = batch * kKvHeads * quantized;
  double transfers = 0, decode = 0;
  for (double step = 0; step < steps; ++step) {
    const double length = context + step + 1;
    const double layer_transfers = transfer(token) + transfer((length - window - resident) * token);
    const double stored = window * 4 * kDim + (length - window) * quantized;
    transfers += kLayers * layer_transfers;
    decode += kLayers * (layer_transfers + attention(batch, length, stored / length));
  }
  EXPECT_NEAR(report["latency_s"]["decode_transfer"].get<double>(), transfers, 1e-11);
  // The gpu_offload reference must hold its whole fp16 cache: the same workload on the default 5 stacks.
  const std::string reference = "--set workload.batch=16 --set workload.context_tokens=4096 --set workload.decode_steps=6";
  const double expected = dense_per_step(reference, batch, context, steps) + decode / steps;
  EXPECT_NEAR(per_step(report), expected, 1e-9 * expected);
}

double functional_error(const std::string& sets) {
  const auto report = run("--set workload.batch=2 --set workload.context_tokens=1024 --set workload.decode_steps=4 "
                          "--set sim.mode=functional " + sets);
  return report["accuracy"]["relative_l2_error"].get<double>();
}

TEST(GpuBaselines, FunctionalOutputsAreExactWhenNothingIsLeftOut) {
  // fp16-exact data: every selected token's exact K and V give plain fp32 attention up to reassociation.
  // 1024 + 4 - 8 - 32: every token between the sink and recent ones, up to the last step.
  EXPECT_LT(functional_error("--set sim.design=pqcache --set pqcache.top_k=988"), 1e-5);
  EXPECT_LT(functional_error("--set sim.design=snapkv --set snapkv.token_budget=1024"), 1e-5);
  // Leaving tokens out, or rounding them to few bits, costs accuracy.
  EXPECT_GT(functional_error("--set sim.design=pqcache --set pqcache.top_k=64"), 1e-4);
  EXPECT_GT(functional_error("--set sim.design=snapkv --set snapkv.token_budget=128"), 1e-4);
  const double four_bits = functional_error("--set sim.design=skvq --set skvq.bits=4 --set skvq.group_size=32");
  const double two_bits = functional_error("--set sim.design=skvq --set skvq.bits=2 --set skvq.group_size=32");
  EXPECT_GT(four_bits, 1e-4);
  EXPECT_LT(four_bits, two_bits);
  EXPECT_LT(two_bits, 1.0);
}

TEST(GpuBaselines, ContradictorySettingsAreRefusedInOneLine) {
  const std::string small = "--set workload.context_tokens=1024 --set workload.decode_steps=2 ";
  const struct {
    std::string sets, names;
  } cases[] = {
      {small + "--set sim.design=pqcache --set pqcache.top_k=987", "pqcache.top_k"},  // 1024 + 2 - 8 - 32 = 986
      {small + "--set sim.design=snapkv --set snapkv.token_budget=32 --set snapkv.window=32", "snapkv.window"},
      {small + "--set sim.design=skvq --set skvq.bits=3", "skvq.bits"},
      {small + "--set sim.design=skvq --set skvq.group_size=48", "skvq.group_size"},
      {small + "--set sim.design=snapkv --set hbm.stacks=1 --set hbm.pim_stacks=1 --set hbm.rows_per_bank=16 "
               "--set workload.batch=64",
       "snapkv.token_budget"},
  };
  for (const auto& c : cases) {
    const auto [code, text] = refused(c.sets);
    EXPECT_NE(code, 0) << c.sets;
    EXPECT_NE(text.find(c.names), std::string::npos) << c.sets << ": " << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  }
  // The settings of another design are not checked.
  EXPECT_EQ(refused(small + "--set sim.design=snapkv --set skvq.bits=3").first, 0);
}

}  // namespace
