// `aqpim plot`: PNG plots of a sweep table through gnuplot (see apps/plot.h).
#include <algorithm>
#include <iostream>
#include <iterator>
#include <utility>

#include "apps/cli_options.h"
#include "apps/plot.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

int run_plot_command(const po::variables_map& vm, const platform::PlatformParams&) {
  if (vm.count("set") || vm.count("config"))
    throw UsageError("plot reads a sweep table; --set and --config do not apply (see 'aqpim plot --help')");
  apps::PlotRequest request;
  const std::string kind = vm["kind"].as<std::string>();
  if (kind == "line")
    request.kind = apps::PlotRequest::Kind::line;
  else if (kind == "breakdown")
    request.kind = apps::PlotRequest::Kind::breakdown;
  else
    throw UsageError("--kind: expected one of line, breakdown, got '" + kind + "'");
  request.input = vm["input"].as<std::string>();
  if (!vm.count("output")) throw UsageError("--output PNG: give the image to write");
  request.output = vm["output"].as<std::string>();
  if (vm.count("title")) request.title = vm["title"].as<std::string>();
  if (vm.count("x")) request.x = vm["x"].as<std::string>();
  if (vm.count("y")) request.y = vm["y"].as<std::vector<std::string>>();
  if (vm.count("series")) request.series = vm["series"].as<std::string>();
  request.log_x = vm.count("logx") > 0;
  request.log_y = vm.count("logy") > 0;
  if (vm.count("stack")) request.stack_prefix = vm["stack"].as<std::string>();
  request.raw_keys = vm.count("raw-keys") > 0;
  const std::string per = vm["per"].as<std::string>();
  const std::pair<const char*, apps::PlotRequest::Per> pers[] = {
      {"step", apps::PlotRequest::Per::step}, {"layer", apps::PlotRequest::Per::layer}, {"run", apps::PlotRequest::Per::run}};
  const auto chosen = std::find_if(std::begin(pers), std::end(pers), [&](const auto& entry) { return per == entry.first; });
  if (chosen == std::end(pers)) throw UsageError("--per: expected one of step, layer, run, got '" + per + "'");
  request.per = chosen->second;
  if (vm.count("where"))
    for (const auto& condition : vm["where"].as<std::vector<std::string>>()) {
      const auto equals = condition.find('=');
      if (equals == std::string::npos || equals == 0)
        throw UsageError("--where '" + condition + "': expected COLUMN=VALUE, e.g. --where pim.placement=bank");
      request.where.emplace_back(condition.substr(0, equals), condition.substr(equals + 1));
    }
  if (request.kind == apps::PlotRequest::Kind::line && request.x.empty())
    throw UsageError("--kind line needs --x COLUMN and --y COLUMN");
  try {
    apps::plot_sweep(request);
  } catch (const apps::PlotError& error) {
    throw UsageError(error.what());
  }
  std::cout << "plot: wrote " << request.output << "\n";
  return kExitOk;
}

}  // namespace

Subcommand plot_subcommand() {
  return {"plot", "draw a PNG from a sweep table (a metric per parameter, or a latency breakdown) with gnuplot",
          [](po::options_description& options) {
            options.add_options()("input,i", po::value<std::string>()->value_name("FILE")->default_value("sweep/sweep.json"),
                                  "the sweep table (DIR/sweep.json of 'aqpim sweep')")(
                "output,o", po::value<std::string>()->value_name("PNG"), "the image to write (required)")(
                "kind,k", po::value<std::string>()->value_name("line|breakdown")->default_value("line"),
                "line: --y against --x, one line per --series value; breakdown: one stacked bar per configuration")(
                "x", po::value<std::string>()->value_name("COLUMN"), "line: the x axis, a varied parameter")(
                "y", po::value<std::vector<std::string>>()->composing()->value_name("COLUMN"),
                "line: the metric(s) to plot (repeatable), e.g. latency_s.decode_per_step")(
                "series", po::value<std::string>()->value_name("COLUMN"), "line: one line per value of this column")(
                "logx", "line: logarithmic x axis (automatic for powers of two)")(
                "logy", "line: logarithmic y axis (every plotted value must be > 0)")(
                "per", po::value<std::string>()->value_name("step|layer|run")->default_value("step"),
                "breakdown: the mean decode step, the mean prefill layer or the whole run: its critical path by phase "
                "beside each resource's busy time")(
                "stack", po::value<std::string>()->value_name("PREFIX"),
                "breakdown: stack the columns starting with PREFIX instead (e.g. traffic_bytes.), no resource bars")(
                "raw-keys", "titles, axes and legends name the table's columns instead of saying them in words")(
                "where", po::value<std::vector<std::string>>()->composing()->value_name("COLUMN=VALUE"),
                "keep only rows where COLUMN has VALUE (repeatable)")(
                "title", po::value<std::string>()->value_name("TEXT"), "the plot's title");
          },
          run_plot_command};
}

}  // namespace aqpim::apps
