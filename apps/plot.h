// PNG plots of a sweep table (apps/sweep.h) through gnuplot: a metric against a parameter with one line
// per series, or a stacked bar per configuration of a group of columns (by default the latency phases).
// The data and the gnuplot script are written to a temporary directory, gnuplot renders, the directory goes.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace aqpim::apps {

// The user asked for something the table cannot give (unknown column, ambiguous rows...): one line, even
// when it quotes the table's own text (a column name may hold a line break).
class PlotError : public std::invalid_argument {
 public:
  explicit PlotError(const std::string& message);
};

struct PlotRequest {
  enum class Kind { line, breakdown };
  Kind kind = Kind::line;
  std::string input;   // sweep.json
  std::string output;  // PNG
  std::string title;   // default: derived from the columns
  // line: x against one or more y columns, one line per distinct value of `series` (optional) and per y.
  std::string x;
  std::vector<std::string> y;
  std::string series;
  bool log_x = false;  // also chosen automatically for powers of two spanning >= 8x
  bool log_y = false;  // values spanning orders of magnitude (e.g. decode latency with and without offload)
  bool points_only = false;  // line: a scatter (rows may share an x), no connecting lines
  // Words for the axes and the legend (default: the column names, each line titled "series=value"); with a
  // legend title the lines are titled by their series value alone.
  std::string x_label, y_label, legend_title;
  std::string legend_position = "top left";  // gnuplot's words: where the data leave room
  // line: tick labels in words at given x values (default: ticks at the swept values, as numbers).
  std::vector<std::pair<double, std::string>> x_ticks;
  // breakdown: stacks every column starting with this prefix, one bar per configuration.
  std::string stack_prefix = "latency_s.phases.";
  // Only rows whose column equals the value (as written in sweep.csv).
  std::vector<std::pair<std::string, std::string>> where;
  // When set, the gnuplot script (plot.gp) and its data files are written to, and kept in, this directory
  // (which must exist) instead of a temporary one: to check or tweak a plot.
  std::string script_directory;
};

// What a plot is made of: the gnuplot script (drawing into `output`) and the data files it reads, one per
// line of a line plot, one for all bars of a breakdown.
struct PlotFiles {
  std::string script;
  std::vector<std::string> data_files;
  size_t series = 0;  // lines, or stacked columns
};
// Reads the table and writes the data files into `directory`; throws PlotError for bad requests and for an
// input that is not a sweep table (truncated, corrupt, another document).
PlotFiles compose_plot(const PlotRequest& request, const std::string& directory, const std::string& output);

// compose_plot() into a temporary directory (or request.script_directory), then gnuplot renders
// request.output, which appears whole. Throws PlotError for bad requests, std::runtime_error when gnuplot is
// missing or fails.
void plot_sweep(const PlotRequest& request);

// The gnuplot binary in PATH, or "" when there is none.
std::string find_gnuplot();

}  // namespace aqpim::apps
