// `aqpim compare`: the same workload on every design (GPU with CPU offload, AttAcc-like fp16 PIM, AQPIM),
// each simulated in its own process through the sweep machinery, then speedups and the share of decode
// time spent on GPU<->CPU transfers. The paper's figures are printed beside ours for reference, never used.
#include <cstdio>
#include <iostream>
#include <thread>

#include "apps/cli_options.h"
#include "apps/sweep.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

const std::vector<std::string> kDesigns = {"gpu_offload", "attacc", "aqpim"};

double number(const nlohmann::ordered_json& row, const char* column) {
  const auto found = row.find(column);
  return found != row.end() && found->is_number() ? found->get<double>() : 0.0;
}

int run_compare(const po::variables_map& vm, const platform::PlatformParams& params) {
  const auto strings = [&](const char* name) {
    return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
  };
  const int64_t jobs = vm["jobs"].as<int64_t>();
  if (jobs < 1 || jobs > 1024) throw UsageError("--jobs: expected an integer in [1, 1024], got " + std::to_string(jobs));
  if (vm.count("set"))
    for (const auto& assignment : strings("set"))
      if (assignment.rfind("sim.design=", 0) == 0) throw UsageError("compare runs every sim.design: do not --set it");

  std::string designs;
  for (const auto& design : kDesigns) designs += (designs.empty() ? "" : ",") + design;
  const auto plan = apps::make_sweep_plan(strings("config"), strings("set"),
                                              {apps::parse_sweep_axis("sim.design=" + designs)});
  const std::string directory = vm["out"].as<std::string>();
  const auto files = apps::prepare_sweep_directory(plan, directory);
  apps::SweepRunOptions options;
  options.executable = this_executable();
  options.jobs = unsigned(jobs);
  options.on_event = [&](const apps::SweepProgress& event) {
    if (event.exit_code >= 0)
      std::cerr << "compare: " << kDesigns[event.index] << (event.exit_code == 0 ? " done" : " failed: " + event.error)
                << "\n";
  };
  apps::run_sweep(plan, files, options, apps::all_configurations(plan));
  const auto table = apps::collect_sweep(directory).table;
  const size_t not_ok = apps::write_sweep_table(table, directory);

  const auto& rows = table.at("rows");
  std::printf("Designs on one workload: %s, batch %lld, context %lld, %lld decode steps, %s mode\n\n",
              params.model.preset.c_str(), (long long)params.workload.batch, (long long)params.workload.context_tokens,
              (long long)params.workload.decode_steps, platform::to_string(params.sim.mode).c_str());
  std::printf("  %-12s %12s %12s %16s %14s %16s\n", "design", "total s", "prefill s", "decode ms/step",
              "GPU<->CPU %", "KV offloaded MiB");
  std::vector<double> per_step(kDesigns.size(), 0.0);
  for (size_t index = 0; index < rows.size(); ++index) {
    const auto& row = rows[index];
    if (row.value("status", "") != "ok") {
      std::printf("  %-12s failed: %s\n", kDesigns[index].c_str(), row.value("error", "").c_str());
      continue;
    }
    const double decode = number(row, "latency_s.decode");
    per_step[index] = number(row, "latency_s.decode_per_step");
    std::printf("  %-12s %12.3f %12.3f %16.3f %14.1f %16.2f\n", kDesigns[index].c_str(), number(row, "latency_s.total"),
                number(row, "latency_s.prefill"), per_step[index] * 1e3,
                decode > 0 ? 100.0 * number(row, "latency_s.decode_transfer") / decode : 0.0,
                number(row, "kv_bytes.offloaded") / double(1ull << 20));
  }
  const double aqpim = per_step[2];
  if (aqpim > 0) {
    std::printf("\nAQPIM decode speedup: %.2fx over attacc, %.2fx over gpu_offload", per_step[1] / aqpim,
                per_step[0] / aqpim);
    std::printf("  (paper, H100 + 4 HBM-PIM stacks, batch 16: 3.4x over AttAcc, 8.33x over the GPU at 32K;\n"
                "   GPU<->CPU traffic 90-98.5%% of decode over its configurations; docs/results.md has the differences)\n");
  }
  std::printf("\nPer-design reports: %s/runs/*.json; table: %s/sweep.csv\n", directory.c_str(), directory.c_str());
  return not_ok ? kExitFailure : kExitOk;
}

}  // namespace

Subcommand compare_subcommand() {
  return {"compare", "run every design (gpu_offload, attacc, aqpim) on one workload and print speedups",
          [](po::options_description& options) {
            options.add_options()("out,o", po::value<std::string>()->value_name("DIR")->default_value("compare"),
                                  "directory for the per-design reports and the table")(
                "jobs,j",
                po::value<int64_t>()->value_name("N")->default_value(
                    int64_t(std::max(1u, std::thread::hardware_concurrency()))),
                "designs simulated at a time");
          },
          run_compare};
}

}  // namespace aqpim::apps
