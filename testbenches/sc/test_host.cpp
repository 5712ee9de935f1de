// The host model: firmware accesses reach memory through the socket with the target's timing, the GPU
// roofline is max(flops / FLOP/s, bytes / bandwidth) and runs asynchronously, phases add up to the run.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "harness/sc_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/host.h"

namespace aqpim::models {
namespace {

using hwif::Hal;
using hwif::Phase;
using sc_core::SC_NS;
using sc_core::sc_time;

struct Bench {
  test::TestMemory& memory;
  Host& host;
};

Bench make_bench(const HostConfig& config, Host::Program program, sc_time memory_latency = sc_time(10, SC_NS)) {
  auto& memory = test::make_module<test::TestMemory>("memory", 1 << 20, memory_latency);
  auto& host = test::make_module<Host>("host", config, std::move(program));
  host.socket.bind(memory.socket);
  return {memory, host};
}

TEST(Host, FirmwareWritesAndReadsTakeTheTargetsLatency) {
  std::vector<uint32_t> readback(4);
  uint64_t after_two_accesses = 0;
  auto bench = make_bench({}, [&](Hal& hal) {
    const uint32_t values[4] = {1, 2, 3, 0xdeadbeef};
    hal.write(0x100, values, sizeof values);
    hal.read(0x100, readback.data(), sizeof values);
    after_two_accesses = hal.now_ps();
  });
  sc_core::sc_start();
  ASSERT_FALSE(bench.host.failure());
  EXPECT_EQ(readback[3], 0xdeadbeefu);
  EXPECT_EQ(after_two_accesses, 2 * 10'000u);
  EXPECT_EQ(bench.host.statistics().bytes_written, 16u);
  EXPECT_EQ(bench.memory.transactions, 2u);
}

TEST(Host, TimingOnlyAccessTakesTheSameTimeAndMovesNoData) {
  HostConfig config;
  config.functional = false;
  uint64_t elapsed = 0;
  auto bench = make_bench(config, [&](Hal& hal) {
    EXPECT_FALSE(hal.functional());
    hal.write(0x40, nullptr, 64);
    elapsed = hal.now_ps();
  });
  std::memset(bench.memory.bytes.data(), 0x5a, 128);
  sc_core::sc_start();
  EXPECT_EQ(elapsed, 10'000u);
  EXPECT_EQ(bench.memory.bytes[0x40], 0x5a);
}

TEST(Host, CopiesRunConcurrentlyAndWaitEndsAtTheLastCompletion) {
  uint64_t after_start = 0, after_wait = 0;
  std::vector<uint32_t> readback(2);
  auto bench = make_bench({}, [&](Hal& hal) {
    const uint32_t values[2] = {7, 9};
    hal.write_async(0x10, &values[0], 4);  // the test memory has no contention: both land 10 ns after start
    hal.write_async(0x20, &values[1], 4);
    after_start = hal.now_ps();
    hal.wait_copies();
    after_wait = hal.now_ps();
    hal.read(0x10, &readback[0], 4);
    hal.read(0x20, &readback[1], 4);
  });
  sc_core::sc_start();
  EXPECT_EQ(after_start, 0u);
  EXPECT_EQ(after_wait, 10'000u);
  EXPECT_EQ(readback, (std::vector<uint32_t>{7, 9}));
  EXPECT_EQ(bench.host.statistics().writes, 2u);
}

// 1e15 FLOP/s and 2e12 B/s, half of the one and 0.8 of the other reached.
HostConfig roofline_config() {
  HostConfig config;
  config.gpu_peak_flops = 1e15;
  config.gpu_memory_bandwidth = 2e12;
  config.gpu_compute_efficiency = 0.5;
  config.gpu_memory_efficiency = 0.8;
  return config;
}

TEST(Host, GpuRooflineIsTheSlowerOfComputeAndMemory) {
  const HostConfig config = roofline_config();
  auto bench = make_bench(config, [](Hal&) {});
  // Compute-bound: 1e12 FLOP at 0.5e15 FLOP/s = 2 ms; 1e9 B at 1.6e12 B/s = 0.625 ms.
  EXPECT_EQ(bench.host.gpu_time_ps({1e12, 1e9}), 2'000'000'000u);
  // Memory-bound: 1e9 FLOP = 2 us; 16e9 B at 1.6e12 B/s = 10 ms.
  EXPECT_EQ(bench.host.gpu_time_ps({1e9, 16e9}), 10'000'000'000u);
}

// AttAcc's simulator (src/devices.py): blocks / (ceil(blocks / SMs) x SMs) of the GPU works, at both
// rates; an elementwise kernel pays its fixed time plus its bytes at its own share of peak bandwidth.
TEST(Host, SmallKernelsRunAtTheirSmOccupancy) {
  HostConfig config = roofline_config();
  config.gpu_sms = 100;
  auto bench = make_bench(config, [](Hal&) {});
  // 150 blocks: two waves of 100 SMs, 150 / 200 busy. Compute 1e12 / (0.5e15 x 0.75) = 2.666... ms.
  EXPECT_EQ(bench.host.gpu_time_ps({1e12, 1e9, 150, 0, 0}), 2'666'666'667u);
  // 25 blocks: a quarter of the SMs. Memory 1.6e9 / (1.6e12 x 0.25) = 4 ms.
  EXPECT_EQ(bench.host.gpu_time_ps({1e6, 1.6e9, 25, 0, 0}), 4'000'000'000u);
  // Whole waves cost nothing: 300 blocks on 100 SMs is the plain roofline (2 ms).
  EXPECT_EQ(bench.host.gpu_time_ps({1e12, 1e9, 300, 0, 0}), 2'000'000'000u);
  // Elementwise: 7 us fixed + 6e6 B at 0.4 x 2e12 B/s (7.5 us), not the dense kernels' 0.8.
  EXPECT_EQ(bench.host.gpu_time_ps({1e3, 6e6, 0, 7e-6, 0.4}), 14'500'000u);
}

TEST(Host, GpuWorkRunsConcurrentlyWithFirmwareAndQueues) {
  HostConfig config;
  config.gpu_peak_flops = 1e12;  // 1 FLOP per ps
  uint64_t after_launch = 0, after_wait = 0;
  auto bench = make_bench(config, [&](Hal& hal) {
    hal.gpu_launch({5e6, 0});  // 5 us
    hal.gpu_launch({3e6, 0});  // queues behind: done at 8 us
    after_launch = hal.now_ps();
    hal.write(0, nullptr, 4);  // 10 ns of memory access overlaps the GPU
    hal.gpu_wait();
    after_wait = hal.now_ps();
  });
  sc_core::sc_start();
  EXPECT_EQ(after_launch, 0u);
  EXPECT_EQ(after_wait, 8'000'000u);
  EXPECT_EQ(bench.host.statistics().gpu_busy_ps, 8'000'000u);
}

TEST(Host, PhasesPartitionTheRun) {
  auto bench = make_bench({}, [](Hal& hal) {
    {
      hwif::PhaseScope scoring(hal, Phase::kScoring);
      hal.write(0, nullptr, 4);
      hal.write(0, nullptr, 4);
      hwif::PhaseScope value(hal, Phase::kValue);
      hal.write(0, nullptr, 4);
    }
    hal.write(0, nullptr, 4);  // back in idle
  });
  sc_core::sc_start();
  const auto& stats = bench.host.statistics();
  EXPECT_EQ(stats.phase_ps[size_t(Phase::kScoring)], 20'000u);
  EXPECT_EQ(stats.phase_ps[size_t(Phase::kValue)], 10'000u);
  EXPECT_EQ(stats.phase_ps[size_t(Phase::kIdle)], 10'000u);
  uint64_t total = 0;
  for (uint64_t ps : stats.phase_ps) total += ps;
  EXPECT_EQ(total, stats.finish_ps);
  EXPECT_TRUE(stats.finished);
}

TEST(Host, AnErrorResponseStopsTheFirmwareWithAHalError) {
  bool reached_after_error = false;
  auto bench = make_bench({}, [&](Hal& hal) {
    hal.write(uint64_t(1) << 30, nullptr, 4);  // beyond the 1 MiB memory
    reached_after_error = true;
  });
  sc_core::sc_start();
  ASSERT_TRUE(bench.host.failure());
  EXPECT_FALSE(reached_after_error);
  EXPECT_FALSE(bench.host.statistics().finished);
  EXPECT_THROW(std::rethrow_exception(bench.host.failure()), hwif::HalError);
}

TEST(Host, BackdoorUsesDmiAndTakesNoTime) {
  auto bench = make_bench({}, [](Hal&) {});
  const char text[] = "kv";
  bench.host.backdoor_write(0x200, text, sizeof text);
  char back[sizeof text] = {};
  bench.host.backdoor_read(0x200, back, sizeof back);
  EXPECT_STREQ(back, "kv");
  EXPECT_EQ(bench.memory.transactions, 0u);  // no b_transport: DMI did it
  sc_core::sc_start();
  EXPECT_EQ(bench.host.statistics().finish_ps, 0u);
}

TEST(Host, RejectsOutOfRangeConfiguration) {
  HostConfig config;
  config.gpu_compute_efficiency = 1.5;
  try {
    Host host("host", config, [](Hal&) {});
    FAIL() << "accepted an efficiency above 1";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("gpu_compute_efficiency"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace aqpim::models
