// The run matrix: every model preset x every design (AQPIM with both mappings) x contexts 4K, 32K and 128K x
// batch 1 and 16, timing only, 2 decode steps. Each configuration runs (exit 0, a report of the shape asked for) or is refused
// before simulating with one line that names the limit (exit 2); none fails inside the simulation (exit 1)
// or aborts. Labelled "matrix" (ctest -L matrix) so it runs apart from the quick suite.
#include <cctype>
#include <string>

#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

using nlohmann::json;

struct Cell {
  const char* preset;
  const char* design;
  const char* mapping;  // pim.mapping of the aqpim design (token or subvector)
};

// Whether `message` names a capacity: "holds N MiB" or "at most N GiB" (N a number).
bool names_a_limit(const std::string& message) {
  for (const std::string lead : {"holds ", "at most "}) {
    for (size_t at = message.find(lead); at != std::string::npos; at = message.find(lead, at + 1)) {
      size_t end = at + lead.size();
      while (end < message.size() && (std::isdigit(static_cast<unsigned char>(message[end])) || message[end] == '.')) ++end;
      if (end > at + lead.size() && (message.compare(end, 4, " MiB") == 0 || message.compare(end, 4, " GiB") == 0))
        return true;
    }
  }
  return false;
}

class RunMatrix : public ::testing::TestWithParam<Cell> {};

TEST_P(RunMatrix, EveryContextAndBatchRunsOrIsRefusedOnOneLineNamingTheLimit) {
  const std::string out = fresh_directory("matrix");
  for (const int context : {4096, 32768, 131072})
    for (const int batch : {1, 16}) {
      const std::string what = std::string(GetParam().preset) + " " + GetParam().design + " " + GetParam().mapping +
                               " context " + std::to_string(context) + " batch " + std::to_string(batch);
      const auto result = run_aqpim("run --set model.preset=" + std::string(GetParam().preset) +
                                    " --set sim.design=" + GetParam().design + " --set pim.mapping=" + GetParam().mapping +
                                    " --set workload.context_tokens=" + std::to_string(context) +
                                    " --set workload.batch=" + std::to_string(batch) +
                                    " --set workload.decode_steps=2 --json " + out + "/report.json");
      if (result.exit_code == 0) {
        const json report = read_json(out + "/report.json");
        const json& model = report["parameters"]["model"];
        // fp16 K and V of every layer, KV head and sequence, for the context and the 2 decoded tokens.
        const double kv_bytes = model["layers"].get<double>() * model["kv_heads"].get<double>() *
                                model["head_dim"].get<double>() * 2 * 2 * batch * (context + 2);
        EXPECT_EQ(report["kv_bytes"]["fp16"].get<double>(), kv_bytes) << what;
        EXPECT_EQ(report["design"], GetParam().design) << what;
        EXPECT_GT(report["latency_s"]["decode"].get<double>(), 0.0) << what;
        continue;
      }
      EXPECT_EQ(result.exit_code, 2) << what << ": " << result.err;
      EXPECT_TRUE(one_line_starting(result.err, "aqpim: error: ")) << what;
      EXPECT_TRUE(names_a_limit(result.err)) << what << ": " << result.err;
      EXPECT_EQ(result.out.find("Latency (simulated)"), std::string::npos) << what << ": refused after simulating";
    }
}

std::vector<Cell> every_preset_and_design() {
  std::vector<Cell> cells;
  for (const char* preset : {"mistral-7b", "llama-3-8b", "llama-3.2-3b", "llama-2-7b", "tiny"}) {
    for (const char* design : {"aqpim", "attacc", "gpu_offload"}) cells.push_back({preset, design, "token"});
    cells.push_back({preset, "aqpim", "subvector"});  // the paper's mapping
  }
  return cells;
}

INSTANTIATE_TEST_SUITE_P(Presets, RunMatrix, ::testing::ValuesIn(every_preset_and_design()),
                         [](const auto& cell) {
                           std::string name = std::string(cell.param.preset) + "_" + cell.param.design + "_" +
                                              cell.param.mapping;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace aqpim::test
