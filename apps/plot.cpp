#include "apps/plot.h"
#include "apps/cli_options.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

extern char** environ;

namespace aqpim::apps {

PlotError::PlotError(const std::string& message) : std::invalid_argument(one_line(message)) {}

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// What sweep.csv shows for a cell, so --where and labels read the same as the table.
std::string cell_text(const json& value) {
  if (value.is_null()) return "";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// gnuplot single-quoted strings escape a quote by doubling it; a line break would end the command (and
// start another from the table's text), so control characters become '_'.
std::string gp_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("''") : std::string(1, static_cast<unsigned char>(c) < 0x20 ? '_' : c);
  return out + "'";
}

// A table cell's text inside a gnuplot double-quoted string, where backslashes are escapes and backquotes
// run commands: those characters, quotes and control characters become '_', so a table cannot inject
// anything into the script.
std::string double_quotable(std::string text) {
  for (char& c : text)
    if (c == '"' || c == '\\' || c == '`' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return text;
}

// Unit and tick format from the column's name (the report names its groups by unit: latency_s, kv_bytes).
struct Axis {
  std::string label, format;
};
Axis metric_axis(const std::string& column) {
  const auto has = [&](const char* part) { return column.find(part) != std::string::npos; };
  const bool seconds = column.rfind("latency_s.", 0) == 0 || column == "wall_seconds" ||
                       (column.size() > 2 && column.compare(column.size() - 2, 2, "_s") == 0);
  if (seconds) return {column + " [s]", "%.1s %cs"};
  if (has("bytes")) return {column + " [bytes]", "%.1s %cB"};
  if (has("flops")) return {column + " [FLOP]", "%.1s %cFLOP"};
  return {column, "%g"};
}

struct Table {
  std::vector<std::string> columns;
  std::vector<std::string> parameters;  // the varied ones: between "config" and "status"
  std::vector<json> rows;               // status "ok", after --where
};

// The table's shape as `aqpim sweep` writes it; anything else (another JSON document, a truncated or
// edited file) is a PlotError naming the input.
void check_table_shape(const json& document, const std::string& input) {
  const auto not_a_table = [&](const std::string& why) {
    return PlotError("--input '" + input + "' is not a sweep table (" + why + "); aqpim sweep writes sweep.json");
  };
  if (!document.is_object() || !document.contains("columns") || !document.contains("rows"))
    throw not_a_table("no columns and rows");
  const json& columns = document["columns"];
  if (!columns.is_array()) throw not_a_table("columns is not a list");
  for (const auto& column : columns)
    if (!column.is_string()) throw not_a_table("a column name is not a string");
  if (!document["rows"].is_array()) throw not_a_table("rows is not a list");
  for (const auto& row : document["rows"]) {
    if (!row.is_object()) throw not_a_table("a row is not an object");
    for (const auto& column : columns)
      if (!row.contains(column.get<std::string>())) throw not_a_table("a row lacks column '" + column.get<std::string>() + "'");
  }
}

Table load_table(const PlotRequest& request) {
  std::ifstream in(request.input, std::ios::binary);
  if (!in) throw PlotError("--input: cannot read '" + request.input + "'");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::exception& error) {
    throw PlotError("--input '" + request.input + "' is not valid JSON (truncated or corrupt)");
  }
  check_table_shape(document, request.input);
  Table table;
  table.columns = document["columns"].get<std::vector<std::string>>();
  const auto status = std::find(table.columns.begin(), table.columns.end(), "status");
  if (table.columns.size() >= 2 && status != table.columns.end())
    table.parameters.assign(table.columns.begin() + 1, status);
  for (const auto& [key, value] : request.where)
    if (std::find(table.columns.begin(), table.columns.end(), key) == table.columns.end())
      throw PlotError("--where '" + key + "': not a column of '" + request.input + "'");
  for (auto& row : document["rows"]) {
    if (row.value("status", json()) != "ok") continue;
    bool keep = true;
    for (const auto& [key, value] : request.where) keep = keep && cell_text(row[key]) == value;
    if (keep) table.rows.push_back(std::move(row));
  }
  if (table.rows.empty())
    throw PlotError("'" + request.input + "' has no successful rows" + (request.where.empty() ? "" : " matching --where"));
  return table;
}

void require_column(const Table& table, const std::string& option, const std::string& column, bool numeric) {
  if (std::find(table.columns.begin(), table.columns.end(), column) == table.columns.end()) {
    std::string names;
    for (const auto& name : table.columns)
      if (name != "error" && name != "status") names += (names.empty() ? "" : ", ") + name;
    throw PlotError(option + " '" + column + "': not a column; columns: " + names);
  }
  if (numeric)
    for (const auto& row : table.rows)
      if (!row[column].is_number())
        throw PlotError(option + " '" + column + "': expected numbers, config " + cell_text(row["config"]) + " has '" +
                        cell_text(row[column]) + "'");
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
}

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

std::string preamble(const PlotRequest& request, const std::string& output, const std::string& title, int width,
                     int height) {
  return "set terminal pngcairo size " + std::to_string(width) + "," + std::to_string(height) +
         " font 'DejaVu Sans,11' noenhanced\n"
         "set output " + gp_quoted(output) + "\n"
         "set title " + gp_quoted(request.title.empty() ? title : request.title) + "\n"
         "set grid\n";
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
  const Axis y_axis = metric_axis(request.y.size() == 1 ? request.y.front() : request.y.front());
  PlotFiles files;
  std::string script = preamble(request, output, (request.y.size() == 1 ? request.y.front() : std::string("metrics")) +
                                                     " vs " + request.x, 1000, 620);
  const std::string default_y_label =
      request.y.size() == 1 ? y_axis.label : "value [" + y_axis.label.substr(y_axis.label.find('[') + 1);
  script += "set xlabel " + gp_quoted(request.x_label.empty() ? request.x : request.x_label) + "\nset ylabel " +
            gp_quoted(request.y_label.empty() ? default_y_label : request.y_label) + "\nset format y " +
            gp_quoted(y_axis.format) + "\nset key " + request.legend_position + " box opaque width 3\n" +
            (request.legend_title.empty() ? "" : "set key title " + gp_quoted(request.legend_title) + "\n") +
            (request.log_y ? "set logscale y 10\nset yrange [*:*]\n" : "set yrange [0:*]\n");
  script += x_axis_script(request, xs);
  std::string plot = "plot ";
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& [series, y] = lines[i];
    std::string data;
    for (const auto& [x, value] : points[lines[i]]) {
      char text[64];
      std::snprintf(text, sizeof text, "%.17g %.17g\n", x, value);
      data += text;
    }
    const std::string file = "line" + std::to_string(i) + ".dat";
    write_text(directory / file, data);
    files.data_files.push_back((directory / file).string());
    std::string title = request.series.empty() ? "" : request.legend_title.empty() ? request.series + "=" + series : series;
    if (request.y.size() > 1 || title.empty()) title += (title.empty() ? "" : ", ") + y;
    plot += std::string(i ? ", " : "") + gp_quoted((directory / file).string()) + " using 1:2 with " +
            (request.points_only ? "points pointsize 1.5 pointtype " + std::to_string(5 + 2 * int(i))
                                 : std::string("linespoints linewidth 2 pointtype 7")) +
            " title " + gp_quoted(title);
  }
  files.script = script + plot + "\n";
  files.series = lines.size();
  return files;
}

