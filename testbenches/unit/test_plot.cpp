// `aqpim plot` on a small sweep table: PNGs are written (when gnuplot is installed), and bad requests or a
// missing gnuplot give one line.
#include <sstream>
#include <vector>

#include "apps/plot.h"
#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

using nlohmann::json;

// A table shaped like `aqpim sweep` writes it; the figures are arbitrary inputs.
std::string write_table(const std::string& directory) {
  json table;
  table["columns"] = {"config", "workload.context_tokens", "pim.placement", "status", "exit_code",
                      "latency_s.decode_per_step", "latency_s.phases.scoring", "latency_s.phases.value", "error"};
  int index = 0;
  for (int tokens : {1024, 2048, 4096})
    for (const char* placement : {"bank", "bank_group"}) {
      const double scale = tokens * (placement[4] ? 2.0 : 1.0) * 1e-9;
      table["rows"].push_back({{"config", index++}, {"workload.context_tokens", tokens}, {"pim.placement", placement},
                               {"status", "ok"}, {"exit_code", 0}, {"latency_s.decode_per_step", scale},
                               {"latency_s.phases.scoring", scale * 3}, {"latency_s.phases.value", scale}, {"error", nullptr}});
    }
  const std::string path = directory + "/sweep.json";
  std::ofstream(path) << table.dump();
  return path;
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
  apps::PlotRequest request;
  request.input = table;
  request.x = "workload.context_tokens";
  request.y = {"latency_s.decode_per_step"};
  request.series = "pim.placement";
  const apps::PlotFiles files = apps::compose_plot(request, directory, directory + "/out.png");
  ASSERT_EQ(files.series, 2u);
  ASSERT_EQ(files.data_files.size(), 2u);
  size_t plotted = 0;
  for (size_t at = 0; (at = files.script.find(" using 1:2 ", at)) != std::string::npos; ++at) ++plotted;
  EXPECT_EQ(plotted, 2u);
  EXPECT_NE(files.script.find("title 'pim.placement=bank'"), std::string::npos) << files.script;
  EXPECT_NE(files.script.find("title 'pim.placement=bank_group'"), std::string::npos) << files.script;
  // write_table: decode_per_step = tokens x 1e-9, doubled for bank_group.
  for (size_t line = 0; line < 2; ++line) {
    const auto rows = data_rows(files.data_files[line]);
    ASSERT_EQ(rows.size(), 3u);
    const double factor = line == 0 ? 1.0 : 2.0;
    for (size_t i = 0; i < 3; ++i) {
      const double tokens = 1024.0 * double(1 << i);
      EXPECT_EQ(rows[i], (std::vector<double>{tokens, tokens * factor * 1e-9})) << "line " << line << " point " << i;
    }
  }
}

TEST(Plot, BreakdownStacksEveryNonZeroPhaseOfEveryRow) {
  const std::string directory = fresh_directory("plot"), table = write_table(directory);
  apps::PlotRequest request;
  request.kind = apps::PlotRequest::Kind::breakdown;
  request.input = table;
  const apps::PlotFiles files = apps::compose_plot(request, directory, directory + "/out.png");
  EXPECT_EQ(files.series, 2u);  // scoring and value
  ASSERT_EQ(files.data_files.size(), 1u);
  const auto rows = data_rows(files.data_files[0]);
  ASSERT_EQ(rows.size(), 6u);
  for (size_t index = 0; index < 6; ++index) {
    const double scale = 1024.0 * double(1 << (index / 2)) * (index % 2 ? 2.0 : 1.0) * 1e-9;
    EXPECT_EQ(rows[index], (std::vector<double>{double(index), scale * 3, scale})) << "bar " << index;
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
  apps::PlotRequest request;
  request.input = directory + "/sweep.json";
  request.x = "workload.batch";
  request.y = {"latency_s.phases.scoring"};
  request.series = "pim.placement";
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
  EXPECT_EQ(points(), (std::vector<std::pair<double, double>>{{1024, 1024 * 1e-9}, {2048, 2048 * 1e-9}, {4096, 4096 * 1e-9}}));
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
