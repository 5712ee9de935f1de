// Words and units for what a plot shows: the sweep table's metric columns (a table of names with units) and
// the parameters (their label comes from the parameter table's own description), so titles, axes and legends
// read "Decode latency per step (ms)" and "Context length (tokens)" instead of JSON keys.
#pragma once

#include <string>

namespace aqpim::apps {

enum class Quantity { seconds, bytes, flops, joules, none };

struct MetricLabel {
  std::string words;  // "Decode latency per step"; the column name itself when the table does not know it
  Quantity quantity = Quantity::none;
};
// The label of a report column ("latency_s.per_decode_step.phases.scoring" -> "Scoring per decode step").
MetricLabel metric_label(const std::string& column);

// How values of a quantity are shown: multiplied by `scale`, in `unit` ("ms"), chosen so that the largest
// value reads between 1 and 1000 (1024 for bytes).
struct DisplayUnit {
  double scale = 1;
  std::string unit;  // "" for dimensionless values
};
DisplayUnit display_unit(Quantity quantity, double largest);

// "words (unit)", or the words alone without a unit.
std::string with_unit(const std::string& words, const std::string& unit);

// A parameter's label from its description in the parameter table: the name before a ':' (or the first
// clause), with its unit: "Context length (tokens)". "" when `key` is not a parameter.
std::string parameter_label(const std::string& key);

// Words inside a sentence: "Context length" -> "context length"; "GPU work" keeps its acronym.
std::string lowered(std::string text);

// A phase, design or resource name in words (from the palette), else the name itself.
std::string name_words(const std::string& name);

}  // namespace aqpim::apps
