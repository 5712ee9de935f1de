// `aqpim plot` on a small sweep table: PNGs are written (when gnuplot is installed), and bad requests or a
// missing gnuplot give one line.
#include <sstream>
#include <vector>

#include "apps/plot.h"
#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

using nlohmann::json;

// A table shaped like `aqpim sweep` writes it; the figures are arbitrary inputs. Per decode step: scoring
// 3 units and value 1 unit of critical path, the GPU busy 2 units and the PIM 4 (so they overlap); PCIe idle.
std::string write_table(const std::string& directory) {
  json table;
  table["columns"] = {"config", "workload.context_tokens", "pim.placement", "status", "exit_code",
                      "latency_s.decode_per_step", "latency_s.phases.scoring", "latency_s.phases.value",
                      "latency_s.per_decode_step.phases.scoring", "latency_s.per_decode_step.phases.value",
                      "latency_s.per_decode_step.busy.gpu", "latency_s.per_decode_step.busy.pim",
                      "latency_s.per_decode_step.busy.pcie", "latency_s.per_decode_step.busy.overlap",
                      "latency_s.prefill_busy.gpu", "latency_s.prefill_busy.pim", "latency_s.prefill_busy.pcie",
                      "latency_s.prefill_busy.overlap", "latency_s.decode_busy.gpu", "latency_s.decode_busy.pim",
                      "latency_s.decode_busy.pcie", "latency_s.decode_busy.overlap", "error"};
  int index = 0;
  for (int tokens : {1024, 2048, 4096})
    for (const char* placement : {"bank", "bank_group"}) {
      const double scale = tokens * (placement[4] ? 2.0 : 1.0) * 1e-9;
      table["rows"].push_back({{"config", index++}, {"workload.context_tokens", tokens}, {"pim.placement", placement},
                               {"status", "ok"}, {"exit_code", 0}, {"latency_s.decode_per_step", scale},
                               {"latency_s.phases.scoring", scale * 3}, {"latency_s.phases.value", scale},
                               {"latency_s.per_decode_step.phases.scoring", scale * 3},
                               {"latency_s.per_decode_step.phases.value", scale},
                               {"latency_s.per_decode_step.busy.gpu", scale * 2},
                               {"latency_s.per_decode_step.busy.pim", scale * 4},
                               {"latency_s.per_decode_step.busy.pcie", 0.0},
                               {"latency_s.per_decode_step.busy.overlap", scale * 2},
                               {"latency_s.prefill_busy.gpu", scale * 10}, {"latency_s.prefill_busy.pim", scale * 5},
                               {"latency_s.prefill_busy.pcie", 0.0}, {"latency_s.prefill_busy.overlap", 0.0},
                               {"latency_s.decode_busy.gpu", scale * 20}, {"latency_s.decode_busy.pim", scale * 40},
                               {"latency_s.decode_busy.pcie", scale}, {"latency_s.decode_busy.overlap", 0.0},
                               {"error", nullptr}});
    }
  const std::string path = directory + "/sweep.json";
  std::ofstream(path) << table.dump();
  return path;
}

// A line plot of `y` against `x`, one line per value of `series`.
apps::PlotRequest line_request(const std::string& input, const std::string& x, const std::string& y,
                               const std::string& series) {
  apps::PlotRequest request;
  request.input = input;
  request.x = x;
  request.y = {y};
  request.series = series;
  return request;
}

bool is_png(const std::string& path) {
  const std::string bytes = read_file(path);
  return bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

TEST(Plot, LineAndBreakdownPngs) {
  if (apps::find_gnuplot().empty()) GTEST_SKIP() << "gnuplot is not installed";
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  const auto line = run_aqpim("plot --input " + table + " --x workload.context_tokens --y latency_s.decode_per_step "
                              "--series pim.placement --output " + directory + "/line.png");
  ASSERT_EQ(line.exit_code, 0) << line.err;
  EXPECT_TRUE(is_png(directory + "/line.png"));
  const auto bars = run_aqpim("plot --kind breakdown --input " + table + " --output " + directory + "/bars.png");
  ASSERT_EQ(bars.exit_code, 0) << bars.err;
  EXPECT_TRUE(is_png(directory + "/bars.png"));
  const auto filtered = run_aqpim("plot --input " + table + " --x workload.context_tokens --y latency_s.decode_per_step "
                                  "--where pim.placement=bank --output " + directory + "/bank.png");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_TRUE(is_png(directory + "/bank.png"));
  const auto logarithmic = run_aqpim("plot --input " + table + " --x workload.context_tokens --y latency_s.decode_per_step "
                                     "--series pim.placement --logy --output " + directory + "/log.png");
  ASSERT_EQ(logarithmic.exit_code, 0) << logarithmic.err;
  EXPECT_TRUE(is_png(directory + "/log.png"));
}

// The numbers in a data file, line by line.
std::vector<std::vector<double>> data_rows(const std::string& path) {
  std::vector<std::vector<double>> rows;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    rows.emplace_back();
    for (double value; fields >> value;) rows.back().push_back(value);
  }
  return rows;
}

