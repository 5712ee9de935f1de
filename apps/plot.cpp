#include "apps/plot.h"
#include "apps/cli_options.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "apps/atomic_file.h"
#include "apps/plot_labels.h"
#include "apps/plot_support.h"

extern char** environ;

namespace aqpim::apps {

PlotError::PlotError(const std::string& message) : std::invalid_argument(one_line(message)) {}

namespace {

using namespace plot_detail;

std::string first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line.find_first_not_of(" ^") != std::string::npos) last = line;
  return last;
}

// A temporary directory removed on every way out.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/aqpim-plot-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory: " + std::string(std::strerror(errno)));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void run_gnuplot(const fs::path& directory, const std::string& script, const std::string& output) {
  write_text(directory / "plot.gp", script);  // first: a kept script is there to read even without gnuplot
  const std::string gnuplot = find_gnuplot();
  if (gnuplot.empty())
    throw std::runtime_error("plot needs gnuplot, which is not in PATH (Debian: apt-get install gnuplot-nox)");
  const std::string log = (directory / "gnuplot.log").string(), script_path = (directory / "plot.gp").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> arguments = {gnuplot, script_path};
  std::vector<char*> argv = {arguments[0].data(), arguments[1].data(), nullptr};
  pid_t pid = 0;
  const int error = posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error("cannot start '" + gnuplot + "': " + std::strerror(error));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waiting for gnuplot failed: " + std::string(std::strerror(errno)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("gnuplot failed: " + first_line(log));
  std::error_code size_error;
  if (fs::file_size(output, size_error) == 0 || size_error)
    throw std::runtime_error("gnuplot wrote no image to '" + output + "'");
}

bool powers_of_two(const std::set<double>& values) {
  if (values.empty() || *values.begin() <= 0 || *values.rbegin() / *values.begin() < 8) return false;
  for (double value : values)
    if (std::exp2(std::round(std::log2(value))) != value) return false;
  return true;
}

// The x axis of a line plot: its range, with some room left and right so the first and last points (and
// their tick labels) are not on the border, logarithmic for powers of two; ticks at the named values, else at
// the swept values when there are few (a sweep's x values are the interesting ones, not round numbers).
std::string x_axis_script(const PlotRequest& request, const std::set<double>& xs) {
  std::string script;
  const double low = *xs.begin(), high = *xs.rbegin();
  char range[96];
  if (request.log_x || powers_of_two(xs)) {
    if (low <= 0) throw PlotError("--logx: column '" + request.x + "' has values <= 0");
    script += "set logscale x 2\n";
    std::snprintf(range, sizeof range, "set xrange [%.17g:%.17g]\n", low / std::pow(high / low, 0.04),
                  high * std::pow(high / low, 0.04));
  } else {
    const double pad = high > low ? 0.04 * (high - low) : std::max(1.0, std::fabs(low) * 0.1);
    std::snprintf(range, sizeof range, "set xrange [%.17g:%.17g]\n", low - pad, high + pad);
  }
  script += range;
  auto number = [](double x) {
    std::ostringstream value;
    value.precision(12);
    value << x;
    return value.str();
  };
  std::vector<std::pair<double, std::string>> ticks = request.x_ticks;
  if (ticks.empty() && xs.size() <= 12)
    for (double x : xs) ticks.emplace_back(x, number(x));
  std::string tics;
  for (const auto& [x, label] : ticks) tics += (tics.empty() ? "" : ", ") + gp_quoted(label) + " " + number(x);
  return script + (tics.empty() ? "" : "set xtics (" + tics + ")\n");
}

}  // namespace

