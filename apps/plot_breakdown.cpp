// `aqpim plot --kind breakdown`: per configuration, the host's critical path stacked by phase and, beside it,
// one bar per resource (GPU, PIM, PCIe, and how long GPU and PIM at least ran at once). The resources work at
// the same time, so their bars stand side by side instead of on top of each other: a reader sees how much of
// the PIM's work the GPU's hides, which a stack of the critical path alone cannot show.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "apps/plot.h"
#include "apps/plot_labels.h"
#include "apps/plot_palette.h"
#include "apps/plot_support.h"

namespace aqpim::apps {

namespace {

// The report's group of each stretch: its phases and its busy times (the whole run adds up prefill and decode).
struct Stretch {
  PlotRequest::Per per;
  const char* option;  // as --per names it
  const char* phases;
  std::vector<const char*> busy_groups;
  const char* words;  // "per decode step"
};
const Stretch kStretches[] = {
    {PlotRequest::Per::step, "step", "latency_s.per_decode_step.phases.", {"latency_s.per_decode_step.busy."}, "per decode step"},
    {PlotRequest::Per::layer, "layer", "latency_s.per_prefill_layer.phases.", {"latency_s.per_prefill_layer.busy."},
     "per prefill layer"},
    {PlotRequest::Per::run, "run", "latency_s.phases.", {"latency_s.prefill_busy.", "latency_s.decode_busy."}, "of the whole run"},
};
const char* const kResources[] = {"gpu", "pim", "pcie", "overlap"};

const Stretch& stretch(PlotRequest::Per per) {
  for (const auto& entry : kStretches)
    if (entry.per == per) return entry;
  return kStretches[0];
}

}  // namespace

std::string breakdown_stack_prefix(PlotRequest::Per per) { return stretch(per).phases; }

std::vector<BreakdownLane> breakdown_lanes(PlotRequest::Per per) {
  std::vector<BreakdownLane> lanes;
  for (const char* resource : kResources) {
    lanes.push_back({resource, {}});
    for (const char* group : stretch(per).busy_groups) lanes.back().columns.push_back(std::string(group) + resource);
  }
  return lanes;
}

namespace plot_detail {
namespace {

double number_or_zero(const json& cell) { return cell.is_number() ? cell.get<double>() : 0.0; }

bool nonzero_somewhere(const Table& table, const std::vector<std::string>& columns) {
  for (const auto& row : table.rows)
    for (const auto& column : columns)
      if (number_or_zero(row[column]) != 0.0) return true;
  return false;
}

// The lanes a table can draw: GPU and PIM always (an idle PIM is a finding), PCIe and the overlap when some
// configuration has them; none when the table predates busy times in the report.
std::vector<BreakdownLane> drawn_lanes(const PlotRequest& request, const Table& table) {
  std::vector<BreakdownLane> lanes;
  if (!request.stack_prefix.empty()) return lanes;
  for (auto& lane : breakdown_lanes(request.per)) {
    bool present = true;
    for (const auto& column : lane.columns) present = present && has_column(table, column);
    if (!present) return {};
    if (lane.resource == "gpu" || lane.resource == "pim" || nonzero_somewhere(table, lane.columns))
      lanes.push_back(std::move(lane));
  }
  return lanes;
}

std::vector<std::string> stacked_columns(const PlotRequest& request, const Table& table, const std::string& prefix) {
  // Stack the group's columns that are non-zero somewhere: idle phases would only crowd the legend.
  std::vector<std::string> stacked;
  bool any = false;
  for (const auto& column : table.columns) {
    if (column.rfind(prefix, 0) != 0) continue;
    any = true;
    if (nonzero_somewhere(table, {column})) stacked.push_back(column);
  }
  if (stacked.empty() && !any && request.stack_prefix.empty())
    throw PlotError(std::string("--per ") + stretch(request.per).option + ": '" + request.input + "' has no " + prefix +
                    "* columns (a sweep from before the report had them): run the sweep again, or use --per run");
  if (stacked.empty()) throw PlotError("--stack '" + prefix + "': no non-zero numeric column starts with it");
  return stacked;
}

// A row's bar heights in the table's unit: the stacked columns, then each lane's columns added up.
std::vector<double> bar_values(const json& row, const std::vector<std::string>& stacked,
                               const std::vector<BreakdownLane>& lanes) {
  std::vector<double> values;
  for (const auto& column : stacked) values.push_back(number_or_zero(row[column]));
  for (const auto& lane : lanes) {
    double busy = 0;
    for (const auto& column : lane.columns) busy += number_or_zero(row[column]);
    values.push_back(busy);
  }
  return values;
}

// The configuration's tick label: its parameter values, one per line, in words unless raw.
std::string configuration_label(const PlotRequest& request, const std::vector<std::string>& parameters,
                                const json& row) {
  std::string label;
  for (const auto& parameter : parameters) {
    const std::string value = cell_text(row[parameter]);
    label += (label.empty() ? "" : "\\n") + double_quotable(request.raw_keys ? value : name_words(value));
  }
  return label.empty() ? "config " + double_quotable(cell_text(row["config"])) : label;
}

// The varied parameters that differ between the rows drawn (a --where slice fixes some): the others are said
// once, in the title, instead of under every bar.
std::vector<std::string> differing_parameters(const Table& table, std::string& fixed) {
  std::vector<std::string> differing;
  for (const auto& parameter : table.parameters) {
    bool same = true;
    for (const auto& row : table.rows) same = same && row[parameter] == table.rows.front()[parameter];
    if (!same || table.rows.size() == 1) {
      differing.push_back(parameter);
      continue;
    }
    const std::string label = parameter_label(parameter);
    const auto open = label.rfind(" (");
    const std::string name = label.empty() ? parameter : label.substr(0, open);
    const std::string unit = open == std::string::npos ? "" : " " + label.substr(open + 2, label.size() - open - 3);
    fixed += (fixed.empty() ? "" : ", ") + lowered(name) + " " + cell_text(table.rows.front()[parameter]) + unit;
  }
  return differing;
}

struct BreakdownWords {
  std::string title, y_label, x_label;
};
BreakdownWords breakdown_words(const PlotRequest& request, const std::vector<std::string>& parameters,
                               const std::string& fixed, const std::string& prefix, const DisplayUnit& unit, bool lanes) {
  BreakdownWords words;
  for (const auto& parameter : parameters) {
    const std::string label = parameter_label(parameter);
    words.x_label += (words.x_label.empty() ? "" : " / ") + (request.raw_keys || label.empty() ? parameter : label);
  }
  if (request.raw_keys) {
    words.title = prefix + "* per configuration";
    words.y_label = prefix + "*" + (unit.unit.empty() ? "" : " [" + unit.unit + "]");
  } else if (request.stack_prefix.empty()) {
    const std::string per = stretch(request.per).words;
    words.title = "Time " + per + ": critical path by phase" + (lanes ? ", busy time per resource" : "");
    words.y_label = with_unit("Time " + per, unit.unit);
  } else {
    words.title = "Breakdown of " + prefix + "* per configuration";
    words.y_label = with_unit(metric_label(prefix + "x").quantity == Quantity::none ? prefix + "*" : "Amount", unit.unit);
  }
  if (!fixed.empty()) words.title += " (" + fixed + ")";
  if (!request.title.empty()) words.title = request.title;
  return words;
}

}  // namespace

PlotFiles breakdown_script(const PlotRequest& request, const Table& table, const fs::path& directory,
                           const std::string& output) {
  const std::string prefix = request.stack_prefix.empty() ? breakdown_stack_prefix(request.per) : request.stack_prefix;
  const std::vector<std::string> stacked = stacked_columns(request, table, prefix);
  const std::vector<BreakdownLane> lanes = drawn_lanes(request, table);
  // Per row: the stacked values, then each lane's busy time (summed over its columns).
  std::vector<std::vector<double>> values;
  double largest = 0;  // one unit for the whole axis, from the tallest bar
  for (const auto& row : table.rows) {
    values.push_back(bar_values(row, stacked, lanes));
    double stack = 0;
    for (size_t i = 0; i < stacked.size(); ++i) stack += values.back()[i];
    largest = std::max({largest, stack, *std::max_element(values.back().begin(), values.back().end())});
  }
  const DisplayUnit unit = display_unit(metric_label(stacked.front()).quantity, largest);
  std::string fixed;
  const std::vector<std::string> parameters = differing_parameters(table, fixed);
  // Data: index, then the values in `unit`.
  std::string data, tics;
  const size_t group = lanes.empty() ? 1 : lanes.size() + 2;  // bars per configuration, a gap included
  for (size_t index = 0; index < table.rows.size(); ++index) {
    const double centre = double(index * group) + (lanes.empty() ? 0.0 : 0.5 * double(lanes.size()));
    // Double quotes so gnuplot turns \n into line breaks; configuration_label() keeps the cells' text inert.
    tics += std::string(tics.empty() ? "" : ", ") + "\"" + configuration_label(request, parameters, table.rows[index]) +
            "\" " + number_text(centre);
    data += std::to_string(index);
    for (double value : values[index]) {
      char text[32];
      std::snprintf(text, sizeof text, " %.17g", value * unit.scale);
      data += text;
    }
    data += "\n";
  }
  const fs::path bars = directory / "bars.dat";
  write_text(bars, data);
  PlotFiles files;
  files.data_files.push_back(bars.string());
  files.series = stacked.size();
  files.lanes = lanes.size();
  files.unit_scale = unit.scale;

  const BreakdownWords words = breakdown_words(request, parameters, fixed, prefix, unit, !lanes.empty());
  const size_t slots = table.rows.size() * group;
  const int width = std::max(1000, std::min(2400, 360 + (lanes.empty() ? 110 : 42) * int(slots)));
  std::string script = preamble(output, words.title, width, 640);
  char range[96];
  std::snprintf(range, sizeof range, "set xrange [-0.8:%g]\n", double(slots - group) + double(lanes.size()) + 0.8);
  script += std::string("set style fill solid 0.9 border -1\nset boxwidth ") + (lanes.empty() ? "0.7" : "0.8") +
            " absolute\nset key outside right top\nset yrange [0:*]\nset grid noxtics\nset ylabel " +
            gp_quoted(words.y_label) + "\nset format y '%g'\nset xtics (" + tics + ")\n" + range;
  // Multi-line tick labels: push the axis label below their extra lines.
  if (!words.x_label.empty())
    script += "set xlabel " + gp_quoted(words.x_label) + " offset 0,-" + std::to_string(std::max<size_t>(1, parameters.size()) - 1) + "\n";
  if (table.rows.size() > 24) script += "set xtics rotate by -45 left\n";
  script += "set bmargin " + std::to_string(4 + std::max<size_t>(1, parameters.size())) + "\n";

  // The stack is drawn top down as running sums, each box over the lower ones, so the legend lists phases
  // in the order they are stacked from the top.
  const std::string file = gp_quoted(bars.string()), x = "($1*" + std::to_string(group) + ")";
  std::string plot = "plot ";
  size_t spares = 0;
  for (size_t i = stacked.size(); i-- > 0;) {
    const std::string name = stacked[i].substr(prefix.size());
    plot += std::string(plot.size() > 5 ? ", " : "") + file + " using " + x + ":(sum [c=2:" + std::to_string(i + 2) +
            "] column(c)) with boxes linecolor rgb " + gp_quoted(series_colour(name, spares)) + " title " +
            gp_quoted(request.raw_keys ? name : name_words(name));
  }
  for (size_t j = 0; j < lanes.size(); ++j)
    plot += ", " + file + " using ($1*" + std::to_string(group) + "+" + std::to_string(j + 1) + "):" +
            std::to_string(stacked.size() + 2 + j) + " with boxes linecolor rgb " +
            gp_quoted(series_colour(lanes[j].resource, spares)) + " title " +
            gp_quoted(request.raw_keys ? lanes[j].resource : name_words(lanes[j].resource));
  // The critical path's length above its stack.
  plot += ", " + file + " using " + x + ":(sum [c=2:" + std::to_string(stacked.size() + 1) +
          "] column(c)):(sprintf('%.3g', sum [c=2:" + std::to_string(stacked.size() + 1) +
          "] column(c))) with labels offset 0,0.7 notitle";
  files.script = script + plot + "\n";
  return files;
}

}  // namespace plot_detail
}  // namespace aqpim::apps
