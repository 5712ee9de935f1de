// Parameter sweeps: a grid over any parameters of the table in params.h, each configuration simulated by
// its own `aqpim run` process (SystemC elaborates once per process), gathered into one table with one row
// per configuration. The same directory layout serves a local run and a cluster run, so both end in
// collect_sweep() and give the same table:
//
//   DIR/plan.json            the grid: base parameters, axes, every configuration's values
//   DIR/runs/NNNN.json       the run's report (platform::report_json)       DIR/jobs.txt    one shell line per run
//   DIR/runs/NNNN.log        its stdout and stderr                DIR/sweep.slurm Slurm array over jobs.txt
//   DIR/runs/NNNN.exit       its exit code
//   DIR/sweep.csv, DIR/sweep.json   the table
//
// Grid syntax of one axis, KEY=ITEM[,ITEM...]: an ITEM is a value or a range A:B (step 1), A:B:+S
// (arithmetic) or A:B:xF (geometric), A and B included when reached, for integer and real parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/params.h"

namespace aqpim::apps {

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;  // as typed on the command line after expansion
};

// Parses "KEY=ITEM,..." and expands its ranges; throws platform::ParamError naming the key and what it accepts.
SweepAxis parse_sweep_axis(const std::string& key_equals_items);

struct SweepPlan {
  std::vector<std::string> config_files;  // --config, absolute, applied to every configuration
  std::vector<std::string> overrides;     // --set KEY=VALUE, applied to every configuration, before the axes
  std::vector<SweepAxis> axes;
  struct Configuration {
    std::vector<std::string> values;  // one per axis
    nlohmann::json typed;             // axis key -> the resolved value (number, string, bool)
  };
  std::vector<Configuration> configurations;  // the last axis varies fastest

  // The arguments of `aqpim run` for one configuration, without the program name and --json.
  std::vector<std::string> run_arguments(size_t index) const;
  nlohmann::json to_json() const;
  static SweepPlan from_json(const nlohmann::json& document);  // throws std::runtime_error
};

// Expands the grid and resolves every configuration's parameters, so nothing runs unless all of them are
// valid; throws platform::ParamError (one line naming the key, or the configuration and the rule it breaks).
SweepPlan make_sweep_plan(const std::vector<std::string>& config_files, const std::vector<std::string>& overrides,
                          const std::vector<SweepAxis>& axes);

constexpr size_t kMaxSweepConfigurations = 100000;

// Per-configuration files of a sweep directory (see the layout above).
struct SweepFiles {
  std::string directory;
  size_t configurations = 0;
  std::string run_file(size_t index, const std::string& extension) const;  // DIR/runs/NNNN.<extension>
  std::string file(const std::string& name) const;                         // DIR/<name>
};

// Writes DIR/plan.json and empties DIR/runs of an earlier sweep's files; throws std::runtime_error.
SweepFiles prepare_sweep_directory(const SweepPlan& plan, const std::string& directory);

struct SweepProgress {
  size_t index;      // configuration
  int exit_code;
  std::string error;  // the run's error line, empty on success
  double wall_s;
};

struct SweepRunOptions {
  std::string executable;  // the aqpim binary
  unsigned jobs = 1;       // concurrent processes
  // Called in the sweeping thread when a configuration has started (exit_code < 0) or finished.
  std::function<void(const SweepProgress&)> on_event;
};

// Runs every configuration (at most options.jobs at a time), recording each one's files.
void run_sweep(const SweepPlan& plan, const SweepFiles& files, const SweepRunOptions& options);

// Writes DIR/jobs.txt (one `aqpim run ... --json` line per configuration, recording its log and exit code)
// and, when `slurm`, DIR/sweep.slurm running line $SLURM_ARRAY_TASK_ID of it.
void emit_sweep_jobs(const SweepPlan& plan, const SweepFiles& files, const std::string& executable, bool slurm);

// The table of a sweep directory: {"columns": [...], "rows": [{column: value}...]}, one row per
// configuration in plan order, status "ok", "failed" or "not run". Throws std::runtime_error.
nlohmann::ordered_json collect_sweep(const std::string& directory);
// Writes the table as DIR/<name>.csv and DIR/<name>.json; returns how many rows are not "ok".
size_t write_sweep_table(const nlohmann::ordered_json& table, const std::string& directory,
                         const std::string& name = "sweep");

// The error line a failed run left in its log (the last "aqpim: error/failed" line, else the last line).
std::string run_error_line(const std::string& log_path);

}  // namespace aqpim::apps