namespace plot_detail {
namespace {

// What a line plot says in words (or, raw, in the table's column names), and the unit its y values are in.
struct LineWords {
  std::string title, x_label, y_label, legend_title;
  DisplayUnit y_unit;
};

std::string column_words(const std::string& column) {
  const std::string parameter = parameter_label(column);
  return parameter.empty() ? metric_label(column).words : parameter;
}

LineWords line_words(const PlotRequest& request, const Table& table) {
  LineWords words;
  const MetricLabel y = metric_label(request.y.front());
  double largest = 0, smallest = HUGE_VAL;
  for (const auto& row : table.rows)
    for (const auto& column : request.y) {
      largest = std::max(largest, std::fabs(row[column].get<double>()));
      smallest = std::min(smallest, std::fabs(row[column].get<double>()));
    }
  // A log axis spans decades: its unit suits the middle one (6 ms .. 1.1 s reads in ms), not the top.
  const double typical = request.log_y && smallest > 0 ? std::sqrt(smallest * largest) : largest;
  words.y_unit = request.raw_keys ? DisplayUnit{} : display_unit(y.quantity, typical);
  if (request.raw_keys) {
    words.title = (request.y.size() == 1 ? request.y.front() : std::string("metrics")) + " vs " + request.x;
    words.x_label = request.x;
    words.y_label = request.y.size() == 1 ? request.y.front() : std::string("value");
    if (y.quantity != Quantity::none) words.y_label += " [" + display_unit(y.quantity, 1).unit + "]";
    words.legend_title = request.legend_title;
  } else {
    const std::string x_words = column_words(request.x);
    const std::string x_name = x_words.substr(0, x_words.rfind(" ("));
    words.y_label = with_unit(request.y.size() == 1 ? y.words : std::string("Value"), words.y_unit.unit);
    words.title = (request.y.size() == 1 ? y.words : std::string("Metrics")) + " vs " + lowered(x_name);
    words.x_label = x_words;
    const std::string series_words = request.series.empty() ? "" : column_words(request.series);
    words.legend_title = request.legend_title.empty() ? series_words : request.legend_title;
  }
  if (!request.title.empty()) words.title = request.title;
  if (!request.x_label.empty()) words.x_label = request.x_label;
  if (!request.y_label.empty()) words.y_label = request.y_label;
  return words;
}

}  // namespace

PlotFiles line_script(const PlotRequest& request, const Table& table, const fs::path& directory,
                      const std::string& output) {
  require_column(table, "--x", request.x, true);
  if (request.y.empty()) throw PlotError("--y: give at least one column to plot");
  for (const auto& y : request.y) require_column(table, "--y", y, true);
  if (!request.series.empty()) require_column(table, "--series", request.series, false);

  // One line per (series value, y column), in table order; its points in x order (a scatter keeps them all).
  std::vector<std::pair<std::string, std::string>> lines;
  std::map<std::pair<std::string, std::string>, std::multimap<double, double>> points;
  std::set<double> xs;
  for (const auto& row : table.rows) {
    const std::string series = request.series.empty() ? "" : cell_text(row[request.series]);
    const double x = row[request.x].get<double>();
    xs.insert(x);
    for (const auto& y : request.y) {
      const auto key = std::make_pair(series, y);
      if (!points.count(key)) lines.push_back(key);
      auto& line = points[key];
      if (line.count(x) && !request.points_only) {
        // Two rows at one x on one line: some other parameter varies; say which, rather than zigzag.
        std::string others;
        for (const auto& parameter : table.parameters)
          if (parameter != request.x && parameter != request.series) others += (others.empty() ? "'" : ", '") + parameter + "'";
        throw PlotError("rows repeat " + request.x + "=" + cell_text(row[request.x]) + " on one line; " +
                        (others.empty() ? std::string("the table has duplicate rows")
                                        : "they differ in " + others + ": use --series or --where KEY=VALUE"));
      }
      const double value = row[y].get<double>();
      line.emplace(x, value);
      if (request.log_y && value <= 0)
        throw PlotError("--logy: column '" + y + "' has a value <= 0 at " + request.x + "=" + cell_text(row[request.x]));
    }
  }
  const LineWords words = line_words(request, table);
  PlotFiles files;
  files.unit_scale = words.y_unit.scale;
  std::string script = preamble(output, words.title, 1000, 620);
  script += "set xlabel " + gp_quoted(words.x_label) + "\nset ylabel " + gp_quoted(words.y_label) +
            "\nset format y '%g'\nset key " + request.legend_position + " box opaque width 3\n" +
            (words.legend_title.empty() ? "" : "set key title " + gp_quoted(words.legend_title) + "\n") +
            (request.log_y ? "set logscale y 10\nset yrange [*:*]\n" : "set yrange [0:*]\n");
  script += x_axis_script(request, xs);
  std::string plot = "plot ";
  size_t spares = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& [series, y] = lines[i];
    std::string data;
    for (const auto& [x, value] : points[lines[i]]) {
      char text[64];
      std::snprintf(text, sizeof text, "%.17g %.17g\n", x, value * words.y_unit.scale);
      data += text;
    }
    const std::string file = "line" + std::to_string(i) + ".dat";
    write_text(directory / file, data);
    files.data_files.push_back((directory / file).string());
    // A series is titled by its value (in words) under a legend title, else "column=value".
    const std::string value_words = request.raw_keys ? series : name_words(series);
    std::string title = request.series.empty() ? "" : words.legend_title.empty() ? request.series + "=" + series : value_words;
    if (request.y.size() > 1 || title.empty())
      title += (title.empty() ? "" : ", ") + (request.raw_keys ? y : metric_label(y).words);
    // One colour per series value from the palette, so a design looks the same in every figure; several y
    // columns of one series differ by dash pattern.
    const std::string colour = series_colour(request.series.empty() ? y : series, spares);
    const size_t dash = request.series.empty() ? 1 : 1 + std::find(request.y.begin(), request.y.end(), y) - request.y.begin();
    plot += std::string(i ? ", " : "") + gp_quoted((directory / file).string()) + " using 1:2 with " +
            (request.points_only ? "points pointsize 1.5 pointtype " + std::to_string(5 + 2 * int(i))
                                 : "linespoints linewidth 2 pointtype 7 dashtype " + std::to_string(dash)) +
            " linecolor rgb " + gp_quoted(colour) + " title " + gp_quoted(title);
  }
  files.script = script + plot + "\n";
  files.series = lines.size();
  return files;
}

}  // namespace plot_detail

