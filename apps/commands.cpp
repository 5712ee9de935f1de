// The subcommands of `aqpim`. Each one is a thin shell over a library call so the same work is reachable
// from someone else's program or test.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "apps/atomic_file.h"
#include "apps/cli_options.h"
#include "models/pim_opcodes.h"
#include "platform/platform_summary.h"
#include "platform/simulation.h"
#include "apps/trace_writer.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

int run_params(const po::variables_map& vm, const platform::PlatformParams& params) {
  if (vm.count("markdown") && vm.count("json")) throw UsageError("--markdown and --json are exclusive");
  if (vm.count("markdown")) {
    std::cout << platform::to_markdown_reference(params);
  } else if (vm.count("json")) {
    std::cout << platform::to_json(params).dump(2) << "\n";
  } else {
    platform::PlatformParams copy = params;
    for (const auto& spec : platform::parameter_table(copy)) {
      std::cout << std::left << std::setw(30) << spec.key << " = " << std::setw(12) << platform::current_value(spec)
                << " " << spec.doc << (spec.unit.empty() ? "" : " [" + spec.unit + "]") << " Accepts "
                << platform::accepted_values(spec) << ".\n";
    }
  }
  return kExitOk;
}

int run_run(const po::variables_map& vm, const platform::PlatformParams& params) {
  // Open the output first: a bad path should fail before minutes of simulation, not after. The report
  // appears whole at the end (a killed run leaves none: a sweep then knows it has no result).
  std::unique_ptr<AtomicFile> json_out;
  if (vm.count("json")) {
    try {
      json_out = std::make_unique<AtomicFile>(vm["json"].as<std::string>());
    } catch (const std::runtime_error& error) {
      throw UsageError(std::string("--json: ") + error.what());
    }
  }
  std::unique_ptr<apps::TraceWriter> trace;
  if (vm.count("trace")) {
    const int64_t limit = vm["trace-limit"].as<int64_t>();
    if (limit < 1) throw UsageError("--trace-limit: expected an integer >= 1, got " + std::to_string(limit));
    try {
      trace = std::make_unique<apps::TraceWriter>(vm["trace"].as<std::string>(), uint64_t(limit));
    } catch (const std::runtime_error& error) {
      throw UsageError(error.what());
    }
  }
  std::cout << platform::format_summary(platform::summarize(params)) << "\n" << std::flush;
  const auto report = platform::run_simulation(params, trace.get());
  if (trace) trace->finish();
  std::cout << platform::format_report(report);
  if (json_out) {
    const std::string text = platform::report_json(report).dump(2) + "\n";
    json_out->commit(&text);
  }
  return kExitOk;
}

int run_pim_reference(const po::variables_map&, const platform::PlatformParams&) {
  std::cout << models::pim::pim_reference_markdown();
  return kExitOk;
}

}  // namespace

// In their own files: they never simulate in this process.
Subcommand sweep_subcommand();
Subcommand plot_subcommand();
Subcommand compare_subcommand();
Subcommand accuracy_subcommand();
Subcommand hbm_trace_subcommand();

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> commands = {
      {"run", "simulate the configured platform and workload and print the report",
       [](po::options_description& options) {
         options.add_options()("json", po::value<std::string>()->value_name("FILE"), "also write the report as JSON")(
             "trace", po::value<std::string>()->value_name("FILE"),
             "write a Chrome/Perfetto timeline (trace-event JSON; open in ui.perfetto.dev)")(
             "trace-limit", po::value<int64_t>()->value_name("N")->default_value(int64_t(apps::TraceWriter::kDefaultLimit)),
             "stop recording the timeline after N events");
       },
       run_run},
      {"params", "print the effective parameters with their documentation",
       [](po::options_description& options) {
         options.add_options()("markdown", "print the parameter reference as Markdown (docs/parameters.md)")(
             "json", "print the effective parameters as a JSON parameter file");
       },
       run_params},
      {"pim-reference", "print the PIM unit's registers, windows and opcodes as Markdown (docs/models-pim.md)",
       [](po::options_description&) {}, run_pim_reference},
      sweep_subcommand(),
      plot_subcommand(),
      compare_subcommand(),
      accuracy_subcommand(),
      hbm_trace_subcommand(),
  };
  return commands;
}

}  // namespace aqpim::apps
