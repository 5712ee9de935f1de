// PNG plots of a sweep table (apps/sweep.h) through gnuplot: a metric against a parameter with one line
// per series, or a breakdown per configuration: the host's critical path stacked by phase (per decode step,
// per prefill layer or for the whole run) beside the busy time of each resource, or a stack of any column
// group. Colours come from one palette (apps/plot_palette.h), words and units from apps/plot_labels.h.
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
  std::string title;   // default: in words, from the columns (raw_keys: the columns' names)
  bool raw_keys = false;  // titles, axes and legends name the table's columns instead of saying them in words
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
  // breakdown: which stretch of the run is broken down (the report's latency_s.per_decode_step,
  // latency_s.per_prefill_layer, or the whole run's latency_s.phases and busy times).
  enum class Per { step, layer, run };
  Per per = Per::step;
  // breakdown: stack every column starting with this prefix instead (e.g. "traffic_bytes."), no lanes.
  std::string stack_prefix;
  // Only rows whose column equals the value (as written in sweep.csv).
  std::vector<std::pair<std::string, std::string>> where;
  // When set, the gnuplot script (plot.gp) and its data files are written to, and kept in, this directory
  // (which must exist) instead of a temporary one: to check or tweak a plot.
  std::string script_directory;
};

// What a plot is made of: the gnuplot script (drawing into `output`) and the data files it reads, one per
// line of a line plot, one for all bars of a breakdown (values in the axis's unit: unit_scale x the table's).
struct PlotFiles {
  std::string script;
  std::vector<std::string> data_files;
  size_t series = 0;  // lines, or stacked columns
  size_t lanes = 0;   // breakdown: resource bars beside each stack
  double unit_scale = 1;
};
// The resources a latency breakdown draws beside its stack, in order, and the columns each adds up.
struct BreakdownLane {
  std::string resource;              // palette name: gpu, pim, pcie, overlap
  std::vector<std::string> columns;  // summed
};
std::vector<BreakdownLane> breakdown_lanes(PlotRequest::Per per);
std::string breakdown_stack_prefix(PlotRequest::Per per);  // the phases' columns
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
