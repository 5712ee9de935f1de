#include "apps/plot_support.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "apps/plot_palette.h"

namespace aqpim::apps::plot_detail {

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


// The table's shape as `aqpim sweep` writes it; anything else (another JSON document, a truncated or
// edited file) is a PlotError naming the input.
namespace {
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

}  // namespace

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

bool has_column(const Table& table, const std::string& column) {
  return std::find(table.columns.begin(), table.columns.end(), column) != table.columns.end();
}

std::string number_text(double value) {
  std::ostringstream text;
  text.precision(12);
  text << value;
  return text.str();
}

std::string preamble(const std::string& output, const std::string& title, int width, int height) {
  return "set terminal pngcairo size " + std::to_string(width) + "," + std::to_string(height) +
         " font 'DejaVu Sans,11' noenhanced\n"
         "set output " + gp_quoted(output) + "\n"
         "set title " + gp_quoted(title) + "\n"
         "set grid\n";
}

std::string series_colour(const std::string& name, size_t& spares) {
  const PaletteEntry* entry = palette_entry(name);
  return entry ? entry->colour : spare_colour(spares++);
}

}  // namespace aqpim::apps::plot_detail
