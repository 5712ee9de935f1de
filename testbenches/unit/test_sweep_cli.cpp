// `aqpim sweep` end to end: one row per configuration, validation before anything runs, failing runs
// recorded, and a cluster-style run (--emit-jobs, then --collect) giving the same table as a local one.
#include <algorithm>
#include <filesystem>

#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kGrid =
    " --set pim.mapping=token --vary workload.context_tokens=256:512:x2 --vary pim.placement=bank,bank_group ";

size_t count_lines(const std::string& text) { return size_t(std::count(text.begin(), text.end(), '\n')); }

TEST(SweepCli, OneRowPerConfigurationInCsvAndJson) {
  const std::string out = fresh_directory("sweep");
  const auto result = run_aqpim("sweep " + std::string(kSmallRun) + kGrid + "--jobs 2 --out " + out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json table = read_json(out + "/sweep.json");
  ASSERT_EQ(table["rows"].size(), 4u);
  const std::string csv = read_file(out + "/sweep.csv");
  EXPECT_EQ(count_lines(csv), 1u + 4u);  // header + rows
  EXPECT_EQ(csv.substr(0, csv.find('\n')).rfind("config,workload.context_tokens,pim.placement,status,exit_code,", 0), 0u);
  // Not a terminal: one plain line per finished run.
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1 + 4) << result.err;

  const std::vector<std::pair<int, std::string>> expected = {{256, "bank"}, {256, "bank_group"}, {512, "bank"}, {512, "bank_group"}};
  for (size_t index = 0; index < expected.size(); ++index) {
    const json& row = table["rows"][index];
    EXPECT_EQ(row["config"], index);
    EXPECT_EQ(row["workload.context_tokens"], expected[index].first);
    EXPECT_EQ(row["pim.placement"], expected[index].second);
    EXPECT_EQ(row["status"], "ok");
    EXPECT_EQ(row["exit_code"], 0);
    // The row carries the run's own report, which says it ran with the row's parameters.
    char name[32];
    std::snprintf(name, sizeof name, "/runs/%04zu.json", index);
    const json report = read_json(out + name);
    EXPECT_EQ(report["parameters"]["workload"]["context_tokens"], expected[index].first);
    EXPECT_EQ(report["parameters"]["pim"]["placement"], expected[index].second);
    EXPECT_EQ(row["latency_s.total"], report["latency_s"]["total"]);
    EXPECT_EQ(row["kv_bytes.fits"], report["kv_bytes"]["fits"]);
    EXPECT_DOUBLE_EQ(row["latency_s.decode_per_step"].get<double>(), report["latency_s"]["decode"].get<double>() / 3);
    for (const auto& [phase, seconds] : report["latency_s"]["phases"].items())
      EXPECT_EQ(row["latency_s.phases." + phase], seconds) << phase;
    EXPECT_TRUE(row["error"].is_null());
  }
}

TEST(SweepCli, UnknownParameterIsRejectedBeforeAnythingRuns) {
  const std::string out = fresh_directory("sweep") + "/never";
  const auto result =
      run_aqpim("sweep " + std::string(kSmallRun) + " --vary workload.context_tokns=256,512 --out " + out);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "aqpim: error: unknown parameter 'workload.context_tokns' in --vary (did you mean "
            "'workload.context_tokens'?); 'aqpim params' lists them all\n");
  EXPECT_FALSE(fs::exists(out));
  const auto bad_value = run_aqpim("sweep --vary pim.placement=bank,rank --out " + out);
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_EQ(bad_value.err, "aqpim: error: parameter 'pim.placement' in --vary: expected one of bank, bank_group, got 'rank'\n");
  EXPECT_FALSE(fs::exists(out));
}

