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
// Every file appears whole or not at all (apps/atomic_file.h): a run or a sweep killed midway leaves no
// half-written result, and `aqpim sweep --resume DIR` runs again exactly the configurations without one.
//
// Grid syntax of one axis, KEY=ITEM[,ITEM...]: an ITEM is a value or a range A:B (step 1), A:B:+S
// (arithmetic) or A:B:xF (geometric), A and B included when reached, for integer and real parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
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
// `keep`, when given, selects the grid points (one value per axis) that become configurations: a subset of
// the grid, such as the designs of `aqpim compare` with a second AQPIM mapping.
using GridFilter = std::function<bool(const std::vector<std::string>& values)>;
SweepPlan make_sweep_plan(const std::vector<std::string>& config_files, const std::vector<std::string>& overrides,
                          const std::vector<SweepAxis>& axes, const GridFilter& keep = {});

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

// A sweep directory that cannot be read as one (no plan.json, or one that is not a sweep plan): bad input.
class SweepInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The plan and file layout of an existing sweep directory; throws SweepInputError.
std::pair<SweepPlan, SweepFiles> open_sweep_directory(const std::string& directory);

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

// Runs the configurations `indices` (at most options.jobs at a time), recording each one's files. A run that
// fails or is killed is recorded with its exit code (128 + signal when killed) and the others go on.
void run_sweep(const SweepPlan& plan, const SweepFiles& files, const SweepRunOptions& options,
               const std::vector<size_t>& indices);
std::vector<size_t> all_configurations(const SweepPlan& plan);

// Writes DIR/jobs.txt (one `aqpim run ... --json` line per configuration, recording its log and exit code)
// and, when `slurm`, DIR/sweep.slurm running line $SLURM_ARRAY_TASK_ID of it.
void emit_sweep_jobs(const SweepPlan& plan, const SweepFiles& files, const std::string& executable, bool slurm);

// The table of a sweep directory: {"columns": [...], "rows": [{column: value}...]}, one row per
// configuration in plan order, status "ok", "failed" or "not run". A result file that exists but cannot be
// read (an exit file without a code, a report that is not one) makes its row "failed" with the reason, and
// is listed in `unreadable`. Throws SweepInputError when the directory has no readable plan.
struct SweepTable {
  nlohmann::ordered_json table;
  std::vector<std::string> unreadable;  // "<file>: <what is wrong>"
};
SweepTable collect_sweep(const std::string& directory);
// Writes the table as DIR/<name>.csv and DIR/<name>.json; returns how many rows are not "ok".
size_t write_sweep_table(const nlohmann::ordered_json& table, const std::string& directory,
                         const std::string& name = "sweep");
// The configurations a resumed sweep runs again: every row without a result ("not run" or "failed").
std::vector<size_t> configurations_without_result(const nlohmann::ordered_json& table);

// One line on why a run failed: the error line it left in its log (the last "aqpim: error/failed" line),
// else, when a signal killed it (exit code 128 + signal), which signal, else the log's last line.
std::string run_failure(int exit_code, const std::string& log_path);

}  // namespace aqpim::apps
