// `aqpim hbm-trace` on small hand-made traces with known answers: every format's fields, the summary's
// figures from the HBM3 6400 formulas (idle read (nRCDRD + nCL) x tCK + burst = 33.125 ns, row hit
// nCL x tCK + burst = 13.75 ns, refresh windows of 200 ns every 3.9 us), stacks, DRAMSys mapping files,
// and bad traces: one line, exit 2.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/cli_options.h"
#include "apps/hbm_trace_player.h"

namespace aqpim::apps {
namespace {

constexpr double kIdleReadNs = (31 + 20) * 0.625 + 1.25;
constexpr double kRowHitNs = 20 * 0.625 + 1.25;

std::vector<TraceRequest> read_all(const std::string& text, TraceFormat format, uint64_t clock_ps = 1000) {
  std::istringstream in(text);
  TraceReader reader(in, format, clock_ps, 64);
  std::vector<TraceRequest> requests;
  for (TraceRequest request; reader.next(request);) requests.push_back(request);
  return requests;
}

TEST(HbmTrace, EveryFormatReadsTimeDirectionAddressAndLength) {
  auto stl = read_all("# DRAMSys\n10:\tread\t0x400\n25: (128) write 0x800 0x00ff\n", TraceFormat::Stl, 1250);
  ASSERT_EQ(stl.size(), 2u);
  EXPECT_EQ(stl[0].arrival_ps, 12500u);
  EXPECT_EQ(stl[0].address, 0x400u);
  EXPECT_EQ(stl[0].bytes, 64u);  // the default size
  EXPECT_FALSE(stl[0].is_write);
  EXPECT_EQ(stl[1].arrival_ps, 31250u);
  EXPECT_EQ(stl[1].bytes, 128u);
  EXPECT_TRUE(stl[1].is_write);
  EXPECT_EQ(stl[1].line, 3u);
  auto rstl = read_all("10: read 400\n5: read 440\n", TraceFormat::RelativeStl);
  EXPECT_EQ(rstl[1].arrival_ps, 15000u);  // relative to the one before
  EXPECT_EQ(rstl[1].address, 0x440u);     // DRAMSys addresses are hexadecimal
  auto ramulator = read_all("0x12345680 R\n0x40 W\n", TraceFormat::Ramulator);
  EXPECT_EQ(ramulator[0].address, 0x12345680u);
  EXPECT_EQ(ramulator[1].arrival_ps, 0u);
  EXPECT_TRUE(ramulator[1].is_write);
  auto loadstore = read_all("LD 0x100 3\nST 512 2\n", TraceFormat::LoadStore, 625);
  EXPECT_EQ(loadstore[0].arrival_ps, 3 * 625u);
  EXPECT_EQ(loadstore[1].arrival_ps, 5 * 625u);
  EXPECT_EQ(loadstore[1].address, 512u);
  auto timed = read_all("2.5 W 0x40 96\n", TraceFormat::Timed);
  EXPECT_EQ(timed[0].arrival_ps, 2500u);
  EXPECT_EQ(timed[0].bytes, 96u);
}

TEST(HbmTrace, MalformedLinesNameTheirLine) {
  const std::pair<const char*, TraceFormat> bad[] = {{"10: read 0x0\n10: fetch 0x0\n", TraceFormat::Stl},
                                                     {"0x10 R\n0x10\n", TraceFormat::Ramulator},
                                                     {"LD 0x1 2\nLD 0x1 -2\n", TraceFormat::LoadStore},
                                                     {"0 R 0 32\n0 R 0 0\n", TraceFormat::Timed},
                                                     {"0 R 0 32\n0 R zz 32\n", TraceFormat::Timed}};
  for (const auto& [text, format] : bad) {
    try {
      read_all(text, format);
      FAIL() << "accepted " << text;
    } catch (const TraceError& error) {
      EXPECT_EQ(error.line, 2u) << text << ": " << error.what();
    }
  }
}

TraceSummary play(const std::string& text, const StackLayout& layout,
                  const models::Hbm3PseudoChannelConfig& channel = {}) {
  TracePlayer player(channel, layout);
  for (const TraceRequest& request : read_all(text, TraceFormat::Timed)) player.play(request);
  return player.summary();
}

const uint64_t kChannelBytes = models::Hbm3PseudoChannelConfig().capacity_bytes();

TEST(HbmTrace, AnIdleReadThenARowHit) {
  const TraceSummary s = play("0 R 0x0 32\n1000 R 0x20 32\n", StackLayout::row_major(1, kChannelBytes));
  EXPECT_EQ(s.requests, 2u);
  EXPECT_DOUBLE_EQ(s.latency_min_ns, kRowHitNs);
  EXPECT_DOUBLE_EQ(s.latency_max_ns, kIdleReadNs);
  EXPECT_DOUBLE_EQ(s.latency_mean_ns, (kRowHitNs + kIdleReadNs) / 2);
  EXPECT_DOUBLE_EQ(s.row_hit_rate, 0.5);
  EXPECT_DOUBLE_EQ(s.bandwidth_gbps, 64 / (1000 + kRowHitNs));
  EXPECT_DOUBLE_EQ(s.refresh_share, 0.0);
}

TEST(HbmTrace, TwoInterleavedPseudoChannelsWorkSideBySide) {
  const TraceSummary s = play("0 R 0x0 32\n0 R 0x20 32\n", StackLayout::interleaved(2, 32, kChannelBytes));
  EXPECT_EQ(s.channels, 2u);
  EXPECT_DOUBLE_EQ(s.latency_max_ns, kIdleReadNs);  // each alone on its channel
  EXPECT_DOUBLE_EQ(s.bandwidth_gbps, 64 / kIdleReadNs);
  // One 64-byte request over both halves: split, both idle reads at once.
  EXPECT_DOUBLE_EQ(play("0 R 0x0 64\n", StackLayout::interleaved(2, 32, kChannelBytes)).latency_max_ns, kIdleReadNs);
}

TEST(HbmTrace, RefreshShareCountsTheWindowsInsideTheSpan) {
  // Windows of 200 ns at 3.9 and 7.8 us; the second read (a row the refresh closed) ends at 10 us + idle.
  const TraceSummary s = play("0 R 0x0 32\n10000 R 0x20 32\n", StackLayout::row_major(1, kChannelBytes));
  EXPECT_DOUBLE_EQ(s.latency_max_ns, kIdleReadNs);
  EXPECT_DOUBLE_EQ(s.refresh_share, 400 / (10000 + kIdleReadNs));
}

TEST(HbmTrace, P99IsTheNinetyNinthOfAHundredSortedLatencies) {
  std::string trace;  // one idle read, then 99 row hits a microsecond apart
  for (int i = 0; i < 100; ++i) trace += std::to_string(i * 1000) + " R 0x0 32\n";
  models::Hbm3PseudoChannelConfig no_refresh;
  no_refresh.refresh = false;
  const TraceSummary s = play(trace, StackLayout::row_major(1, kChannelBytes), no_refresh);
  EXPECT_DOUBLE_EQ(s.latency_p99_ns, kRowHitNs);  // the 99th of 100 sorted: a hit; the 100th, the idle read
  EXPECT_DOUBLE_EQ(s.latency_max_ns, kIdleReadNs);
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

// DRAMSys's am_hbm2_8Gb_pc_brc.json: stack bit 30, pseudo-channel bit 29, bank group 27-28, bank 25-26,
// row 10-24, column 5-9, burst 0-4.
const char* kDramSysBrc = R"({"addressmapping": {"STACK_BIT": [30], "PSEUDOCHANNEL_BIT": [29],
  "BANKGROUP_BIT": [27, 28], "BANK_BIT": [25, 26], "BURST_BIT": [0, 1, 2, 3, 4], "COLUMN_BIT": [5, 6, 7, 8, 9],
  "ROW_BIT": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]}})";