TEST(SweepCli, AFailingConfigurationIsRecordedAndTheSweepGoesOn) {
  const std::string out = fresh_directory("sweep");
  // Valid as a parameter, refused by the platform when it is built: the run itself fails with exit 2.
  const auto result = run_aqpim("sweep " + std::string(kSmallRun) + " --vary hbm.pim_stacks=0,1 --jobs 1 --out " + out);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const json rows = read_json(out + "/sweep.json")["rows"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_EQ(rows[0]["exit_code"], 2);
  const std::string error = rows[0]["error"].get<std::string>();
  EXPECT_EQ(error.rfind("aqpim: error: 'hbm.pim_stacks' (0)", 0), 0u) << error;
  EXPECT_TRUE(rows[0]["latency_s.total"].is_null());
  EXPECT_EQ(rows[1]["status"], "ok");
  EXPECT_GT(rows[1]["latency_s.total"].get<double>(), 0.0);
  EXPECT_NE(result.err.find("config 0 (hbm.pim_stacks=0) failed, exit 2: " + error), std::string::npos) << result.err;
}

TEST(SweepCli, EmittedJobsCollectIntoTheSameTableAsALocalRun) {
  const std::string local = fresh_directory("local"), cluster = fresh_directory("cluster");
  ASSERT_EQ(run_aqpim("sweep " + std::string(kSmallRun) + kGrid + "--out " + local).exit_code, 0);

  const auto emitted = run_aqpim("sweep " + std::string(kSmallRun) + kGrid + "--emit-jobs slurm,parallel --out " + cluster);
  ASSERT_EQ(emitted.exit_code, 0) << emitted.err;
  EXPECT_FALSE(fs::exists(cluster + "/runs/0000.json"));  // nothing ran
  const std::string jobs = read_file(cluster + "/jobs.txt");
  ASSERT_EQ(count_lines(jobs), 4u);
  std::istringstream lines(jobs);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_NE(line.find("/bin/aqpim' 'run' "), std::string::npos) << line;
    EXPECT_NE(line.find(" --json "), std::string::npos) << line;
  }
  const std::string slurm = read_file(cluster + "/sweep.slurm");
  EXPECT_NE(slurm.find("#SBATCH --array=1-4\n"), std::string::npos) << slurm;
  EXPECT_NE(slurm.find("jobs.txt"), std::string::npos);

  // Before any job ran, the table says so.
  EXPECT_EQ(run_aqpim("sweep --collect " + cluster).exit_code, 1);
  EXPECT_EQ(read_json(cluster + "/sweep.json")["rows"][0]["status"], "not run");

  // What a cluster does: each line on its own.
  ASSERT_EQ(std::system(("sh " + cluster + "/jobs.txt").c_str()), 0);
  const auto collected = run_aqpim("sweep --collect " + cluster);
  ASSERT_EQ(collected.exit_code, 0) << collected.err;
  EXPECT_EQ(without_wall_time(read_json(cluster + "/sweep.json")), without_wall_time(read_json(local + "/sweep.json")));
  const std::string header = read_file(local + "/sweep.csv");
  EXPECT_EQ(read_file(cluster + "/sweep.csv").substr(0, header.find('\n')), header.substr(0, header.find('\n')));
}

TEST(SweepCli, OptionErrorsExit2) {
  const std::string out = fresh_directory("sweep");
  EXPECT_EQ(run_aqpim("sweep --out " + out).err,
            "aqpim: error: sweep: give at least one --vary KEY=VALUES (or --collect DIR, --resume DIR)\n");
  EXPECT_EQ(run_aqpim("sweep --vary workload.batch=1,2 --jobs 0 --out " + out).exit_code, 2);
  EXPECT_EQ(run_aqpim("sweep --vary workload.batch=1,2 --emit-jobs pbs --out " + out).exit_code, 2);
  const auto collect = run_aqpim("sweep --collect " + out + "/missing");
  EXPECT_EQ(collect.exit_code, 2);  // bad input: no sweep there
  EXPECT_NE(collect.err.find("not a sweep directory"), std::string::npos) << collect.err;
}

}  // namespace
}  // namespace aqpim::test
