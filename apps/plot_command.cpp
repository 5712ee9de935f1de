// `aqpim plot`: PNG plots of a sweep table through gnuplot (see apps/plot.h).
#include <iostream>

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
  request.stack_prefix = vm["stack"].as<std::string>();
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
                "stack", po::value<std::string>()->value_name("PREFIX")->default_value("latency_s.phases."),
                "breakdown: stack the columns starting with PREFIX")(
                "where", po::value<std::vector<std::string>>()->composing()->value_name("COLUMN=VALUE"),
                "keep only rows where COLUMN has VALUE (repeatable)")(
                "title", po::value<std::string>()->value_name("TEXT"), "the plot's title");
          },
          run_plot_command};
}

}  // namespace aqpim::apps