std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    if (folder.empty()) continue;
    const std::string candidate = folder + "/gnuplot";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

PlotFiles compose_plot(const PlotRequest& request, const std::string& directory, const std::string& output) {
  using namespace plot_detail;
  const Table table = load_table(request);
  return request.kind == PlotRequest::Kind::line ? line_script(request, table, directory, output)
                                                 : breakdown_script(request, table, directory, output);
}

void plot_sweep(const PlotRequest& request) {
  if (request.output.empty()) throw PlotError("--output: give the PNG file to write");
  // A bad output path should fail here with its name, not inside gnuplot; the image appears whole.
  std::unique_ptr<AtomicFile> image;
  try {
    image = std::make_unique<AtomicFile>(request.output);
  } catch (const std::runtime_error&) {
    throw PlotError("--output: cannot write '" + request.output + "'");
  }
  std::optional<TempDir> temporary;
  if (request.script_directory.empty()) temporary.emplace();
  const fs::path directory = temporary ? temporary->path() : fs::path(request.script_directory);
  const PlotFiles files = compose_plot(request, directory.string(), image->temporary_path());
  run_gnuplot(directory, files.script, image->temporary_path());
  image->commit();
  if (!request.script_directory.empty()) {
    // A kept script is run again by hand: it draws into the image's own name, not the temporary one.
    std::string script = files.script;
    const std::string drawn = gp_quoted(image->temporary_path());
    script.replace(script.find(drawn), drawn.size(), gp_quoted(request.output));
    write_text(directory / "plot.gp", script);
  }
}

}  // namespace aqpim::apps
