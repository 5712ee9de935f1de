// Errors inside a simulation reach the command line as one line and exit 1: a SystemC error or fatal
// report, an exception thrown in a thread or a method process, a model's failed invariant check and a real
// model's elaboration check. Each kind runs in its own process (the probe, on the aqpim binary's entry
// path), which must exit normally: an abort or a core dump shows as exit code 128 + signal.
#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

CommandResult probe(const std::string& kind) { return run_program(AQPIM_SIM_ERROR_PROBE, kind); }

TEST(SimulationErrors, ACleanSimulationExitsZeroAndPrintsNothing) {
  const auto result = probe("clean");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
}

struct Expected {
  const char* kind;
  const char* message;  // a part of the one line that must be there
};

class EveryErrorKind : public ::testing::TestWithParam<Expected> {};

TEST_P(EveryErrorKind, IsOneLineAndExitCodeOne) {
  const auto result = probe(GetParam().kind);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_TRUE(one_line_starting(result.err, "aqpim: failed: simulation error"));
  EXPECT_NE(result.err.find(GetParam().message), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    Probe, EveryErrorKind,
    ::testing::Values(Expected{"report_error", "probe/model: a model reported an error"},
                      Expected{"report_fatal", "probe/model: a model reported a fatal error"},
                      Expected{"thread_exception", "a thread threw"},
                      Expected{"method_exception", "a method threw"},
                      Expected{"invariant", "pim::BankStreams: more than 4 streams in one command"},
                      Expected{"router_elaboration", "route 'missing' names target 3 but only 1 are bound"}),
    [](const auto& test_case) { return std::string(test_case.param.kind); });

}  // namespace
}  // namespace aqpim::test
