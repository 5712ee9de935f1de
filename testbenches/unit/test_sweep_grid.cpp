// The sweep's grid: range syntax, validation before anything runs, and the order of configurations.
#include <gtest/gtest.h>

#include "apps/sweep.h"

namespace aqpim::apps {
namespace {

using Values = std::vector<std::string>;

TEST(SweepGrid, ListsAndRangesExpand) {
  EXPECT_EQ(parse_sweep_axis("pim.placement=bank,bank_group").values, (Values{"bank", "bank_group"}));
  EXPECT_EQ(parse_sweep_axis("workload.context_tokens=4096:32768:x2").values,
            (Values{"4096", "8192", "16384", "32768"}));
  EXPECT_EQ(parse_sweep_axis("workload.decode_steps=1:5:+1").values, (Values{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(parse_sweep_axis("workload.decode_steps=1:4").values, (Values{"1", "2", "3", "4"}));
  // The end is included only when reached.
  EXPECT_EQ(parse_sweep_axis("workload.decode_steps=1:10:+4").values, (Values{"1", "5", "9"}));
  EXPECT_EQ(parse_sweep_axis("workload.context_tokens=1000:5000:x3").values, (Values{"1000", "3000"}));
  // Items mix, in the order given.
  EXPECT_EQ(parse_sweep_axis("workload.batch=1,4:16:x2,3").values, (Values{"1", "4", "8", "16", "3"}));
  // Real ranges keep their end point despite rounding.
  EXPECT_EQ(parse_sweep_axis("gpu.compute_efficiency=0.2:1:+0.2").values, (Values{"0.2", "0.4", "0.6", "0.8", "1"}));
  // A fractional factor on integers still progresses.
  EXPECT_EQ(parse_sweep_axis("workload.batch=1:4:x1.2").values, (Values{"1", "2", "3", "4"}));
}

TEST(SweepGrid, BadAxesAreRejectedWithOneLineNamingTheKey) {
  const auto message = [](const std::string& text) {
    try {
      parse_sweep_axis(text);
    } catch (const platform::ParamError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("workload.context_tokns=1,2"),
            "unknown parameter 'workload.context_tokns' in --vary (did you mean 'workload.context_tokens'?); "
            "'aqpim params' lists them all");
  EXPECT_NE(message("pim.placement=a:b").find("a range needs a numeric parameter; 'pim.placement' accepts one of bank, "
                                              "bank_group"),
            std::string::npos);
  for (const char* range : {"workload.batch=8:1", "workload.batch=1:8:x1", "workload.batch=1:8:+0", "workload.batch=1:8:y2",
                            "workload.batch=1:2:3:4"})
    EXPECT_NE(message(range).find("must be A:B (step 1), A:B:+S (S > 0) or A:B:xF (F > 1) with A <= B"), std::string::npos)
        << range;
  EXPECT_NE(message("workload.batch=1.5:4").find("has a fraction"), std::string::npos);
  EXPECT_NE(message("workload.batch=1,,2").find("empty value"), std::string::npos);
  EXPECT_NE(message("workload.batch").find("expected KEY=VALUES"), std::string::npos);
}

TEST(SweepGrid, PlanIsTheCartesianProductLastAxisFastest) {
  const auto plan = make_sweep_plan({}, {"model.preset=tiny", "pim.mapping=token"},
                                    {parse_sweep_axis("workload.context_tokens=1024:4096:x2"),
                                     parse_sweep_axis("pim.placement=bank,bank_group")});
  ASSERT_EQ(plan.configurations.size(), 3u * 2u);
  for (size_t index = 0; index < plan.configurations.size(); ++index) {
    const auto& configuration = plan.configurations[index];
    EXPECT_EQ(configuration.values[0], plan.axes[0].values[index / 2]);
    EXPECT_EQ(configuration.values[1], plan.axes[1].values[index % 2]);
    // Typed as the parameter is, for the table.
    EXPECT_EQ(configuration.typed["workload.context_tokens"], std::stoll(configuration.values[0]));
    EXPECT_EQ(configuration.typed["pim.placement"], configuration.values[1]);
  }
  const auto arguments = plan.run_arguments(3);
  const std::vector<std::string> expected = {"run",
                                             "--set",
                                             "model.preset=tiny",
                                             "--set",
                                             "pim.mapping=token",
                                             "--set",
                                             "workload.context_tokens=2048",
                                             "--set",
                                             "pim.placement=bank_group"};
  EXPECT_EQ(arguments, expected);
  // The plan file round-trips, so --collect sees the grid the sweep ran.
  const auto copy = SweepPlan::from_json(plan.to_json());
  EXPECT_EQ(copy.to_json(), plan.to_json());
}

TEST(SweepGrid, EveryConfigurationIsValidatedBeforeRunning) {
  const auto message = [](const std::vector<std::string>& overrides, const std::vector<std::string>& axes) {
    std::vector<SweepAxis> parsed;
    try {
      for (const auto& axis : axes) parsed.push_back(parse_sweep_axis(axis));
      make_sweep_plan({}, overrides, parsed);
    } catch (const platform::ParamError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({}, {"pim.placement=bank,rank"}),
            "parameter 'pim.placement' in --vary: expected one of bank, bank_group, got 'rank'");
  EXPECT_EQ(message({}, {"pq.sub_vectors=3,32"}),
            "--vary pq.sub_vectors=3: 'pq.sub_vectors' (3) must divide 'model.head_dim' (128)");
  EXPECT_EQ(message({}, {"workload.batch=1,2", "workload.batch=3"}), "--vary: parameter 'workload.batch' is varied twice");
  EXPECT_EQ(message({}, {"workload.batch=2,2"}), "--vary 'workload.batch=2': value listed twice");
  // Valid alone, invalid together: the configuration is named.
  EXPECT_EQ(message({"pq.centroids=256"}, {"pq.centroids=256,512", "pq.window_centroids=512,256"}),
            "configuration pq.centroids=512 pq.window_centroids=256: 'pq.window_centroids' (256) is below "
            "'pq.centroids' (512) but pq.windowed_clustering is off");
}

TEST(SweepGrid, HugeGridsAreRefused) {
  std::vector<SweepAxis> axes = {parse_sweep_axis("workload.seed=1:1000"), parse_sweep_axis("workload.decode_steps=1:1000")};
  try {
    make_sweep_plan({}, {}, axes);
    FAIL() << "no error";
  } catch (const platform::ParamError& error) {
    EXPECT_NE(std::string(error.what()).find("more than " + std::to_string(kMaxSweepConfigurations)), std::string::npos);
  }
}

}  // namespace
}  // namespace aqpim::apps