// What is plotted, independent of gnuplot: one data file per line with the table's points, the script
// plotting each of them once.
TEST(Plot, LinePlotHasOneSeriesPerPlacementWithTheTablesPoints) {
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  auto request = line_request(table, "workload.context_tokens", "latency_s.decode_per_step", "pim.placement");
  const apps::PlotFiles files = apps::compose_plot(request, directory, directory + "/out.png");
  ASSERT_EQ(files.series, 2u);
  ASSERT_EQ(files.data_files.size(), 2u);
  size_t plotted = 0;
  for (size_t at = 0; (at = files.script.find(" using 1:2 ", at)) != std::string::npos; ++at) ++plotted;
  EXPECT_EQ(plotted, 2u);
  // In words: the parameter table's descriptions and the metric table, with the unit the values are shown in.
  EXPECT_NE(files.script.find("set key title 'Where processing units sit'"), std::string::npos) << files.script;
  EXPECT_NE(files.script.find("title 'bank_group'"), std::string::npos) << files.script;
  EXPECT_NE(files.script.find("set xlabel 'Context length (tokens)'"), std::string::npos) << files.script;
  EXPECT_NE(files.script.find("set ylabel 'Decode latency per step (us)'"), std::string::npos) << files.script;
  EXPECT_NE(files.script.find("set title 'Decode latency per step vs context length'"), std::string::npos) << files.script;
  // write_table: decode_per_step = tokens x 1e-9 s, doubled for bank_group: at most 8.2 us, so shown in us.
  EXPECT_EQ(files.unit_scale, 1e6);
  for (size_t line = 0; line < 2; ++line) {
    const auto rows = data_rows(files.data_files[line]);
    ASSERT_EQ(rows.size(), 3u);
    const double factor = line == 0 ? 1.0 : 2.0;
    for (size_t i = 0; i < 3; ++i) {
      const double tokens = 1024.0 * double(1 << i);
      EXPECT_EQ(rows[i], (std::vector<double>{tokens, tokens * factor * 1e-9 * 1e6})) << "line " << line << " point " << i;
    }
  }
  // With the raw keys flag, the table's column names instead.
  request.raw_keys = true;
  const std::string raw = apps::compose_plot(request, directory, directory + "/out.png").script;
  EXPECT_NE(raw.find("title 'pim.placement=bank'"), std::string::npos) << raw;
  EXPECT_NE(raw.find("set xlabel 'workload.context_tokens'"), std::string::npos) << raw;
  EXPECT_NE(raw.find("set ylabel 'latency_s.decode_per_step [s]'"), std::string::npos) << raw;
}

// Series named in the palette keep its colours in every plot; a design's value reads in words.
TEST(Plot, DesignsKeepTheirPaletteColour) {
  const std::string directory = fresh_directory("plot");
  json table;
  table["columns"] = {"config", "sim.design", "workload.batch", "status", "latency_s.decode_per_step"};
  int index = 0;
  for (const char* design : {"gpu_offload", "aqpim"})
    for (int batch : {1, 2})
      table["rows"].push_back({{"config", index++}, {"sim.design", design}, {"workload.batch", batch}, {"status", "ok"},
                               {"latency_s.decode_per_step", batch == 1 ? 0.006 : 1.1}});
  std::ofstream(directory + "/sweep.json") << table.dump();
  auto request = line_request(directory + "/sweep.json", "workload.batch", "latency_s.decode_per_step", "sim.design");
  const std::string script = apps::compose_plot(request, directory, directory + "/out.png").script;
  EXPECT_NE(script.find("linecolor rgb '#d62728' title 'AQPIM'"), std::string::npos) << script;
  EXPECT_NE(script.find("linecolor rgb '#2b2b2b' title 'GPU (KV offload)'"), std::string::npos) << script;
  // 6 ms .. 1.1 s: seconds on a linear axis (the top matters), ms on a log axis (the middle decade).
  EXPECT_NE(script.find("set ylabel 'Decode latency per step (s)'"), std::string::npos) << script;
  request.log_y = true;
  const std::string log = apps::compose_plot(request, directory, directory + "/out.png").script;
  EXPECT_NE(log.find("set ylabel 'Decode latency per step (ms)'"), std::string::npos) << log;
}