PlotFiles breakdown_script(const PlotRequest& request, const Table& table, const fs::path& directory,
                           const std::string& output) {
  // Stack the group's columns that are non-zero somewhere: idle phases would only crowd the legend.
  std::vector<std::string> stacked;
  for (const auto& column : table.columns) {
    if (column.rfind(request.stack_prefix, 0) != 0) continue;
    bool used = false;
    for (const auto& row : table.rows) used = used || (row[column].is_number() && row[column].get<double>() != 0.0);
    if (used) stacked.push_back(column);
  }
  if (stacked.empty()) throw PlotError("--stack '" + request.stack_prefix + "': no non-zero numeric column starts with it");
  std::string data, tics;
  for (size_t index = 0; index < table.rows.size(); ++index) {
    const auto& row = table.rows[index];
    // Values only, one line per parameter; the x label names the parameters once.
    std::string label;
    for (const auto& parameter : table.parameters)
      label += (label.empty() ? "" : "\\n") + double_quotable(cell_text(row[parameter]));
    if (label.empty()) label = "config " + double_quotable(cell_text(row["config"]));
    // Double quotes so gnuplot turns \n into line breaks; double_quotable() keeps the cells' text inert.
    tics += std::string(tics.empty() ? "" : ", ") + "\"" + label + "\" " + std::to_string(index);
    data += std::to_string(index);
    for (const auto& column : stacked) {
      char text[32];
      std::snprintf(text, sizeof text, " %.17g", row[column].is_number() ? row[column].get<double>() : 0.0);
      data += text;
    }
    data += "\n";
  }
  write_text(directory / "bars.dat", data);
  PlotFiles files;
  files.data_files.push_back((directory / "bars.dat").string());
  const Axis axis = metric_axis(stacked.front());
  const std::string unit = axis.label.find('[') == std::string::npos ? "" : " " + axis.label.substr(axis.label.find('['));
  const int width = std::max(800, std::min(2400, 260 + 110 * int(table.rows.size())));
  std::string script = preamble(request, output, request.stack_prefix + "* per configuration", width, 620);
  script += "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.85 border -1\n"
            "set boxwidth 0.7\nset key outside right top\nset yrange [0:*]\nset ylabel " +
            gp_quoted(request.stack_prefix + "*" + unit) + "\nset format y " + gp_quoted(axis.format) + "\nset xtics (" +
            tics + ")\n";
  std::string names;
  for (const auto& parameter : table.parameters) names += (names.empty() ? "" : " / ") + parameter;
  // Multi-line tick labels: push the axis label below their extra lines.
  if (!names.empty())
    script += "set xlabel " + gp_quoted(names) + " offset 0,-" + std::to_string(table.parameters.size() - 1) + "\n";
  if (table.rows.size() > 24) script += "set xtics rotate by -45 left\n";
  script += "set bmargin " + std::to_string(4 + std::max<size_t>(1, table.parameters.size())) + "\n";
  std::string plot = "plot ";
  for (size_t i = 0; i < stacked.size(); ++i)
    plot += std::string(i ? ", " : "") + gp_quoted((directory / "bars.dat").string()) + " using " + std::to_string(i + 2) +
            " title " + gp_quoted(stacked[i].substr(request.stack_prefix.size()));
  files.script = script + plot + "\n";
  files.series = stacked.size();
  return files;
}

}  // namespace

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
