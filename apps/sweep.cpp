#include "apps/sweep.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "apps/atomic_file.h"
#include "apps/cli_options.h"

extern char** environ;

namespace aqpim::apps {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr size_t kMaxAxisValues = 10000;
constexpr const char* kPlanFile = "plan.json";

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) text += (i ? separator : "") + items[i];
  return text;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.push_back("");
  return parts;
}

bool parse_real(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && *end == '\0' && std::isfinite(out);
}

std::string format_real(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

// Applies every source a configuration is made of; platform::ParamLoader does all checking, so the sweep has no
// second idea of which keys and values exist.
platform::PlatformParams resolve(const std::vector<std::string>& config_files, const std::vector<std::string>& overrides,
                       const std::vector<std::string>& varied) {
  platform::ParamLoader loader;
  for (const auto& path : config_files) loader.add_file(path);
  for (const auto& assignment : overrides) loader.add_override(assignment);
  for (const auto& assignment : varied) loader.add_override(assignment, "--vary");
  return loader.resolve();
}

// Expands A:B[:+S|:xF] over an integer or real parameter.
std::vector<std::string> expand_range(const std::string& axis_text, const platform::ParamSpec& spec, const std::string& item) {
  const bool integer = std::holds_alternative<platform::IntRange>(spec.field);
  if (!integer && !std::holds_alternative<platform::RealRange>(spec.field))
    throw platform::ParamError("--vary '" + axis_text + "': a range needs a numeric parameter; '" + spec.key + "' accepts " +
                     platform::accepted_values(spec) + " (list the values: KEY=a,b)");
  const auto fail = [&]() -> platform::ParamError {
    return platform::ParamError("--vary '" + axis_text + "': range '" + item +
                      "' must be A:B (step 1), A:B:+S (S > 0) or A:B:xF (F > 1) with A <= B; '" + spec.key +
                      "' accepts " + platform::accepted_values(spec));
  };
  const auto parts = split(item, ':');
  double first = 0, last = 0, step = 1;
  if (parts.size() < 2 || parts.size() > 3 || !parse_real(parts[0], first) || !parse_real(parts[1], last) ||
      first > last)
    throw fail();
  bool geometric = false;
  if (parts.size() == 3) {
    const std::string& stride = parts[2];
    if (stride.size() < 2 || (stride[0] != '+' && stride[0] != 'x') || !parse_real(stride.substr(1), step)) throw fail();
    geometric = stride[0] == 'x';
    if (geometric ? !(step > 1.0) : !(step > 0.0)) throw fail();
    if (geometric && !(first > 0.0)) throw fail();
  }
  if (integer && (first != std::floor(first) || last != std::floor(last) || (!geometric && step != std::floor(step))))
    throw platform::ParamError("--vary '" + axis_text + "': range '" + item + "' has a fraction but '" + spec.key + "' accepts " +
                     platform::accepted_values(spec));
  std::vector<std::string> values;
  // Real ranges accumulate rounding error; this slack keeps an intended end point (0.1:0.5:+0.1).
  const double slack = integer ? 0.0 : 1e-9 * std::max(std::fabs(first), std::fabs(last));
  for (double value = first; value <= last + slack;) {
    if (values.size() == kMaxAxisValues)
      throw platform::ParamError("--vary '" + axis_text + "': more than " + std::to_string(kMaxAxisValues) + " values");
    values.push_back(integer ? std::to_string(int64_t(value)) : format_real(std::min(value, last)));
    const double next = geometric ? value * step : value + step;
    value = integer ? std::floor(next) : next;
    // A factor like x1.1 on small integers would round back to the same value forever.
    if (integer && value <= double(std::stoll(values.back()))) value = double(std::stoll(values.back())) + 1;
  }
  return values;
}

std::string index_name(size_t index, size_t count) {
  const int width = std::max<int>(4, int(std::to_string(count).size()));
  char text[32];
  std::snprintf(text, sizeof text, "%0*zu", width, index);
  return text;
}

std::string read_text(const std::string& path, bool& exists) {
  std::ifstream in(path);
  exists = bool(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Shell quoting for jobs.txt: the lines run under sh/bash on another machine.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void write_file(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

// The exit code an exit file holds: a decimal number in [0, 255] and a line break, nothing else.
bool parse_exit_code(const std::string& text, int& code) {
  if (text.empty() || text.size() > 4 || text.back() != '\n') return false;
  code = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    code = code * 10 + (text[i] - '0');
  }
  return text.size() > 1 && code <= 255;
}

// A run's report as the sweep reads it: a JSON object with its latencies; else why not.
bool read_report(const std::string& path, json& report, std::string& problem) {
  bool exists = false;
  const std::string text = read_text(path, exists);
  if (!exists) return problem = "missing", false;
  try {
    report = json::parse(text);
  } catch (const json::exception&) {
    return problem = "not valid JSON (truncated or corrupt)", false;
  }
  if (!report.is_object() || !report.contains("latency_s") || !report["latency_s"].is_object())
    return problem = "not a run report (no latency_s object)", false;
  return true;
}

// The report as flat columns ("latency_s.phases.scoring"), so a new report field becomes a column without
// the sweep knowing it. The run's parameters are left out: the varied ones are columns already.
void add_report_columns(ordered_json& row, const json& report) {
  const std::function<void(const json&, const std::string&)> flatten = [&](const json& node, const std::string& key) {
    if (node.is_object()) {
      for (const auto& [name, value] : node.items()) flatten(value, key.empty() ? name : key + "." + name);
    } else {
      row[key] = node;
    }
  };
  for (const auto& [name, value] : report.items())
    if (name != "parameters") flatten(value, name);
  // The figure AQPIM's results are quoted in; derived here because the report gives the decode total.
  const auto at = [&](const char* pointer) {
    const json::json_pointer where(pointer);
    return report.contains(where) ? report.at(where) : json();
  };
  const json steps = at("/parameters/workload/decode_steps"), decode = at("/latency_s/decode");
  if (steps.is_number() && decode.is_number() && steps.get<double>() > 0)
    row["latency_s.decode_per_step"] = decode.get<double>() / steps.get<double>();
}

// Columns in reading order: an entry ending in '.' is a group, any other one column; columns of any other
// group follow in the report's order.
const std::vector<std::string> kColumnOrder = {"latency_s.total", "latency_s.prefill", "latency_s.decode",
                                               "latency_s.decode_per_step", "latency_s.", "kv_bytes.",
                                               "traffic_bytes.", "gpu.", "pim_commands.", "accuracy.",
                                               "wall_seconds"};

std::vector<std::string> order_columns(const std::vector<std::string>& leading, const std::vector<std::string>& found) {
  std::vector<std::string> columns = leading;
  std::vector<bool> taken(found.size(), false);
  for (const auto& prefix : kColumnOrder)
    for (size_t i = 0; i < found.size(); ++i)
      if (!taken[i] && (prefix.back() == '.' ? found[i].rfind(prefix, 0) == 0 : found[i] == prefix))
        columns.push_back(found[i]), taken[i] = true;
  for (size_t i = 0; i < found.size(); ++i)
    if (!taken[i]) columns.push_back(found[i]);
  return columns;
}

std::string csv_cell(const ordered_json& value) {
  if (value.is_null()) return "";
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

SweepAxis parse_sweep_axis(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw platform::ParamError("--vary '" + text + "': expected KEY=VALUES, e.g. --vary workload.context_tokens=4096:32768:x2 "
                     "or --vary pim.placement=bank,bank_group");
  SweepAxis axis{text.substr(0, equals), {}};
  platform::PlatformParams scratch;
  const auto table = platform::parameter_table(scratch);
  const platform::ParamSpec* spec = nullptr;
  for (const auto& candidate : table)
    if (candidate.key == axis.key) spec = &candidate;
  for (const auto& item : split(text.substr(equals + 1), ',')) {
    if (item.empty()) throw platform::ParamError("--vary '" + text + "': empty value in the list");
    const bool range = item.find(':') != std::string::npos;
    if (!spec) {
      // platform::ParamLoader's own message, with its "did you mean".
      resolve({}, {}, {axis.key + "=" + item});
      throw platform::ParamError("unknown parameter '" + axis.key + "' in --vary");
    }
    if (!range) {
      axis.values.push_back(item);
      continue;
    }
    for (auto& value : expand_range(text, *spec, item)) axis.values.push_back(std::move(value));
  }
  return axis;
}

std::vector<std::string> SweepPlan::run_arguments(size_t index) const {
  std::vector<std::string> arguments = {"run"};
  for (const auto& path : config_files) arguments.insert(arguments.end(), {"--config", path});
  for (const auto& assignment : overrides) arguments.insert(arguments.end(), {"--set", assignment});
  const auto& configuration = configurations.at(index);
  for (size_t axis = 0; axis < axes.size(); ++axis)
    arguments.insert(arguments.end(), {"--set", axes[axis].key + "=" + configuration.values[axis]});
  return arguments;
}

json SweepPlan::to_json() const {
  json axes_json = json::array(), configurations_json = json::array();
  for (const auto& axis : axes) axes_json.push_back({{"key", axis.key}, {"values", axis.values}});
  for (const auto& configuration : configurations)
    configurations_json.push_back({{"values", configuration.values}, {"typed", configuration.typed}});
  return {{"config_files", config_files}, {"overrides", overrides}, {"axes", axes_json},
          {"configurations", configurations_json}};
}

SweepPlan SweepPlan::from_json(const json& document) {
  try {
    SweepPlan plan;
    plan.config_files = document.at("config_files").get<std::vector<std::string>>();
    plan.overrides = document.at("overrides").get<std::vector<std::string>>();
    for (const auto& axis : document.at("axes"))
      plan.axes.push_back({axis.at("key").get<std::string>(), axis.at("values").get<std::vector<std::string>>()});
    for (const auto& configuration : document.at("configurations")) {
      plan.configurations.push_back({configuration.at("values").get<std::vector<std::string>>(), configuration.at("typed")});
      if (plan.configurations.back().values.size() != plan.axes.size()) throw std::runtime_error("values per axis");
      for (const auto& axis : plan.axes)
        if (!configuration.at("typed").contains(axis.key)) throw std::runtime_error("no typed value of " + axis.key);
    }
    if (plan.configurations.size() > kMaxSweepConfigurations) throw std::runtime_error("too many configurations");
    return plan;
  } catch (const std::exception& error) {
    throw std::runtime_error(std::string("not a sweep plan (") + error.what() + ")");
  }
}

SweepPlan make_sweep_plan(const std::vector<std::string>& config_files, const std::vector<std::string>& overrides,
                          const std::vector<SweepAxis>& axes, const GridFilter& keep) {
  SweepPlan plan;
  for (const auto& path : config_files) plan.config_files.push_back(fs::absolute(path).string());
  plan.overrides = overrides;
  plan.axes = axes;
  size_t count = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (axes[j].key == axes[i].key) throw platform::ParamError("--vary: parameter '" + axes[i].key + "' is varied twice");
    if (axes[i].values.empty()) throw platform::ParamError("--vary: parameter '" + axes[i].key + "' has no values");
    // Each value alone first, so a bad value is reported as itself rather than as a whole configuration.
    for (size_t v = 0; v < axes[i].values.size(); ++v) {
      const std::string assignment = axes[i].key + "=" + axes[i].values[v];
      if (std::find(axes[i].values.begin(), axes[i].values.begin() + v, axes[i].values[v]) != axes[i].values.begin() + v)
        throw platform::ParamError("--vary '" + assignment + "': value listed twice");
      try {
        resolve(plan.config_files, overrides, {assignment});
      } catch (const platform::ParamError& error) {
        // Type and range errors name --vary already; a cross-field rule names only the fields.
        const std::string what = error.what();
        throw what.find("--vary") == std::string::npos ? platform::ParamError("--vary " + assignment + ": " + what) : error;
      }
    }
    if (count > kMaxSweepConfigurations / axes[i].values.size())
      throw platform::ParamError("--vary: the grid has more than " + std::to_string(kMaxSweepConfigurations) +
                       " configurations; split the sweep");
    count *= axes[i].values.size();
  }
  std::vector<size_t> position(axes.size(), 0);
  const auto advance = [&] {
    for (size_t axis = axes.size(); axis-- > 0;) {
      if (++position[axis] < axes[axis].values.size()) break;
      position[axis] = 0;
    }
  };
  for (size_t index = 0; index < count; ++index, advance()) {
    SweepPlan::Configuration configuration;
    std::vector<std::string> assignments;
    for (size_t axis = 0; axis < axes.size(); ++axis) {
      configuration.values.push_back(axes[axis].values[position[axis]]);
      assignments.push_back(axes[axis].key + "=" + configuration.values.back());
    }
    if (keep && !keep(configuration.values)) continue;
    platform::PlatformParams params;
    try {
      params = resolve(plan.config_files, overrides, assignments);
    } catch (const platform::ParamError& error) {
      throw platform::ParamError("configuration " + join(assignments, " ") + ": " + error.what());
    }
    const json resolved = platform::to_json(params);
    configuration.typed = json::object();
    for (const auto& axis : axes) {
      std::string pointer = "/" + axis.key;
      std::replace(pointer.begin(), pointer.end(), '.', '/');
      configuration.typed[axis.key] = resolved.at(json::json_pointer(pointer));
    }
    plan.configurations.push_back(std::move(configuration));
  }
  return plan;
}

std::string SweepFiles::run_file(size_t index, const std::string& extension) const {
  return (fs::path(directory) / "runs" / (index_name(index, configurations) + "." + extension)).string();
}

std::string SweepFiles::file(const std::string& name) const { return (fs::path(directory) / name).string(); }

SweepFiles prepare_sweep_directory(const SweepPlan& plan, const std::string& directory) {
  SweepFiles files{fs::absolute(directory).lexically_normal().string(), plan.configurations.size()};
  std::error_code error;
  fs::create_directories(fs::path(files.directory) / "runs", error);
  if (error) throw std::runtime_error("cannot create '" + files.directory + "/runs': " + error.message());
  // Files of an earlier sweep in the same directory would be collected as this sweep's results.
  for (const auto& entry : fs::directory_iterator(fs::path(files.directory) / "runs")) {
    const auto extension = entry.path().extension();
    if (extension == ".json" || extension == ".log" || extension == ".exit") fs::remove(entry.path(), error);
  }
  for (const auto& entry : fs::directory_iterator(fs::path(files.directory) / "runs"))
    if (is_atomic_temporary(entry.path().filename().string())) fs::remove(entry.path(), error);
  for (const char* stale : {"sweep.csv", "sweep.json", "jobs.txt", "sweep.slurm"}) fs::remove(files.file(stale), error);
  write_file(files.file(kPlanFile), plan.to_json().dump(1) + "\n");
  return files;
}

std::string run_failure(int exit_code, const std::string& log_path) {
  bool exists = false;
  const std::string text = read_text(log_path, exists);
  std::string last, error;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last = line;
    if (line.rfind("aqpim: error: ", 0) == 0 || line.rfind("aqpim: failed: ", 0) == 0) error = line;
  }
  if (error.empty() && exit_code > 128 && exit_code < 128 + 65) {
    const int signal = exit_code - 128;
    const char* name = strsignal(signal);
    error = "killed by signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
  }
  return one_line(!error.empty() ? error : last);
}

std::pair<SweepPlan, SweepFiles> open_sweep_directory(const std::string& directory) {
  bool exists = false;
  const std::string plan_path = (fs::path(directory) / kPlanFile).string();
  const std::string plan_text = read_text(plan_path, exists);
  if (!exists) throw SweepInputError("'" + plan_path + "' not found: not a sweep directory");
  SweepPlan plan;
  try {
    plan = SweepPlan::from_json(json::parse(plan_text));
  } catch (const std::exception& error) {
    throw SweepInputError("'" + plan_path + "': " + error.what());
  }
  SweepFiles files{directory, plan.configurations.size()};
  return {std::move(plan), std::move(files)};
}

std::vector<size_t> all_configurations(const SweepPlan& plan) {
  std::vector<size_t> indices(plan.configurations.size());
  for (size_t index = 0; index < indices.size(); ++index) indices[index] = index;
  return indices;
}

void run_sweep(const SweepPlan& plan, const SweepFiles& files, const SweepRunOptions& options,
               const std::vector<size_t>& indices) {
  using Clock = std::chrono::steady_clock;
  struct Running {
    size_t index;
    Clock::time_point start;
  };
  std::map<pid_t, Running> running;
  size_t next = 0;
  const unsigned jobs = std::max(1u, options.jobs);

  const auto start_next = [&] {
    const size_t index = indices.at(next++);
    // A result of an earlier attempt must not be taken for this one's.
    for (const char* extension : {"json", "log", "exit"}) std::remove(files.run_file(index, extension).c_str());
    std::vector<std::string> arguments = plan.run_arguments(index);
    arguments.insert(arguments.begin(), options.executable);
    arguments.insert(arguments.end(), {"--json", files.run_file(index, "json")});
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = files.run_file(index, "log");
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, options.executable.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0)
      throw std::runtime_error("cannot start '" + options.executable + "': " + std::strerror(error));
    running[pid] = {index, Clock::now()};
    if (options.on_event) options.on_event({index, -1, "", 0.0});
  };

  while (next < indices.size() || !running.empty()) {
    while (next < indices.size() && running.size() < jobs) start_next();
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waiting for the runs failed: ") + std::strerror(errno));
    }
    const auto found = running.find(pid);
    if (found == running.end()) continue;  // not one of ours
    const Running finished = found->second;
    running.erase(found);
    // A run killed by a signal is recorded the way a shell would ($? = 128 + signal), like jobs.txt does.
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    write_file(files.run_file(finished.index, "exit"), std::to_string(exit_code) + "\n");
    if (options.on_event)
      options.on_event({finished.index, exit_code, exit_code ? run_failure(exit_code, files.run_file(finished.index, "log")) : "",
                        std::chrono::duration<double>(Clock::now() - finished.start).count()});
  }
}

