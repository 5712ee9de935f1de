// The accuracy grid of `aqpim accuracy --grid`: the paper's accuracy studies repeated on a real trained model
// (AQPIM's sub-vector size and K sweeps, Tables II and III; the ablation of its fixes, Table IV; accuracy
// against memory reduction for AQPIM and the three baselines, Fig. 10), on the shipped texts. Every entry is
// a list of accuracy --set assignments, so any row can be rerun alone with `aqpim accuracy --set ...`.
// Evaluations run on several threads (AccuracyEvaluator::run is thread-safe); identical configurations of
// different studies are evaluated once.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/accuracy_settings.h"
#include "core/llm/evaluation.h"

namespace aqpim::apps {

struct GridEntry {
  std::string study;              // one of grid_studies()' names
  std::string label;              // the row's name inside its study ("K = 16", "+ sink and recent")
  std::vector<std::string> sets;  // KEY=VALUE applied after the base settings
  bool tradeoff = false;          // a point of the accuracy-against-memory-reduction figure
};

struct GridStudy {
  std::string name, title;  // title: a heading that says what is varied and what is fixed
};

struct GridText {
  std::string name;               // short, for columns and legends
  std::vector<std::string> sets;  // data.* assignments that select it
};

const std::vector<GridStudy>& grid_studies();
std::vector<GridEntry> paper_grid();
// Shakespeare and WikiText-2 (after the part the calibration reads) as shipped in `directory`
// (data/realdata), and stories the model samples itself (in-domain); the segments are data.segments x
// data.segment_tokens (4 x 512 by default).
std::vector<GridText> shipped_texts(const std::string& directory = "data/realdata");

struct GridResult {
  std::vector<GridEntry> entries;
  std::vector<GridText> texts;
  std::vector<AccuracySettings> settings;  // per entry, resolved on the first text
  // results[entry][text]; results[entry][texts.size()] pools every text (core::llm::pool_results).
  std::vector<std::vector<core::llm::AccuracyResult>> results;
  std::string model_description;  // "stories260K.bin: dim 64, 5 layers, ..."
};

struct GridOptions {
  unsigned threads = 1;
  // Called after each finished evaluation (reference passes included), one call at a time.
  std::function<void(size_t done, size_t total)> on_progress;
};

// Resolves every (entry, text) first, so a bad key fails before any work (platform::ParamError naming the
// entry and the key), then evaluates.
GridResult run_accuracy_grid(const platform::ParamLoader& base, const std::vector<GridEntry>& entries,
                             const std::vector<GridText>& texts, const GridOptions& options);

// One row per entry and text (text "all" = pooled), in the sweep-table format apps/plot.h reads: config,
// study, label, text, tradeoff, position (1-based within the study), the keys any entry sets (null for other
// back ends' keys), settings, status; then the measures.
nlohmann::ordered_json grid_table(const GridResult& grid);
// One Markdown table per study: footprint, top-1 per text and pooled, pooled KL and perplexity.
std::string grid_markdown(const GridResult& grid);
// The figures, from DIR/accuracy.json, as DIR/*.png (returns their paths). script_directory: keep each
// plot's gnuplot script and data in a subfolder of it named after the figure (tests read them).
std::vector<std::string> plot_grid(const std::string& directory, const std::string& script_directory = "");

}  // namespace aqpim::apps
