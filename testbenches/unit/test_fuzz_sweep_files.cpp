// Fuzzed sweep results: corrupted copies of a real sweep's files (its plan, a run's report, exit code and
// log) under `aqpim sweep --collect`, and of its table under `aqpim plot`. Collecting gives a table (exit
// 0, or 1 when a run now reads as failed) or refuses the input with exactly one line and exit 2; plotting
// composes a plot or refuses the table with a one-line PlotError (exit 2 on the command line).
#include <filesystem>
#include <string>
#include <vector>

#include "apps/cli_options.h"
#include "apps/plot.h"
#include "harness/fuzz.h"
#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

namespace fs = std::filesystem;

// A finished four-configuration sweep, made once per process by the real binary.
const std::string& pristine_sweep() {
  static const std::string directory = [] {
    const std::string out = fresh_directory("pristine");
    const auto result = run_aqpim("sweep " + std::string(kSmallRun) + " --vary workload.context_tokens=256,512 " +
                                  "--set pim.mapping=token --vary pim.placement=bank,bank_group --jobs 2 --out " + out);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return out;
  }();
  return directory;
}

FuzzVerdict judge_cli(int exit_code, const std::string& err) {
  if ((exit_code == apps::kExitOk || exit_code == apps::kExitFailure) && err.empty())
    return passed(exit_code == 0 ? "collected" : "collected, a run failed");
  if (exit_code == apps::kExitBadInput && one_line_starting(err, "aqpim: error: ")) return passed("refused");
  return failed("exit " + std::to_string(exit_code) + ", stderr '" + err + "'");
}

TEST(FuzzSweepFiles, CollectReadsOrRefusesEveryCorruption) {
  const std::string source = pristine_sweep(), work = fresh_directory("work");
  const std::vector<std::string> targets = {"plan.json", "runs/0000.json", "runs/0001.exit", "runs/0000.log"};
  run_fuzz("sweep --collect", 41, 800, [&](FuzzRandom& random, size_t) {
    fs::remove_all(work);
    fs::copy(source, work, fs::copy_options::recursive);
    const std::string target = targets[random() % targets.size()];
    const Corruption corruption = corrupt(random, read_file(source + "/" + target));
    std::ofstream(work + "/" + target, std::ios::binary | std::ios::trunc) << corruption.bytes;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int exit_code = apps::dispatch({"sweep", "--collect", work});
    ::testing::internal::GetCapturedStdout();
    FuzzVerdict verdict = judge_cli(exit_code, ::testing::internal::GetCapturedStderr());
    verdict.text = target + " " + corruption.kind + ": " + verdict.text;
    return verdict;
  });
}

TEST(FuzzSweepFiles, PlotComposesOrRefusesEveryCorruptedTable) {
  const std::string table = read_file(pristine_sweep() + "/sweep.json"), work = fresh_directory("plot");
  apps::PlotRequest line;
  line.input = work + "/sweep.json";
  line.x = "workload.context_tokens";
  line.y = {"latency_s.decode_per_step"};
  line.series = "pim.placement";
  apps::PlotRequest breakdown = line;
  breakdown.kind = apps::PlotRequest::Kind::breakdown;
  fuzz_file_corruptions("plot input", 42, 2000, table, line.input, [&] {
    try {
      apps::compose_plot(line, work, work + "/line.png");
      apps::compose_plot(breakdown, work, work + "/bars.png");
      return passed("plotted");
    } catch (const apps::PlotError& error) {
      const std::string message = error.what();
      return message.find('\n') == std::string::npos ? passed("refused") : failed("two lines: " + message);
    } catch (const std::exception& error) {
      return failed(std::string("not a PlotError: ") + error.what());
    }
  });
}

TEST(FuzzSweepFiles, ACutTableIsOneLineAndExit2OnTheCommandLine) {
  const std::string work = fresh_directory("plot"), table = read_file(pristine_sweep() + "/sweep.json");
  std::ofstream(work + "/sweep.json") << table.substr(0, table.size() / 3);
  const auto result = run_aqpim("plot --input " + work + "/sweep.json --x workload.context_tokens --y "
                                "latency_s.total --output " + work + "/x.png");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line_starting(result.err, "aqpim: error: --input '" + work + "/sweep.json' is not valid JSON"));
  EXPECT_FALSE(fs::exists(work + "/x.png"));
}

}  // namespace
}  // namespace aqpim::test