void emit_sweep_jobs(const SweepPlan& plan, const SweepFiles& files, const std::string& executable, bool slurm) {
  std::string lines;
  for (size_t index = 0; index < plan.configurations.size(); ++index) {
    std::string line = shell_quote(executable);
    for (const auto& argument : plan.run_arguments(index)) line += " " + shell_quote(argument);
    line += " --json " + shell_quote(files.run_file(index, "json")) + " > " + shell_quote(files.run_file(index, "log")) +
            " 2>&1; echo $? > " + shell_quote(files.run_file(index, "exit") + ".tmp-job") + " && mv " +
            shell_quote(files.run_file(index, "exit") + ".tmp-job") + " " + shell_quote(files.run_file(index, "exit"));
    lines += line + "\n";
  }
  write_file(files.file("jobs.txt"), lines);
  if (!slurm) return;
  write_file(files.file("sweep.slurm"),
             "#!/bin/bash\n"
             "# One configuration of the sweep per array task: line $SLURM_ARRAY_TASK_ID of jobs.txt.\n"
             "# Submit with: sbatch " + files.file("sweep.slurm") + "\n"
             "# then merge with: aqpim sweep --collect " + files.directory + "\n"
             "#SBATCH --job-name=aqpim-sweep\n"
             "#SBATCH --array=1-" + std::to_string(plan.configurations.size()) + "\n"
             "#SBATCH --cpus-per-task=1\n"
             "#SBATCH --output=" + files.directory + "/runs/slurm-%A_%a.out\n"
             "sed -n \"${SLURM_ARRAY_TASK_ID}p\" " + shell_quote(files.file("jobs.txt")) + " | bash\n");
}

