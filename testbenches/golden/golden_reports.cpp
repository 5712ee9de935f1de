// Golden-reports regression: runs one `aqpim` command and compares its JSON result with the stored golden
// file, ignoring wall time (the only field that may differ between identical simulations). A refactoring
// must leave every golden file unchanged; a change that alters results on purpose regenerates them with
// scripts/golden-reports.sh --regenerate and says why in its commit.
//
// Usage: golden_reports AQPIM GOLDEN_FILE RESULT_NAME -- AQPIM_ARGS...
//   RESULT_NAME is the file the command writes inside its scratch folder (the folder replaces every
//   "@OUT@" in AQPIM_ARGS). With AQPIM_REGENERATE_GOLDEN=1 the result replaces the golden file.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kWallTime = "wall_seconds";

// Removes wall time wherever it appears: as a key of a run report, or as a column of a sweep table.
void strip_wall_time(json& node) {
  if (node.is_object()) {
    node.erase(kWallTime);
    if (node.contains("columns") && node["columns"].is_array()) {
      auto& columns = node["columns"];
      for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == kWallTime) columns.erase(i--);
    }
    for (auto& [key, value] : node.items()) strip_wall_time(value);
  } else if (node.is_array()) {
    for (auto& item : node) strip_wall_time(item);
  }
}

json load(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  json document = json::parse(in);
  strip_wall_time(document);
  return document;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

int run_command(const std::vector<std::string>& argv, const fs::path& log) {
  std::string command;
  for (const auto& arg : argv) command += shell_quote(arg) + " ";
  command += "> " + shell_quote(log.string()) + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::string(argv[4]) != "--") {
    std::cerr << "usage: golden_reports AQPIM GOLDEN_FILE RESULT_NAME -- AQPIM_ARGS...\n";
    return 2;
  }
  const std::string aqpim = argv[1];
  const fs::path golden = argv[2];
  const std::string result_name = argv[3];
  const fs::path scratch = fs::temp_directory_path() / ("aqpim_golden_" + golden.stem().string() + "_" +
                                                         std::to_string(getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);

  std::vector<std::string> command{aqpim};
  for (int i = 5; i < argc; ++i) {
    std::string arg = argv[i];
    for (size_t at; (at = arg.find("@OUT@")) != std::string::npos;) arg.replace(at, 5, scratch.string());
    command.push_back(arg);
  }
  const int exit_code = run_command(command, scratch / "log.txt");
  if (exit_code != 0) {
    std::ifstream log(scratch / "log.txt");
    std::cerr << "aqpim exited with " << exit_code << ":\n" << log.rdbuf();
    return 1;
  }
  json result = load(scratch / result_name);

  if (const char* regenerate = std::getenv("AQPIM_REGENERATE_GOLDEN"); regenerate && std::string(regenerate) == "1") {
    std::ofstream(golden) << result.dump(1) << "\n";
    std::cout << "regenerated " << golden << "\n";
    fs::remove_all(scratch);
    return 0;
  }
  if (!fs::exists(golden)) {
    std::cerr << golden << " does not exist: run scripts/golden-reports.sh --regenerate\n";
    return 1;
  }
  const json expected = load(golden);
  if (result == expected) {
    fs::remove_all(scratch);
    return 0;
  }
  // A JSON patch lists exactly the values that moved, with their paths.
  const json patch = json::diff(expected, result);
  std::cerr << "the report differs from " << golden << " in " << patch.size() << " place(s):\n";
  size_t shown = 0;
  for (const auto& change : patch) {
    if (shown++ == 20) {
      std::cerr << "  ...\n";
      break;
    }
    const std::string path = change["path"];
    std::cerr << "  " << change["op"].get<std::string>() << " " << path;
    if (change["op"] != "remove") {
      const json::json_pointer pointer(path);
      if (expected.contains(pointer)) std::cerr << ": golden " << expected.at(pointer).dump();
      std::cerr << ", now " << change["value"].dump();
    }
    std::cerr << "\n";
  }
  std::cerr << "if the change is intended: scripts/golden-reports.sh --regenerate, and say why in the commit\n";
  return 1;
}
