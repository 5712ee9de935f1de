// Runs the real `aqpim` binary from tests (SystemC elaborates once per process, and the sweep spawns
// processes itself), capturing its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace aqpim::test {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory per test under gtest's temp dir (tests may run in parallel under ctest -j).
inline std::string fresh_directory(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string path = ::testing::TempDir() + "aqpim-" + std::to_string(getpid()) + "-" + info->test_suite_name() +
                           "-" + info->name() + "-" + name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

// AddressSanitizer's note when an exception is thrown on a SystemC thread's own stack (it cannot tell that
// stack from the main one; google/sanitizers#189): three lines of the sanitizer runtime, not of the
// program, removed so that sanitizer builds check the program's output like any other build.
inline std::string without_sanitizer_notes(const std::string& text) {
  const char* const kNote[] = {"WARNING: ASan is ignoring requested __asan_handle_no_return",
                               "False positive error reports may follow",
                               "For details see https://github.com/google/sanitizers/issues/189"};
  std::string kept;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool note = false;
    for (const char* part : kNote) note = note || line.find(part) != std::string::npos;
    if (!note) kept += line + (lines.eof() ? "" : "\n");
  }
  return kept;
}

// Runs `program` with `arguments` (shell text) under `environment` (a prefix of the command), capturing its
// output. A program killed by a signal shows as the shell reports it: exit code 128 + signal.
inline CommandResult run_program(const std::string& program, const std::string& arguments,
                                 const std::string& environment = "") {
  const std::string base = fresh_directory("command");
  const std::string out = base + "/stdout", err = base + "/stderr";
  const std::string command = environment + " " + program + " " + arguments + " > " + out + " 2> " + err;
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out);
  result.err = without_sanitizer_notes(read_file(err));
  return result;
}

// `arguments` is appended to the binary's path as shell text; `environment` prefixes the command.
inline CommandResult run_aqpim(const std::string& arguments, const std::string& environment = "") {
  return run_program(std::string(AQPIM_BINARY_DIR) + "/bin/aqpim", arguments, environment);
}

// True when `text` is exactly one line (ending in a line break) that starts with `prefix`.
inline ::testing::AssertionResult one_line_starting(const std::string& text, const std::string& prefix) {
  if (text.rfind(prefix, 0) != 0) return ::testing::AssertionFailure() << "does not start with '" << prefix << "': " << text;
  if (text.empty() || text.back() != '\n' || text.find('\n') != text.size() - 1)
    return ::testing::AssertionFailure() << "not exactly one line: " << text;
  return ::testing::AssertionSuccess();
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

// A sweep table or a run report without what differs between two runs of the same configuration: the
// host's wall time.
inline nlohmann::json without_wall_time(nlohmann::json document) {
  if (document.contains("rows"))
    for (auto& row : document["rows"]) row.erase("wall_seconds");
  document.erase("wall_seconds");
  return document;
}

// A small, fast workload: the tiny model on one PIM stack.
inline const char* kSmallRun =
    "--set model.preset=tiny --set hbm.pim_stacks=1 --set workload.context_tokens=512 --set workload.decode_steps=3 "
    "--set workload.batch=2";

}  // namespace aqpim::test
