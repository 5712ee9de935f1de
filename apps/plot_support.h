// What the line and breakdown plots share (apps/plot.cpp, apps/plot_breakdown.cpp): the sweep table as
// read, gnuplot quoting that keeps the table's text inert, the script's preamble. Not a public interface.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/plot.h"

namespace aqpim::apps::plot_detail {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

struct Table {
  std::vector<std::string> columns;
  std::vector<std::string> parameters;  // the varied ones: between "config" and "status"
  std::vector<json> rows;               // status "ok", after --where
};
Table load_table(const PlotRequest& request);
bool has_column(const Table& table, const std::string& column);
void require_column(const Table& table, const std::string& option, const std::string& column, bool numeric);

std::string cell_text(const json& value);     // as sweep.csv shows a cell
std::string gp_quoted(const std::string& text);  // a gnuplot single-quoted string
std::string double_quotable(std::string text);   // a table cell made safe inside a double-quoted string
std::string number_text(double value);           // exact enough for a script, short for round values
void write_text(const fs::path& path, const std::string& text);

// The terminal, output and title lines every script starts with.
std::string preamble(const std::string& output, const std::string& title, int width, int height);

// The colour of a named series: the palette's, else the next spare colour (counted in `spares`).
std::string series_colour(const std::string& name, size_t& spares);

// The two kinds of plot (apps/plot.cpp, apps/plot_breakdown.cpp).
PlotFiles line_script(const PlotRequest& request, const Table& table, const fs::path& directory,
                      const std::string& output);
PlotFiles breakdown_script(const PlotRequest& request, const Table& table, const fs::path& directory,
                           const std::string& output);

}  // namespace aqpim::apps::plot_detail
