// `aqpim accuracy`: how well a KV-cache back end (AQPIM or a baseline) keeps a real trained model's
// predictions, on a text (core/llm/evaluation.h). One configuration from --set keys of its own table
// (apps/accuracy_settings.h), or with --grid the paper's accuracy studies on the shipped texts, on every core,
// with a progress bar, written as a table (and PNGs with --plots).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "apps/accuracy_grid.h"
#include "apps/accuracy_run.h"
#include "apps/atomic_file.h"
#include "apps/cli_options.h"
#include "apps/plot.h"
#include "apps/sweep.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

constexpr const char* kExample = "eval.backend=snapkv";

int list_keys(bool markdown) {
  if (markdown) {
    std::cout << accuracy_keys_markdown();
    return kExitOk;
  }
  AccuracySettings defaults;
  for (const auto& spec : accuracy_table(defaults))
    std::cout << std::left << std::setw(27) << spec.key << " = " << std::setw(12) << platform::current_value(spec)
              << " " << spec.doc << (spec.unit.empty() ? "" : " [" + spec.unit + "]") << " Accepts "
              << platform::accepted_values(spec) << ".\n";
  return kExitOk;
}

// Written whole at the end (apps/atomic_file.h), opened now: a bad path fails before the work, not after.
std::unique_ptr<AtomicFile> open_output(const po::variables_map& vm, const char* option) {
  if (!vm.count(option)) return nullptr;
  try {
    return std::make_unique<AtomicFile>(vm[option].as<std::string>());
  } catch (const std::runtime_error& error) {
    throw UsageError(std::string("--") + option + ": " + error.what());
  }
}

int run_one(const po::variables_map& vm) {
  const std::unique_ptr<AtomicFile> json_out = open_output(vm, "json");
  const AccuracySettings settings = resolve_accuracy_settings(parameter_sources(vm, kExample));
  const AccuracyInputs inputs = load_accuracy_inputs(settings);
  const core::llm::AccuracyEvaluator evaluator(inputs.model, evaluated_segments(settings, inputs), inputs.calibration);
  core::llm::AccuracyResult result;
  try {
    result = evaluator.run(settings.config);
  } catch (const std::invalid_argument& error) {
    // What the table's and validate_accuracy_settings' rules do not cover, the core still refuses in one line.
    throw UsageError(std::string("the configuration cannot run: ") + error.what());
  }
  std::cout << format_result(settings, inputs.model.config, result);
  if (json_out) {
    AccuracySettings copy = settings;
    const std::string text =
        nlohmann::json{{"settings", platform::to_json(accuracy_table(copy))}, {"result", result_json(result)}}.dump(2) +
        "\n";
    json_out->commit(&text);
  }
  return kExitOk;
}

// A bar on a terminal, a line per tenth of the work otherwise (logs).
class ProgressBar {
 public:
  explicit ProgressBar(std::string what) : what_(std::move(what)), terminal_(isatty(STDERR_FILENO)) {}
  void update(size_t done, size_t total) {
    std::lock_guard<std::mutex> lock(mutex_);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const size_t tenth = total ? done * 10 / total : 10;
    if (!terminal_ && tenth == last_tenth_) return;
    last_tenth_ = tenth;
    constexpr size_t kWidth = 30;
    const size_t filled = total ? done * kWidth / total : kWidth;
    const double left = done ? elapsed * double(total - done) / double(done) : 0.0;
    std::fprintf(stderr, "%s[%s%s] %zu/%zu %s, %.0f s elapsed, ~%.0f s left%s", terminal_ ? "\r" : "",
                 std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done, total,
                 what_.c_str(), elapsed, left, terminal_ && done < total ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  std::string what_;
  bool terminal_;
  std::mutex mutex_;
  size_t last_tenth_ = size_t(-1);
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int run_grid(const po::variables_map& vm) {
  const int64_t jobs = vm["jobs"].as<int64_t>();
  if (jobs < 1 || jobs > 256) throw UsageError("--jobs: expected an integer in [1, 256], got " + std::to_string(jobs));
  const bool plots = vm.count("plots") > 0;
  if (plots && find_gnuplot().empty())
    throw UsageError("--plots needs gnuplot, which is not in PATH (Debian: apt-get install gnuplot-nox)");
  const std::string directory = vm["out"].as<std::string>();
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw UsageError("--out: cannot create '" + directory + "': " + error.message());

  ProgressBar progress("evaluations");
  GridOptions options;
  options.threads = unsigned(jobs);
  options.on_progress = [&](size_t done, size_t total) { progress.update(done, total); };
  // The shipped texts sit beside the shipped model: found wherever data.model says the model is.
  const platform::ParamLoader sources = parameter_sources(vm, kExample);
  const std::string model = resolve_accuracy_settings(sources).model;
  const std::string data = model.find('/') == std::string::npos ? "." : model.substr(0, model.find_last_of('/'));
  const GridResult grid = run_accuracy_grid(sources, paper_grid(), shipped_texts(data), options);

  write_sweep_table(grid_table(grid), directory, "accuracy");
  const std::string tables = grid_markdown(grid);
  write_file_atomically((std::filesystem::path(directory) / "accuracy.md").string(), tables);
  std::cout << tables << "\nTable: " << directory << "/accuracy.csv, " << directory
            << "/accuracy.json; Markdown: " << directory << "/accuracy.md\n";
  if (plots) {
    for (const auto& image : plot_grid(directory)) std::cout << "plot: wrote " << image << "\n";
  }
  return kExitOk;
}

int run_accuracy(const po::variables_map& vm, const platform::PlatformParams&) {
  if (vm.count("keys")) return list_keys(vm.count("markdown") > 0);
  if (vm.count("markdown")) throw UsageError("--markdown goes with --keys");
  if (vm.count("grid")) {
    if (vm.count("json")) throw UsageError("--grid writes its tables into --out; --json is for a single run");
    return run_grid(vm);
  }
  if (vm.count("plots")) throw UsageError("--plots goes with --grid");
  return run_one(vm);
}

}  // namespace

Subcommand accuracy_subcommand() {
  Subcommand command{
      "accuracy", "measure a KV-cache back end's accuracy on a real model (llama2.c), or the paper's accuracy grid",
      [](po::options_description& options) {
        options.add_options()("json", po::value<std::string>()->value_name("FILE"), "also write the result as JSON")(
            "keys", "list the accuracy keys (--set KEY=VALUE) with their defaults and ranges")(
            "markdown", "with --keys: as Markdown (docs/accuracy-keys.md)")(
            "grid",
            "run the paper's accuracy studies (sub-vector size, K, ablation, baselines) on the texts shipped beside "
            "data.model; --set applies to every configuration")(
            "out,o", po::value<std::string>()->value_name("DIR")->default_value("accuracy"),
            "--grid: directory for accuracy.csv, accuracy.json, accuracy.md and the PNGs")(
            "plots", "--grid: also draw the PNGs (gnuplot)")(
            "jobs,j",
            po::value<int64_t>()->value_name("N")->default_value(
                int64_t(std::max(1u, std::thread::hardware_concurrency()))),
            "--grid: evaluation threads");
      },
      run_accuracy};
  command.platform_parameters = false;
  return command;
}

}  // namespace aqpim::apps
