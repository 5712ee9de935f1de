// `aqpim sweep`: a grid of `aqpim run` processes (see apps/sweep.h), with a progress bar on a terminal
// and one line per finished run otherwise (logs, CI).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <limits.h>
#include <thread>

#include "apps/cli_options.h"
#include "apps/sweep.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

std::string clock_text(double seconds) {
  const long total = long(seconds + 0.5);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
  return text;
}

std::string describe(const apps::SweepPlan& plan, size_t index) {
  std::string text;
  for (size_t axis = 0; axis < plan.axes.size(); ++axis)
    text += (axis ? " " : "") + plan.axes[axis].key + "=" + plan.configurations[index].values[axis];
  return text;
}

// Reports runs as they start and finish: a redrawn bar on a terminal, a plain line per run otherwise.
class Progress {
 public:
  Progress(const apps::SweepPlan& plan, size_t total, bool terminal)
      : plan_(plan), total_(total), terminal_(terminal), start_(std::chrono::steady_clock::now()) {}

  void operator()(const apps::SweepProgress& event) {
    if (event.exit_code < 0) {
      ++running_;
    } else {
      --running_, ++done_;
      if (event.exit_code != 0) ++failed_;
      report(event);
    }
    if (terminal_) draw();
  }

  void finish() {
    if (terminal_) std::cerr << "\n";
  }

 private:
  void report(const apps::SweepProgress& event) {
    const std::string name = "config " + std::to_string(event.index) + " (" + describe(plan_, event.index) + ")";
    if (terminal_) {
      // Only failures scroll above the bar: successes are in the table.
      if (event.exit_code != 0)
        std::cerr << "\r\033[K" << name << " failed, exit " << event.exit_code << ": " << event.error << "\n";
      return;
    }
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.1f s", event.wall_s);
    std::cerr << "sweep: [" << done_ << "/" << total_ << "] " << name
              << (event.exit_code == 0 ? " ok in " + std::string(wall)
                                       : " failed, exit " + std::to_string(event.exit_code) + ": " + event.error)
              << "\n";
  }

  void draw() {
    constexpr size_t kWidth = 30;
    const size_t total = total_;
    const size_t filled = total ? kWidth * done_ / total : kWidth;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line = "\r\033[K[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
                       std::to_string(done_) + "/" + std::to_string(total) + "  " + std::to_string(running_) +
                       " running  " + std::to_string(failed_) + " failed  " + clock_text(elapsed) + " elapsed";
    if (done_ > 0 && done_ < total) line += "  ~" + clock_text(elapsed / double(done_) * double(total - done_)) + " left";
    std::cerr << line << std::flush;
  }

  const apps::SweepPlan& plan_;
  size_t total_;  // runs of this invocation
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  size_t running_ = 0, done_ = 0, failed_ = 0;
};

// Collects the table and writes it; exit 1 when some configuration has no result. Called by --collect,
// an unreadable result file is bad input: one line naming it, exit 2 (the table is written all the same).
int finish_table(const std::string& directory, bool collect_only) {
  const auto collected = apps::collect_sweep(directory);
  const size_t rows = collected.table.at("rows").size();
  const size_t not_ok = apps::write_sweep_table(collected.table, directory);
  std::cout << "sweep: " << rows << " configurations, " << rows - not_ok << " ok, " << not_ok
            << " failed or not run; table: " << directory << "/sweep.csv and " << directory << "/sweep.json\n";
  if (collect_only && !collected.unreadable.empty())
    throw UsageError(std::to_string(collected.unreadable.size()) + " result file(s) cannot be read, first " +
                     collected.unreadable.front() + "; run them again with 'aqpim sweep --resume " + directory + "'");
  return not_ok ? kExitFailure : kExitOk;
}

int run_with_progress(const apps::SweepPlan& plan, const apps::SweepFiles& files, int64_t jobs,
                      const std::vector<size_t>& indices) {
  std::cerr << "sweep: " << indices.size() << " of " << plan.configurations.size() << " configurations, " << jobs
            << " at a time, into " << files.directory << "\n";
  Progress progress(plan, indices.size(), isatty(STDERR_FILENO) == 1);
  apps::run_sweep(plan, files, {this_executable(), unsigned(jobs), std::ref(progress)}, indices);
  progress.finish();
  return finish_table(files.directory, false);
}

// --resume DIR: runs again every configuration of DIR without a result (never run, failed or killed).
int resume_sweep(const std::string& directory, int64_t jobs) {
  const auto [plan, files] = apps::open_sweep_directory(directory);
  const auto missing = apps::configurations_without_result(apps::collect_sweep(directory).table);
  return run_with_progress(plan, files, jobs, missing);
}