TEST(HbmTrace, DramSysMappingFilesPickChannelsAndBankBitsAboveTheRow) {
  const StackLayout layout = StackLayout::from_dramsys_file(temp_file("brc.json", kDramSysBrc), 32);
  EXPECT_EQ(layout.channels(), 4u);
  EXPECT_EQ(layout.address_bits(), "GGBBRRRRRRRRRRRRRRRCCCCC");
  EXPECT_EQ(layout.channel_of(uint64_t(1) << 30), 2u);
  EXPECT_EQ(layout.channel_of(uint64_t(1) << 29), 1u);
  EXPECT_EQ(layout.local_address((uint64_t(3) << 29) | 0x1234), 0x1234u);
  // Two reads to different bank groups of one pseudo-channel (bits 27, 28): both idle, side by side.
  TracePlayer player({}, layout);
  for (const TraceRequest& request : read_all("0 R 0x0 32\n0 R 0x8000000 32\n", TraceFormat::Timed)) player.play(request);
  EXPECT_DOUBLE_EQ(player.summary().latency_max_ns, kIdleReadNs + 4 * 0.625);  // the second ACT waits tRRD_S
  EXPECT_THROW(StackLayout::from_dramsys_file(temp_file("gap.json", R"({"ROW_BIT": [0, 2]})"), 32), std::invalid_argument);
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

TEST(HbmTrace, BadTracesGiveOneLineAndExit2) {
  const std::pair<const char*, const char*> cases[] = {
      {"0 R 0x0 32\nnonsense\n", "line 2: expected '<time ns> R|W <address> <bytes>'"},
      {"0 R 0x20000000 64\n", "line 1: address 0x20000000 + 64 bytes runs past the device's 536870912 bytes"},
      {"0 R 0x0 0\n", "line 1: zero length"}};
  for (const auto& [text, message] : cases) {
    const std::string path = temp_file("bad.txt", text);
    const Outcome outcome = run_cli({"hbm-trace", "--trace", path, "--format", "timed"});
    EXPECT_EQ(outcome.exit_code, kExitBadInput) << text;
    EXPECT_EQ(outcome.err, "aqpim: error: trace '" + path + "' " + message + "\n");
  }
}

TEST(HbmTrace, JsonSummaryOfAStlTrace) {
  const std::string trace = temp_file("t.stl", "0: read 0x0\n");
  const std::string json_path = temp_file("t.json", "");
  const Outcome outcome = run_cli({"hbm-trace", "--trace", trace, "--json", json_path, "--request-bytes", "32",
                                   "--set", "hbm.scheduler=bank_parallel"});
  ASSERT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  const nlohmann::json summary = nlohmann::json::parse(std::ifstream(json_path));
  EXPECT_EQ(summary["scheduler"], "bank_parallel");
  EXPECT_EQ(summary["requests"], 1);
  EXPECT_DOUBLE_EQ(summary["latency_ns"]["p99"].get<double>(), kIdleReadNs);
  EXPECT_NE(outcome.out.find("bandwidth"), std::string::npos);
}

}  // namespace
}  // namespace aqpim::apps