// The bars' data: per row the stacked phases, then the lanes (GPU, PIM; PCIe and the overlap only when some row
// has them), in the axis's unit.
std::vector<std::vector<double>> breakdown_rows(apps::PlotRequest::Per per, apps::PlotFiles& files) {
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  apps::PlotRequest request;
  request.kind = apps::PlotRequest::Kind::breakdown;
  request.per = per;
  request.input = table;
  files = apps::compose_plot(request, directory, directory + "/out.png");
  EXPECT_EQ(files.data_files.size(), 1u);
  return data_rows(files.data_files.at(0));
}

TEST(Plot, BreakdownPerDecodeStepStacksPhasesBesideTheResources) {
  apps::PlotFiles files;
  const auto rows = breakdown_rows(apps::PlotRequest::Per::step, files);
  EXPECT_EQ(files.series, 2u);  // scoring and value
  EXPECT_EQ(files.lanes, 3u);   // GPU, PIM, overlap; PCIe idle in every row
  EXPECT_EQ(files.unit_scale, 1e6);  // the tallest bar, PIM: 4 x 8.192 us
  ASSERT_EQ(rows.size(), 6u);
  for (size_t index = 0; index < 6; ++index) {
    const double scale = 1024.0 * double(1 << (index / 2)) * (index % 2 ? 2.0 : 1.0) * 1e-9;
    EXPECT_EQ(rows[index], (std::vector<double>{double(index), scale * 3 * 1e6, scale * 1e6, scale * 2 * 1e6,
                                                scale * 4 * 1e6, scale * 2 * 1e6}))
        << "bar " << index;
  }
  // Phases stacked as running sums (the top one first), the lanes beside at their own x, palette colours.
  EXPECT_NE(files.script.find("using ($1*5):(sum [c=2:3] column(c)) with boxes linecolor rgb '#e15759' title "
                              "'value aggregation'"),
            std::string::npos)
      << files.script;
  EXPECT_NE(files.script.find("using ($1*5):(sum [c=2:2] column(c)) with boxes linecolor rgb '#f28e2b' title 'scoring'"),
            std::string::npos);
  EXPECT_NE(files.script.find("using ($1*5+2):5 with boxes linecolor rgb '#6a2c70' title 'PIM busy (busiest unit)'"),
            std::string::npos);
  EXPECT_NE(files.script.find("set ylabel 'Time per decode step (us)'"), std::string::npos);
}

TEST(Plot, BreakdownOfTheWholeRunAddsPrefillAndDecodeBusyTimes) {
  apps::PlotFiles files;
  const auto rows = breakdown_rows(apps::PlotRequest::Per::run, files);
  EXPECT_EQ(files.series, 2u);
  EXPECT_EQ(files.lanes, 3u);  // GPU, PIM, PCIe (decode moves some); no overlap
  ASSERT_EQ(rows.size(), 6u);
  const double tokens = 4096, scale = tokens * 2.0 * 1e-9, shown = files.unit_scale;
  EXPECT_EQ(shown, 1e6);  // PIM: 45 x 16.4 us = 737 us
  EXPECT_EQ(rows[5], (std::vector<double>{5, scale * 3 * shown, scale * shown, (scale * 10 + scale * 20) * shown,
                                          (scale * 5 + scale * 40) * shown, (0.0 + scale) * shown}));
}

TEST(Plot, BreakdownPerLayerNamesTheMissingColumns) {
  apps::PlotFiles files;
  try {
    breakdown_rows(apps::PlotRequest::Per::layer, files);
    FAIL() << "a table without per-layer columns was drawn";
  } catch (const apps::PlotError& error) {
    EXPECT_NE(std::string(error.what()).find("has no latency_s.per_prefill_layer.phases.* columns"), std::string::npos)
        << error.what();
  }
}

// Cell text from the table never becomes gnuplot commands (a line break would end one and start another).
TEST(Plot, TableTextCannotInjectIntoTheScript) {
  const std::string directory = fresh_directory("plot");
  json table;
  table["columns"] = {"config", "pim.placement", "status", "latency_s.phases.scoring", "workload.batch"};
  table["rows"] = {{{"config", 0}, {"pim.placement", "a'\nsystem('touch hacked')\n\"`x`"}, {"status", "ok"},
                    {"latency_s.phases.scoring", 1.0}, {"workload.batch", 1}}};
  std::ofstream(directory + "/sweep.json") << table.dump();
  auto request = line_request(directory + "/sweep.json", "workload.batch", "latency_s.phases.scoring", "pim.placement");
  request.per = apps::PlotRequest::Per::run;
  for (const auto kind : {apps::PlotRequest::Kind::line, apps::PlotRequest::Kind::breakdown}) {
    request.kind = kind;
    const std::string script = apps::compose_plot(request, directory, directory + "/out.png").script;
    EXPECT_EQ(script.find("\nsystem("), std::string::npos) << script;
    // Backquotes run commands in double-quoted strings (the breakdown's labels), not in single-quoted ones.
    if (kind == apps::PlotRequest::Kind::breakdown) {
      EXPECT_EQ(script.find('`'), std::string::npos) << script;
    }
  }
}

