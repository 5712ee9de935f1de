// What the accuracy grid writes: its table (the sweep-table format, so `aqpim plot` reads it too), one
// Markdown table per study, and the figures.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "apps/accuracy_grid.h"
#include "apps/plot.h"

namespace aqpim::apps {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kAllTexts = "all";
const std::vector<std::string> kBackendGroups = {"aqpim", "snapkv", "skvq", "pqcache"};

// Keys any entry sets, in the order first set: the grid's parameter columns.
std::vector<std::string> varied_keys(const std::vector<GridEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& entry : entries)
    for (const auto& set : entry.sets) {
      const std::string key = set.substr(0, set.find('='));
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  return keys;
}

// The typed value of `key` in `settings`, or null for a key of another back end (it does not apply).
json key_value(const AccuracySettings& settings, const std::string& key) {
  const std::string group = key.substr(0, key.find('.'));
  const bool other_backend = std::find(kBackendGroups.begin(), kBackendGroups.end(), group) != kBackendGroups.end() &&
                             group != settings.config.backend;
  if (other_backend) return nullptr;
  AccuracySettings copy = settings;
  std::string pointer = "/" + key;
  std::replace(pointer.begin(), pointer.end(), '.', '/');
  return platform::to_json(accuracy_table(copy)).at(nlohmann::json::json_pointer(pointer));
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

void add_measures(json& row, const core::llm::AccuracyResult& r) {
  row["perplexity"] = r.perplexity;
  row["reference_perplexity"] = r.reference_perplexity;
  row["top1_agreement"] = r.top1_agreement;
  row["mean_kl"] = r.mean_kl;
  row["bits_per_element"] = r.footprint.bits_per_element();
  row["memory_reduction"] = r.footprint.memory_reduction();
  for (size_t l = 0; l < r.layer_attention_error.size(); ++l)
    row["attention_error.layer" + std::to_string(l)] = r.layer_attention_error[l];
  row["scored_tokens"] = r.scored_tokens;
  row["seconds"] = r.seconds;
}

std::string format(const char* pattern, double value) {
  char text[32];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

std::string study_table(const GridResult& grid, const GridStudy& study) {
  std::string header = "| configuration | bits/element | memory reduction |", rule = "|---|---|---|";
  for (const auto& text : grid.texts) header += " top-1 " + text.name + " |", rule += "---|";
  header += " top-1 all | KL all (nats) | perplexity all vs fp32 | attention error per layer, all |\n";
  rule += "---|---|---|---|\n";
  std::string table;
  for (size_t e = 0; e < grid.entries.size(); ++e) {
    if (grid.entries[e].study != study.name) continue;
    const auto& results = grid.results[e];
    const auto& all = results.back();
    table += "| " + grid.entries[e].label + " | " + format("%.2f", all.footprint.bits_per_element()) + " | " +
             format("%.1f %%", 100.0 * all.footprint.memory_reduction()) + " |";
    for (size_t t = 0; t < grid.texts.size(); ++t) table += format(" %.3f |", results[t].top1_agreement);
    table += format(" %.3f |", all.top1_agreement) + format(" %.4f |", all.mean_kl) +
             format(" %+.2f %% |", 100.0 * (all.perplexity / all.reference_perplexity - 1.0));
    std::vector<std::string> errors;
    for (double error : all.layer_attention_error) errors.push_back(format("%.3f", error));
    table += " " + joined(errors, " / ") + " |\n";
  }
  return table.empty() ? "" : "### " + study.title + "\n\n" + header + rule + table + "\n";
}

// Whether some row has every (column, value) of `where`, the values as the table prints them.
bool any_row_where(const json& document, const std::vector<std::pair<std::string, std::string>>& where) {
  for (const auto& row : document.at("rows")) {
    bool matches = true;
    for (const auto& [column, value] : where) {
      const json& cell = row.at(column);
      matches = matches && (cell.is_string() ? cell.get<std::string>() : cell.dump()) == value;
    }
    if (matches) return true;
  }
  return false;
}

// The model's name as the grid's table gives it ("stories260K.bin: dim 64, ..." -> "stories260K").
std::string model_name(const json& document) {
  const std::string model = document.value("model", "the model");
  std::string name = model.substr(0, model.find(':'));
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".bin") == 0) name.resize(name.size() - 4);
  return name;
}

// The top-1 figures of the AQPIM studies, one line per text: Tables II, III and IV as plots.
std::vector<std::pair<std::string, PlotRequest>> study_figures(const json& document) {
  const std::string model = model_name(document);
  auto request = [&](const std::string& study, const std::string& x, const std::string& x_label) {
    PlotRequest r;
    r.where = {{"study", study}};
    r.x = x;
    r.x_label = x_label;
    r.y = {"top1_agreement"};
    r.y_label = "top-1 agreement with fp32 (share of decode steps)";
    r.series = "text";
    r.legend_title = "evaluated text";
    r.legend_position = "bottom right";
    for (const auto& candidate : grid_studies())
      if (candidate.name == study) r.title = model + ", " + candidate.title;
    return r;
  };
  PlotRequest ablation = request("ablation", "position", "accuracy fixes, added one after another from left to right");
  for (const auto& row : document.at("rows"))
    if (row["study"] == "ablation" && row["text"] == kAllTexts)
      ablation.x_ticks.emplace_back(row["position"].get<double>(), row["label"].get<std::string>());
  return {{"accuracy_subvector",
           request("subvector", "aqpim.sub_dim", "sub-vector size (channels per sub-vector; m = head_dim / size)")},
          {"accuracy_clusters", request("clusters", "aqpim.clusters", "centroids per sub-space codebook K (log scale)")},
          {"accuracy_ablation", ablation}};
}

// Fig. 10: every back end's trade-off points, every text pooled; top-1 and (log scale) KL.
std::vector<std::pair<std::string, PlotRequest>> figure_requests(const json& document) {
  auto figures = study_figures(document);
  const std::string model = model_name(document);
  PlotRequest tradeoff;
  tradeoff.where = {{"text", kAllTexts}, {"tradeoff", "true"}};
  tradeoff.x = "memory_reduction";
  tradeoff.x_label = "KV memory reduction against fp16 (fraction of the fp16 cache saved on the accelerator)";
  tradeoff.series = "eval.backend";
  tradeoff.legend_title = "back end";
  tradeoff.points_only = true;
  tradeoff.legend_position = "bottom left";
  tradeoff.y = {"top1_agreement"};
  tradeoff.y_label = "top-1 agreement with fp32 (share of decode steps), every text pooled";
  tradeoff.title = "Accuracy against memory reduction on " + model + " (Fig. 10 of the paper)";
  figures.emplace_back("accuracy_vs_memory", tradeoff);
  tradeoff.y = {"mean_kl"};
  tradeoff.y_label = "mean KL(fp32 || back end) of the next token [nats], log scale";
  tradeoff.log_y = true;
  tradeoff.legend_position = "bottom right";
  tradeoff.title = "Next-token KL divergence against memory reduction on " + model;
  figures.emplace_back("kl_vs_memory", tradeoff);
  return figures;
}

}  // namespace

