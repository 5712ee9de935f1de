// Energy from counted events, checked by hand counts: the test works out the events of small runs from
// formulas written out here (bytes the offload path must move, FLOPs of the tiny model's layers, PIM MAC
// lanes per attended token), never from the counters under test, and checks every component = count x
// its energy.* figure, the total = the sum of the components, and decode + prefill = total.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include "harness/aqpim_run.h"
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace {

nlohmann::json run_aqpim(const std::string& sets, const std::string& name) {
  return aqpim::test::run_report(sets, name);
}

double component(const nlohmann::json& report, const char* name) {
  return report["energy_j"]["components"][name].get<double>();
}

// Every component's joules add up to the total, the phases to the whole, and the step mean to the decode.
void expect_consistent(const nlohmann::json& report, double steps) {
  const auto& energy = report["energy_j"];
  double sum = 0;
  for (const auto& [name, joules] : energy["components"].items()) sum += joules.get<double>();
  const double total = energy["total"].get<double>();
  EXPECT_NEAR(sum, total, 1e-12 * total);
  EXPECT_NEAR(energy["prefill"].get<double>() + energy["decode"].get<double>(), total, 1e-12 * total);
  EXPECT_NEAR(energy["decode_per_step"].get<double>() * steps, energy["decode"].get<double>(), 1e-12 * total);
}

// The tiny model (model.preset=tiny): 2 layers, hidden 512, 4 heads, 2 KV heads, head_dim 128, FFN 1024,
// vocabulary 1000.
constexpr double kLayers = 2, kHidden = 512, kHeads = 4, kKvHeads = 2, kHeadDim = 128, kFfn = 1024, kVocab = 1000;

// GPU FLOPs of a whole run: per layer the projections (2 x tokens x parameters), two RMSNorms (5 x tokens x
// hidden each), SiLU x gate (9 x tokens x FFN) and attention (4 x query-key pairs x head_dim x heads; the
// causal prefill half of the square), the LM head once after the prefill and once per step.
double gpu_flops(double batch, double context, double steps) {
  const double parameters = kHidden * (kHeads + 2 * kKvHeads) * kHeadDim + kHeads * kHeadDim * kHidden + 3 * kHidden * kFfn;
  const auto dense = [&](double tokens) { return 2 * tokens * parameters + tokens * (2 * 5 * kHidden + 9 * kFfn); };
  const double lm_head = 2 * batch * kHidden * kVocab;
  double flops = kLayers * (dense(batch * context) + 4 * batch * context * context / 2 * kHeadDim * kHeads) + lm_head;
  for (double step = 0; step < steps; ++step)
    flops += kLayers * (dense(batch) + 4 * batch * (context + step + 1) * kHeadDim * kHeads) + lm_head;
  return flops;
}

// GPU offload with a GPU HBM too small for the cache: the prompt's overflow is written to CPU memory once,
// then every step writes the new token and reads back every offloaded one, layer by layer; every byte crosses
// PCIe once and is one CPU-memory access.
TEST(Energy, GpuOffloadIsItsCountedTransfersFlopsAndStaticPower) {
  const double batch = 4, context = 4096, steps = 6;
  const double pcie_pj = 1.5, cpu_pj = 20, flop_pj = 0.25, gpu_static_w = 100, hbm_static_w = 7, cpu_static_w = 30;
  const auto report = run_aqpim(
      "--set model.preset=tiny --set workload.batch=4 --set workload.context_tokens=4096 --set workload.decode_steps=6 "
      "--set sim.design=gpu_offload --set hbm.stacks=1 --set hbm.pim_stacks=1 --set hbm.rows_per_bank=64 "
      "--set energy.pcie_pj_per_bit=1.5 --set energy.cpu_memory_pj_per_bit=20 --set energy.gpu_pj_per_flop=0.25 "
      "--set energy.gpu_static_w=100 --set energy.hbm_static_w=7 --set energy.cpu_static_w=30",
      "offload");
  const double token_bytes = batch * kKvHeads * 2 /*K, V*/ * kHeadDim * 2;  // one token of one layer
  const double offloaded_end = report["kv_bytes"]["offloaded"].get<double>() / (token_bytes * kLayers);
  const double first = context + steps - offloaded_end;  // the first token living in CPU memory
  ASSERT_LT(first, context) << "the workload must overflow";
  double tokens = context - first;  // the prompt's overflow, per layer
  for (double step = 0; step < steps; ++step)
    tokens += (context + step >= first ? 1 : 0) + (context + step + 1 - first);
  const double bits = 8 * tokens * token_bytes * kLayers;

  EXPECT_NEAR(component(report, "pcie_link"), bits * pcie_pj * 1e-12, 1e-9 * bits * pcie_pj * 1e-12);
  EXPECT_NEAR(component(report, "cpu_memory"), bits * cpu_pj * 1e-12, 1e-9 * bits * cpu_pj * 1e-12);
  const double flops = gpu_flops(batch, context, steps);
  EXPECT_NEAR(component(report, "gpu_flop"), flops * flop_pj * 1e-12, 1e-9 * flops * flop_pj * 1e-12);
  const double seconds = report["latency_s"]["total"].get<double>();
  EXPECT_NEAR(component(report, "static"), (gpu_static_w + 1 * hbm_static_w + cpu_static_w) * seconds, 1e-9);
  // The PIM stack is idle in this design: not one PIM or bank-side event.
  for (const char* idle : {"pim_mac", "pim_sram", "pim_link", "hbm_bank_read", "hbm_bank_write"})
    EXPECT_EQ(component(report, idle), 0.0) << idle;
  expect_consistent(report, steps);
}

// AttAcc-like fp16 PIM: per decode step, every query head's score and value passes run one MAC lane per
// head_dim element of every token held in PIM, and softmax two lane operations per token in each of its two
// passes. Tokens enter PIM in whole bank rows (one token per PE per row), the rest stays on the GPU.
TEST(Energy, AttAccPimMacsAreTwoHeadDimPassesAndSoftmaxPerTokenInPim) {
  const double batch = 2, context = 1000, steps = 3, pes = 16;
  const auto report = run_aqpim(
      "--set model.preset=tiny --set workload.batch=2 --set workload.context_tokens=1000 --set workload.decode_steps=3 "
      "--set sim.design=attacc --set energy.pim_mac_pj=2",
      "attacc");
  double macs = 0;
  for (double step = 0; step < steps; ++step) {
    const double in_pim = std::floor((context + step + 1) / pes) * pes;
    macs += kLayers * batch * kHeads * in_pim * (2 * kHeadDim + 2 + 2);
  }
  const auto& events = report["energy_events"]["pim_mac"];
  EXPECT_EQ(events["decode"].get<double>(), macs);
  EXPECT_NEAR(report["energy_j"]["decode_components"]["pim_mac"].get<double>(), macs * 2e-12, 1e-9 * macs * 2e-12);
  expect_consistent(report, steps);
}

}  // namespace