TEST(Plot, BadRequestsExit2WithOneLine) {
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  const std::string output = " --output " + directory + "/x.png";
  const auto unknown = run_aqpim("plot --input " + table + " --x workload.context_tokens --y latency" + output);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err.rfind("aqpim: error: --y 'latency': not a column; columns: config, workload.context_tokens,", 0), 0u)
      << unknown.err;
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1);
  // Two placements at each x and no --series: the plot would zigzag; say which column differs.
  const auto ambiguous = run_aqpim("plot --input " + table + " --x workload.context_tokens --y latency_s.decode_per_step" + output);
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.err.find("they differ in 'pim.placement'"), std::string::npos) << ambiguous.err;
  EXPECT_EQ(run_aqpim("plot --input " + table + " --x pim.placement --y latency_s.decode_per_step" + output).exit_code, 2);
  EXPECT_EQ(run_aqpim("plot --input " + directory + "/none.json --x a --y b" + output).exit_code, 2);
  EXPECT_EQ(run_aqpim("plot --kind pie --input " + table + output).exit_code, 2);
  // A log axis cannot show zero: exit_code is 0 in every row.
  const auto zero = run_aqpim("plot --input " + table + " --x workload.context_tokens --y exit_code --series pim.placement "
                              "--logy" + output);
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err, "aqpim: error: --logy: column 'exit_code' has a value <= 0 at workload.context_tokens=1024\n");
}

// A scatter may put several rows at one x (the line plot refuses: it would zigzag); words replace the
// column names on the axes and in the legend. The kept script shows it.
TEST(Plot, ScatterWithWordsOnTheAxesKeepsItsScript) {
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  apps::PlotRequest request;
  request.input = table;
  request.output = directory + "/scatter.png";
  request.script_directory = directory;
  request.x = "workload.context_tokens";
  request.y = {"latency_s.decode_per_step"};
  request.points_only = true;
  request.x_label = "prompt length [tokens]";
  request.y_label = "decode time per step [s]";
  request.series = "pim.placement";
  request.legend_title = "PE placement";
  request.x_ticks = {{1024, "one thousand"}, {4096, "four thousand"}};
  try {
    apps::plot_sweep(request);
  } catch (const std::runtime_error& error) {
    if (!apps::find_gnuplot().empty()) throw;  // without gnuplot the script is still written
  }
  const std::string script = read_file(directory + "/plot.gp");
  EXPECT_NE(script.find("set xlabel 'prompt length [tokens]'"), std::string::npos) << script;
  EXPECT_NE(script.find("set ylabel 'decode time per step [s]'"), std::string::npos);
  EXPECT_NE(script.find("set key title 'PE placement'"), std::string::npos);
  EXPECT_NE(script.find("set xtics ('one thousand' 1024, 'four thousand' 4096)"), std::string::npos);
  EXPECT_NE(script.find("with points"), std::string::npos);
  EXPECT_NE(script.find("title 'bank_group'"), std::string::npos);
  auto points = [&] {
    std::istringstream data(read_file(directory + "/line0.dat"));
    std::vector<std::pair<double, double>> read;
    for (double x, y; data >> x >> y;) read.emplace_back(x, y);
    return read;
  };
  EXPECT_EQ(points(), (std::vector<std::pair<double, double>>{
                          {1024, 1024 * 1e-9 * 1e6}, {2048, 2048 * 1e-9 * 1e6}, {4096, 4096 * 1e-9 * 1e6}}));
  request.series.clear();  // both placements at each x: fine for a scatter, one series of six points
  try {
    apps::plot_sweep(request);
  } catch (const std::runtime_error& error) {
    if (!apps::find_gnuplot().empty()) throw;
  }
  EXPECT_EQ(points().size(), 6u);
}

TEST(Plot, MissingGnuplotIsOneClearLine) {
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  const auto result = run_aqpim("plot --kind breakdown --input " + table + " --output " + directory + "/x.png",
                                "PATH=/nonexistent");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "aqpim: failed: plot needs gnuplot, which is not in PATH (Debian: apt-get install gnuplot-nox)\n");
}

}  // namespace
}  // namespace aqpim::test