namespace {

// One configuration's row: its axis values, status and exit code, and its report's columns or its error.
ordered_json collect_row(const SweepPlan& plan, const SweepFiles& files, size_t index,
                         std::vector<std::string>& unreadable) {
  ordered_json row;
  row["config"] = index;
  for (const auto& axis : plan.axes) row[axis.key] = plan.configurations[index].typed.at(axis.key);
  bool exists = false;
  const std::string exit_path = files.run_file(index, "exit");
  const std::string exit_text = read_text(exit_path, exists);
  int exit_code = 0;
  if (!exists) {
    row["status"] = "not run";
    row["exit_code"] = nullptr;
    return row;
  }
  const auto fail = [&](const std::string& path, const std::string& problem) {
    row["status"] = "failed";
    row["error"] = "'" + path + "': " + problem;
    unreadable.push_back(path + ": " + problem);
    return row;
  };
  if (!parse_exit_code(exit_text, exit_code)) return fail(exit_path, "not an exit code");
  row["exit_code"] = exit_code;
  row["status"] = exit_code == 0 ? "ok" : "failed";
  if (exit_code != 0) {
    row["error"] = run_failure(exit_code, files.run_file(index, "log"));
    return row;
  }
  json report;
  std::string problem;
  if (!read_report(files.run_file(index, "json"), report, problem)) return fail(files.run_file(index, "json"), problem);
  add_report_columns(row, report);
  return row;
}

}  // namespace

