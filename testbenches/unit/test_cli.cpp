#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/cli_options.h"

namespace aqpim::apps {
namespace {

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

Outcome run_cli(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int code = dispatch(args);
  std::string out = ::testing::internal::GetCapturedStdout();
  return {code, out, ::testing::internal::GetCapturedStderr()};
}

TEST(Cli, NoCommandPrintsUsageAndExits2) {
  auto outcome = run_cli({});
  EXPECT_EQ(outcome.exit_code, kExitBadInput);
  EXPECT_NE(outcome.err.find("usage: aqpim <command>"), std::string::npos);
}

TEST(Cli, UnknownCommandExits2) {
  auto outcome = run_cli({"simulate"});
  EXPECT_EQ(outcome.exit_code, kExitBadInput);
  EXPECT_EQ(outcome.err.substr(0, outcome.err.find('\n')), "aqpim: error: unknown command 'simulate'");
}

TEST(Cli, UnknownOptionExits2WithOneLine) {
  auto outcome = run_cli({"run", "--bogus"});
  EXPECT_EQ(outcome.exit_code, kExitBadInput);
  EXPECT_EQ(outcome.err, "aqpim: error: unrecognised option '--bogus' (see 'aqpim run --help')\n");
}

TEST(Cli, StrayPositionalArgumentIsRejected) {
  auto outcome = run_cli({"params", "extra"});
  EXPECT_EQ(outcome.exit_code, kExitBadInput);
}

TEST(Cli, BadParameterExits2WithTheParameterError) {
  auto outcome = run_cli({"params", "--set", "pim.placement=rank"});
  EXPECT_EQ(outcome.exit_code, kExitBadInput);
  EXPECT_EQ(outcome.err,
            "aqpim: error: parameter 'pim.placement' in --set: expected one of bank, bank_group, got 'rank'\n");
}

TEST(Cli, EveryCommandHasHelp) {
  for (const auto& command : subcommands()) {
    auto outcome = run_cli({command.name, "--help"});
    EXPECT_EQ(outcome.exit_code, kExitOk) << command.name;
    EXPECT_NE(outcome.out.find("--set"), std::string::npos) << command.name;
  }
  EXPECT_EQ(run_cli({"--help"}).exit_code, kExitOk);
}

TEST(Cli, ParamsJsonIsAValidParameterFileWithOverridesApplied) {
  auto outcome = run_cli({"params", "--json", "--set", "pim.mapping=token", "--set", "pim.placement=bank_group"});
  ASSERT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  auto document = nlohmann::json::parse(outcome.out);
  EXPECT_EQ(document["pim"]["placement"], "bank_group");
  platform::ParamLoader loader;
  loader.add_json(document, "output");
  EXPECT_EQ(loader.resolve().pim.unit.placement, models::PimPlacement::bank_group);
}

TEST(Cli, ParamsListingShowsEveryKey) {
  auto outcome = run_cli({"params"});
  ASSERT_EQ(outcome.exit_code, kExitOk);
  platform::PlatformParams p;
  for (const auto& spec : platform::parameter_table(p))
    EXPECT_NE(outcome.out.find(spec.key), std::string::npos) << spec.key;
}

TEST(Cli, ExclusiveFormatsAreRejected) {
  EXPECT_EQ(run_cli({"params", "--markdown", "--json"}).exit_code, kExitBadInput);
}

}  // namespace
}  // namespace aqpim::apps
