// The `aqpim` binary run from a test: SystemC elaborates once per process, so tests that compare whole runs
// start the real command-line program once per run and read its JSON report.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace aqpim::test {

// `aqpim run ARGUMENTS --json FILE` with its output discarded; `name` keeps the reports of one test process
// apart. A failed run fails the calling test.
inline nlohmann::json run_report(const std::string& arguments, const std::string& name) {
  const std::string json_path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name + ".json";
  const std::string command =
      std::string(AQPIM_BINARY_DIR) + "/bin/aqpim run " + arguments + " --json " + json_path + " > /dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(json_path);
  return nlohmann::json::parse(in);
}

}  // namespace aqpim::test