SweepTable collect_sweep(const std::string& directory) {
  const auto [plan, files] = open_sweep_directory(directory);
  std::vector<std::string> leading = {"config"};
  for (const auto& axis : plan.axes) leading.push_back(axis.key);
  leading.insert(leading.end(), {"status", "exit_code"});
  std::vector<std::string> found;
  ordered_json rows = ordered_json::array();
  SweepTable result;
  for (size_t index = 0; index < plan.configurations.size(); ++index) {
    ordered_json row = collect_row(plan, files, index, result.unreadable);
    for (const auto& item : row.items())
      if (std::find(leading.begin(), leading.end(), item.key()) == leading.end() && item.key() != "error" &&
          std::find(found.begin(), found.end(), item.key()) == found.end())
        found.push_back(item.key());
    rows.push_back(std::move(row));
  }
  auto columns = order_columns(leading, found);
  columns.push_back("error");
  result.table["columns"] = columns;
  // Every row carries every column (null where a run has none), so readers need no special case.
  for (auto& row : rows) {
    ordered_json complete;
    for (const auto& column : columns) complete[column] = row.contains(column) ? row[column] : ordered_json();
    row = std::move(complete);
  }
  result.table["rows"] = std::move(rows);
  return result;
}

std::vector<size_t> configurations_without_result(const ordered_json& table) {
  std::vector<size_t> indices;
  for (const auto& row : table.at("rows"))
    if (row.at("status") != "ok") indices.push_back(row.at("config").get<size_t>());
  return indices;
}

size_t write_sweep_table(const ordered_json& table, const std::string& directory, const std::string& name) {
  const auto columns = table.at("columns").get<std::vector<std::string>>();
  std::string csv;
  for (size_t i = 0; i < columns.size(); ++i) csv += (i ? "," : "") + csv_cell(columns[i]);
  csv += "\n";
  size_t not_ok = 0;
  for (const auto& row : table.at("rows")) {
    for (size_t i = 0; i < columns.size(); ++i) csv += (i ? "," : "") + csv_cell(row.at(columns[i]));
    csv += "\n";
    not_ok += row.at("status") != "ok";
  }
  write_file((fs::path(directory) / (name + ".csv")).string(), csv);
  write_file((fs::path(directory) / (name + ".json")).string(), table.dump(1) + "\n");
  return not_ok;
}

}  // namespace aqpim::apps