json grid_table(const GridResult& grid) {
  const std::vector<std::string> keys = varied_keys(grid.entries);
  json columns = {"config", "study", "label", "text", "tradeoff", "position"};
  for (const auto& key : keys) columns.push_back(key);
  for (const char* column : {"settings", "status"}) columns.push_back(column);
  json rows = json::array();
  std::map<std::string, int> positions;
  for (size_t e = 0; e < grid.entries.size(); ++e) {
    const GridEntry& entry = grid.entries[e];
    const int position = ++positions[entry.study];
    for (size_t t = 0; t <= grid.texts.size(); ++t) {
      json row = {{"config", rows.size()},      {"study", entry.study},
                  {"label", entry.label},       {"text", t < grid.texts.size() ? grid.texts[t].name : kAllTexts},
                  {"tradeoff", entry.tradeoff}, {"position", position}};
      for (const auto& key : keys) row[key] = key_value(grid.settings[e], key);
      row["settings"] = joined(entry.sets, " ");
      row["status"] = "ok";
      add_measures(row, grid.results[e][t]);
      if (rows.empty())
        for (const auto& [column, value] : row.items())
          if (std::find(columns.begin(), columns.end(), column) == columns.end()) columns.push_back(column);
      rows.push_back(std::move(row));
    }
  }
  return {{"columns", columns}, {"rows", rows}, {"model", grid.model_description}};
}

std::string grid_markdown(const GridResult& grid) {
  std::string text = "Accuracy of KV-cache back ends on " + grid.model_description + "; texts:";
  for (const auto& t : grid.texts) text += " " + t.name + " (" + joined(t.sets, " ") + ")";
  text +=
      ". top-1: share of decode steps whose most likely next token is fp32's; KL: mean KL(fp32 || back end) "
      "of the next-token distributions; perplexity: relative change against fp32 on the same tokens; attention "
      "error: relative L2 against exact attention over the same K and V; all: every text pooled.\n\n";
  for (const auto& study : grid_studies()) text += study_table(grid, study);
  return text;
}

std::vector<std::string> plot_grid(const std::string& directory, const std::string& script_directory) {
  namespace fs = std::filesystem;
  const std::string table = (fs::path(directory) / "accuracy.json").string();
  json document;
  {
    std::ifstream in(table);
    document = json::parse(in);
  }
  std::vector<std::string> images;
  for (auto& [name, request] : figure_requests(document)) {
    if (!any_row_where(document, request.where)) continue;  // a grid without that study has no such figure
    request.input = table;
    request.output = (fs::path(directory) / (name + ".png")).string();
    if (!script_directory.empty()) {
      request.script_directory = (fs::path(script_directory) / name).string();
      fs::create_directories(request.script_directory);
    }
    plot_sweep(request);
    images.push_back(request.output);
  }
  return images;
}

}  // namespace aqpim::apps