int64_t jobs_option(const po::variables_map& vm) {
  const int64_t jobs = vm["jobs"].as<int64_t>();
  if (jobs < 1 || jobs > 1024) throw UsageError("--jobs: expected an integer in [1, 1024], got " + std::to_string(jobs));
  return jobs;
}

int run_sweep_command(const po::variables_map& vm, const platform::PlatformParams&) {
  const auto strings = [&](const char* name) {
    return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
  };
  for (const char* existing : {"collect", "resume"}) {
    if (!vm.count(existing)) continue;
    if (vm.count("vary") || vm.count("emit-jobs") || vm.count("set") || vm.count("config") ||
        (vm.count("collect") && vm.count("resume")))
      throw UsageError(std::string("--") + existing + " DIR takes no other sweep options: the grid is in DIR/plan.json");
    const std::string directory = vm[existing].as<std::string>();
    try {
      return vm.count("collect") ? finish_table(directory, true) : resume_sweep(directory, jobs_option(vm));
    } catch (const apps::SweepInputError& error) {
      throw UsageError(error.what());
    }
  }
  const auto varied = strings("vary");
  if (varied.empty()) throw UsageError("sweep: give at least one --vary KEY=VALUES (or --collect DIR, --resume DIR)");
  const int64_t jobs = jobs_option(vm);
  bool slurm = false, parallel = false;
  if (vm.count("emit-jobs")) {
    for (const auto& option : vm["emit-jobs"].as<std::vector<std::string>>()) {
      std::istringstream kinds(option);
      for (std::string kind; std::getline(kinds, kind, ',');) {
        if (kind == "slurm")
          slurm = true;
        else if (kind == "parallel")
          parallel = true;
        else
          throw UsageError("--emit-jobs: expected slurm, parallel or slurm,parallel, got '" + option + "'");
      }
    }
  }

  std::vector<apps::SweepAxis> axes;
  for (const auto& text : varied) axes.push_back(apps::parse_sweep_axis(text));
  const auto plan = apps::make_sweep_plan(strings("config"), strings("set"), axes);
  const std::string directory = vm["out"].as<std::string>();
  const auto files = apps::prepare_sweep_directory(plan, directory);
  const std::string executable = this_executable();

  if (slurm || parallel) {
    apps::emit_sweep_jobs(plan, files, executable, slurm);
    std::cout << "sweep: " << plan.configurations.size() << " configurations; wrote " << files.file("jobs.txt")
              << (slurm ? " and " + files.file("sweep.slurm") : "") << "\n"
              << "run them with " << (slurm ? "'sbatch " + files.file("sweep.slurm") + "'" : "")
              << (slurm && parallel ? " or " : "")
              << (parallel ? "'parallel --jobs N < " + files.file("jobs.txt") + "'" : "")
              << ", then merge with 'aqpim sweep --collect " << files.directory << "'\n";
    return kExitOk;
  }

  return run_with_progress(plan, files, jobs, apps::all_configurations(plan));
}

}  // namespace

Subcommand sweep_subcommand() {
  return {"sweep", "run a grid of configurations, one process each, into one CSV/JSON table",
          [](po::options_description& options) {
            options.add_options()(
                "vary,v", po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUES"),
                "a sweep axis (repeatable; the grid is every combination): comma-separated values and ranges "
                "A:B (step 1), A:B:+S, A:B:xF, e.g. workload.context_tokens=4096:32768:x2 or "
                "pim.placement=bank,bank_group")(
                "out,o", po::value<std::string>()->value_name("DIR")->default_value("sweep"),
                "directory for the per-run files and the table (sweep.csv, sweep.json)")(
                "jobs,j", po::value<int64_t>()->value_name("N")->default_value(
                              int64_t(std::max(1u, std::thread::hardware_concurrency()))),
                "runs at a time")(
                "emit-jobs", po::value<std::vector<std::string>>()->composing()->value_name("slurm|parallel"),
                "write the runs as a job list (DIR/jobs.txt) and/or a Slurm array script (DIR/sweep.slurm) "
                "instead of running them")(
                "collect", po::value<std::string>()->value_name("DIR"),
                "merge the finished runs of DIR into DIR/sweep.csv and DIR/sweep.json")(
                "resume", po::value<std::string>()->value_name("DIR"),
                "run again the configurations of DIR without a result (not run, failed or killed), then merge");
          },
          run_sweep_command};
}

}  // namespace aqpim::apps
