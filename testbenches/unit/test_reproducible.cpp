// Reproducible results: the same run twice gives bit-identical reports and timelines (wall time aside),
// and a sweep gives the same table and reports with one job or two. The runs cover the paths that share
// state across channels (the timing memo of 128 channels), functional data, every design and transfers
// split into parts (llama-2-7b's 5.9 GiB of offloaded KV per layer at 32K); the accuracy grid gives the same
// table on one thread or two.
#include <string>

#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

using nlohmann::json;

// A report's text without its wall time line: what must be identical byte for byte.
std::string without_wall_line(const std::string& report) {
  const size_t at = report.find("\"wall_seconds\"");
  if (at == std::string::npos) return report;
  return report.substr(0, report.rfind('\n', at)) + report.substr(report.find('\n', at));
}

class SameRunTwice : public ::testing::TestWithParam<const char*> {};

std::string run_name(const ::testing::TestParamInfo<const char*>& run) {
  static const char* const kNames[] = {"mistral_7b_aqpim", "tiny_functional", "llama_2_7b_attacc",
                                       "llama_2_7b_gpu_offload_split"};
  return kNames[run.index];
}

TEST_P(SameRunTwice, GivesBitIdenticalReportsAndTimelines) {
  const std::string out = fresh_directory("twice");
  std::string reports[2], traces[2];
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string name = out + "/" + std::to_string(attempt);
    const auto result = run_aqpim(std::string("run ") + GetParam() + " --json " + name + ".json --trace " + name + ".trace");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    reports[attempt] = read_file(name + ".json");
    traces[attempt] = read_file(name + ".trace");
  }
  EXPECT_EQ(without_wall_line(reports[0]), without_wall_line(reports[1]));
  EXPECT_NE(reports[0].find("\"wall_seconds\""), std::string::npos);
  EXPECT_EQ(traces[0], traces[1]);
}

INSTANTIATE_TEST_SUITE_P(
    Runs, SameRunTwice,
    ::testing::Values("--set workload.context_tokens=4096 --set workload.decode_steps=2",  // mistral-7b, 128 channels
                      "--set model.preset=tiny --set workload.context_tokens=512 --set workload.batch=2 "
                      "--set workload.decode_steps=2 --set sim.mode=functional",
                      "--set model.preset=llama-2-7b --set workload.context_tokens=4096 --set sim.design=attacc "
                      "--set workload.decode_steps=2",
                      "--set model.preset=llama-2-7b --set workload.context_tokens=32768 --set sim.design=gpu_offload "
                      "--set workload.decode_steps=2"),
    run_name);

TEST(Reproducible, ASweepGivesTheSameTableAndReportsWithOneOrTwoJobs) {
  const std::string grid = " --set model.preset=tiny --set workload.decode_steps=3 --vary workload.context_tokens=1024,4096"
                           " --vary sim.design=aqpim,attacc,gpu_offload --set pim.mapping=token --vary pim.placement=bank,bank_group";
  const std::string one = fresh_directory("jobs1"), two = fresh_directory("jobs2");
  ASSERT_EQ(run_aqpim("sweep" + grid + " --jobs 1 --out " + one).exit_code, 0);
  ASSERT_EQ(run_aqpim("sweep" + grid + " --jobs 2 --out " + two).exit_code, 0);
  EXPECT_EQ(without_wall_time(read_json(one + "/sweep.json")), without_wall_time(read_json(two + "/sweep.json")));
  for (int index = 0; index < 12; ++index) {
    char name[32];
    std::snprintf(name, sizeof name, "/runs/%04d.json", index);
    EXPECT_EQ(without_wall_line(read_file(one + name)), without_wall_line(read_file(two + name))) << name;
  }
}

// The accuracy grid evaluates on threads: one or two of them give the same table, wall time aside.
TEST(Reproducible, TheAccuracyGridGivesTheSameTableWithOneOrTwoThreads) {
  const std::string data = std::string(AQPIM_SOURCE_DIR) + "/data/realdata/";
  const std::string grid = "accuracy --grid --set data.segments=1 --set data.segment_tokens=64 --set data.model=" + data +
                           "stories260K.bin --set data.tokenizer=" + data + "tok512.bin --set data.calibration=" + data +
                           "wikitext2_test_head40k.txt";
  const std::string one = fresh_directory("threads1"), two = fresh_directory("threads2");
  ASSERT_EQ(run_aqpim(grid + " --jobs 1 --out " + one).exit_code, 0);
  ASSERT_EQ(run_aqpim(grid + " --jobs 2 --out " + two).exit_code, 0);
  const auto without_seconds = [](json table) {
    for (auto& row : table["rows"]) row.erase("seconds");
    return table;
  };
  const json first = read_json(one + "/accuracy.json");
  EXPECT_GT(first["rows"].size(), 100u);
  EXPECT_EQ(without_seconds(first), without_seconds(read_json(two + "/accuracy.json")));
  EXPECT_EQ(read_file(one + "/accuracy.md"), read_file(two + "/accuracy.md"));
}

}  // namespace
}  // namespace aqpim::test
