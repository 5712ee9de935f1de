// The AttAcc baseline's options as its authors' simulator has them (scale-snu/attacc_simulator), each against
// a formula written out here from the model's shape and the platform's figures, never from the code's own
// numbers: head-by-head pipelining hides all but 1 / heads of the QKV and output projections behind the PIM
// attention, the FFN split leaves the GPU GPU_bw / (GPU_bw + PIM_bw / batch) of the FFN, the power limit
// reaches the PIM units as scale x one pseudo-channel's bus bandwidth, and two stack IDs double the banks.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "firmware/gpu_work.h"
#include "harness/aqpim_run.h"
#include "platform/params.h"
#include "platform/system_config.h"

namespace aqpim::platform {
namespace {

nlohmann::json run_aqpim(const std::string& sets) { return test::run_report(sets, "attacc"); }

// The tiny model (2 layers, hidden 512, 4 heads, 2 KV heads, head_dim 128, FFN 1024) fits the PIM at this
// context, so no PCIe transfer hides anything; the GPU at its plain roofline (no efficiency factors).
// Refresh windows sit at fixed times, so moving the attention changes which PIM streams one interrupts
// (tens of ns here): the first window (nREFI = 625 us) comes after the run's ~580 us.
const std::string kBase =
    "--set model.preset=tiny --set workload.batch=4 --set workload.context_tokens=4096 --set workload.decode_steps=3 "
    "--set sim.design=attacc --set gpu.compute_efficiency=1 --set gpu.memory_efficiency=1 "
    "--set hbm.timing.nREFI=1000000 --set hbm.timing.nRFC=1 ";
constexpr double kHidden = 512, kHeads = 4, kKvHeads = 2, kHeadDim = 128, kFfn = 1024, kLayers = 2, kBatch = 4;
constexpr double kGpuBandwidth = 3350e9;

// Seconds of a decode layer's kernels in AttAcc's three parts. The kernels' work and thread blocks come from
// firmware/gpu_work.h (tested against AttAcc's own code in test_gpu_work.cpp); their time is written out
// here: the plain roofline over the share of the SMs the blocks keep busy, plus a kernel's fixed time.
struct Parts {
  double qkv, output, ffn;
};
double seconds(const std::vector<hwif::GpuWork>& kernels) {
  constexpr double kSms = 132, kPeakFlops = 989e12;
  double total = 0;
  for (const auto& kernel : kernels) {
    const double busy =
        kernel.thread_blocks > 0 ? kernel.thread_blocks / (std::ceil(kernel.thread_blocks / kSms) * kSms) : 1.0;
    const double bandwidth = kGpuBandwidth * (kernel.bandwidth_fraction > 0 ? kernel.bandwidth_fraction : 1.0);
    total += kernel.fixed_seconds + std::max(kernel.flops / kPeakFlops, kernel.bytes / bandwidth) / busy;
  }
  return total;
}
Parts projection_seconds() {
  PlatformParams p;
  p.model = {"tiny", int64_t(kLayers), int64_t(kHidden), int64_t(kHeads), int64_t(kKvHeads), int64_t(kHeadDim),
             int64_t(kFfn), 1000};
  p.workload.batch = int64_t(kBatch);
  const auto config = make_firmware_config(p);
  const auto parts = firmware::dense_layer_parts(config.model, config.gpu, kBatch);
  return {seconds(parts.qkv), seconds(parts.output), seconds(parts.ffn)};
}

double decode_per_step(const nlohmann::json& report) { return report["latency_s"]["decode"].get<double>() / 3; }

TEST(AttAccOptions, HeadPipelineHidesAllButOneHeadOfTheProjections) {
  const auto none = run_aqpim(kBase + "--set attacc.ffn_split=false --set attacc.pipeline=none");
  const auto head = run_aqpim(kBase + "--set attacc.ffn_split=false --set attacc.pipeline=head");
  const Parts p = projection_seconds();
  // The PIM attention is longer than the projections it hides, so per layer the step loses exactly the
  // hidden share: none = QKV + out + FFN + attention, head = QKV / H + attention + out / H + FFN.
  const double hidden = kLayers * (p.qkv + p.output) * (1 - 1 / kHeads);
  EXPECT_GT(decode_per_step(none) / kLayers, 2 * (p.qkv + p.output)) << "the attention must be the longer";
  EXPECT_NEAR(decode_per_step(none) - decode_per_step(head), hidden, 2e-11);  // kernels rounded to 1 ps
  EXPECT_GT(hidden, 1e-7);  // large against the tolerance
}

TEST(AttAccOptions, FfnSplitLeavesTheGpuItsBandwidthShare) {
  const auto whole = run_aqpim(kBase + "--set attacc.pipeline=none --set attacc.ffn_split=false");
  const auto split = run_aqpim(kBase + "--set attacc.pipeline=none --set attacc.ffn_split=true");
  // PIM bandwidth: 128 pseudo-channels x 16 banks x 32 bytes per tCCD_L = 4 x 0.625 ns (the power limit,
  // 9 x 25.6 GB/s, does not bind on 16 banks), shared by the batch's sequences.
  const double pim = 128 * 16 * 32 / 2.5e-9;
  const double gpu_share = kGpuBandwidth / (kGpuBandwidth + pim / kBatch);
  const double saved = kLayers * projection_seconds().ffn * (1 - gpu_share);
  // The GPU is busy for exactly its share less; the step gains that to within where the output projection
  // sits against the PIM attention (the split path launches it after the attention, ns apart).
  const auto gpu_busy = [](const nlohmann::json& report) { return report["latency_s"]["decode_busy"]["gpu"].get<double>() / 3; };
  EXPECT_NEAR(gpu_busy(whole) - gpu_busy(split), saved, 2e-11);  // kernels rounded to 1 ps
  EXPECT_NEAR(decode_per_step(whole) - decode_per_step(split), saved, 1e-8);
  EXPECT_GT(saved, 1e-7);
}

TEST(AttAccOptions, PowerLimitAndStackIdsReachTheModels) {
  PlatformParams p;
  p.sim.design = Design::attacc;
  p.hbm.stack_ids = 2;
  const SystemConfig attacc = make_system_config(p);
  EXPECT_DOUBLE_EQ(attacc.stack.unit.bank_bandwidth_limit, 9 * 32 * 6.4e9 / 8);  // 9 x the 25.6 GB/s bus
  EXPECT_EQ(attacc.stack.channel.bank_groups * attacc.stack.channel.banks_per_group, 32u);
  EXPECT_EQ(attacc.stack.unit.bank_groups * attacc.stack.unit.banks_per_group, 32u);
  EXPECT_EQ(attacc.stack.channel.capacity_bytes(), make_system_config(PlatformParams{}).stack.channel.capacity_bytes());
  // 32 banks stream 32 bytes each per 2.5 ns = 409.6 GB/s, so the limit binds: 128 x 230.4 GB/s.
  EXPECT_DOUBLE_EQ(pim_internal_bandwidth(p), 128 * 230.4e9);
  p.sim.design = Design::aqpim;
  EXPECT_EQ(make_system_config(p).stack.unit.bank_bandwidth_limit, 0.0);  // AQPIM's PEs: the channel's timing
}

TEST(AttAccOptions, StackIdsNeedRowsToShareAndAtMost64Banks) {
  PlatformParams p;
  p.hbm.stack_ids = 2;
  p.hbm.channel.rows_per_bank = 33;
  EXPECT_THROW(validate(p), ParamError);
  p.hbm.channel.rows_per_bank = 32768;
  p.hbm.channel.bank_groups = 4;
  p.hbm.channel.banks_per_group = 16;
  EXPECT_THROW(validate(p), ParamError);
  // AttAcc on 32 PEs: a GQA group of 4 x (query + 32 PEs' outputs) x 128 x 4 bytes + 4 x 32 x 8 bytes of
  // softmax partials = 68,608 bytes, over the default 64 KiB IO buffer.
  p.hbm.channel.banks_per_group = 4;
  p.sim.design = Design::attacc;
  p.pim.unit.io_buffer_bytes = 68608;
  EXPECT_NO_THROW(validate(p));
  p.pim.unit.io_buffer_bytes = 68607;
  EXPECT_THROW(validate(p), ParamError);
}

}  // namespace
}  // namespace aqpim::platform
