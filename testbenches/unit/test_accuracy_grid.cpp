// The accuracy grid on a small grid of short texts: results against the core evaluated directly, shared
// configurations evaluated once, pooled rows, the table's typed columns, progress, and the figures' gnuplot
// scripts and data (not their pixels). The shipped paper grid is checked for validity, not run (a minute).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "apps/accuracy_grid.h"
#include "apps/accuracy_run.h"
#include "apps/sweep.h"
#include "core/llm/file_error.h"

namespace aqpim::apps {
namespace {

using nlohmann::json;

std::string data_path(const std::string& name) { return std::string(AQPIM_SOURCE_DIR) + "/data/realdata/" + name; }

std::string fresh_directory(const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-grid-" + name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

platform::ParamLoader base_sources() {
  platform::ParamLoader loader;
  for (const std::string& set :
       {"data.model=" + data_path("stories260K.bin"), "data.tokenizer=" + data_path("tok512.bin"),
        "data.calibration=" + data_path("wikitext2_test_head40k.txt"), std::string("data.calibration_tokens=256"),
        std::string("data.segments=1"), std::string("data.segment_tokens=128")})
    loader.add_override(set);
  return loader;
}

std::vector<GridText> small_texts() {
  return {{"Shakespeare", {"data.text=" + data_path("tinyshakespeare_head40k.txt")}},
          {"WikiText-2", {"data.text=" + data_path("wikitext2_test_head40k.txt"), "data.skip_tokens=1024"}}};
}

std::vector<GridEntry> small_entries() {
  return {{"reference", "fp16", {"eval.backend=fp16"}},
          {"clusters", "K = 8", {"eval.backend=aqpim", "aqpim.clusters=8"}, true},
          {"ablation", "default", {"eval.backend=aqpim"}, true},
          // The same configuration again (64 is the default K): evaluated once, reported under both.
          {"variants", "default again", {"aqpim.clusters=64"}, true},
          {"snapkv", "budget 48", {"eval.backend=snapkv", "snapkv.budget=48"}, true}};
}

struct SmallGrid {
  GridResult grid;
  std::vector<std::pair<size_t, size_t>> progress;
};

const SmallGrid& small_grid() {
  static const SmallGrid shared = [] {
    SmallGrid result;
    GridOptions options;
    options.threads = 2;
    options.on_progress = [&](size_t done, size_t total) { result.progress.emplace_back(done, total); };
    result.grid = run_accuracy_grid(base_sources(), small_entries(), small_texts(), options);
    return result;
  }();
  return shared;
}

TEST(AccuracyGrid, ResultsAreTheCoresAndSharedConfigurationsAreEvaluatedOnce) {
  const GridResult& grid = small_grid().grid;
  ASSERT_EQ(grid.results.size(), 5u);
  // Independently: the K = 8 entry on the second text, through the core alone.
  const auto model = core::llm::load_llama2_checkpoint(data_path("stories260K.bin"));
  const auto tokenizer = core::llm::load_tokenizer(data_path("tok512.bin"), 512);
  const auto calibration =
      core::llm::text_tokens(tokenizer, core::llm::read_file_bytes(data_path("wikitext2_test_head40k.txt")), 256);
  const auto segments = core::llm::text_segments(
      tokenizer, core::llm::read_file_bytes(data_path("wikitext2_test_head40k.txt")), 128, 1, 1024);
  core::llm::AccuracyConfig config;
  config.aqpim.clusters = 8;
  const auto expected = core::llm::AccuracyEvaluator(model, segments, calibration).run(config);
  EXPECT_EQ(grid.results[1][1].perplexity, expected.perplexity);
  EXPECT_EQ(grid.results[1][1].layer_attention_error, expected.layer_attention_error);
  EXPECT_EQ(grid.results[1][1].footprint.total_bytes(), expected.footprint.total_bytes());

  for (size_t t = 0; t < 2; ++t) EXPECT_EQ(grid.results[3][t].perplexity, grid.results[2][t].perplexity);
  // Reference passes (one per text) and 2 x 4 distinct configurations, each reported once, in order.
  const auto& progress = small_grid().progress;
  ASSERT_EQ(progress.size(), 10u);
  for (size_t i = 0; i < progress.size(); ++i) EXPECT_EQ(progress[i], std::make_pair(i + 1, size_t(10)));

  for (const auto& row : grid.results) {
    ASSERT_EQ(row.size(), 3u);
    const auto pooled = core::llm::pool_results({row[0], row[1]});
    EXPECT_EQ(row[2].perplexity, pooled.perplexity);
    EXPECT_EQ(row[2].top1_agreement, pooled.top1_agreement);
    EXPECT_EQ(row[2].scored_tokens, row[0].scored_tokens + row[1].scored_tokens);
  }
}

TEST(AccuracyGrid, TableHasTypedKeyColumnsAndARowPerEntryAndText) {
  const GridResult& grid = small_grid().grid;
  const auto table = grid_table(grid);
  const auto& columns = table.at("columns");
  for (const char* column :
       {"study", "label", "text", "tradeoff", "position", "eval.backend", "aqpim.clusters", "snapkv.budget", "settings",
        "status", "top1_agreement", "memory_reduction", "attention_error.layer4"})
    EXPECT_NE(std::find(columns.begin(), columns.end(), column), columns.end()) << column;
  const auto& rows = table.at("rows");
  ASSERT_EQ(rows.size(), 5u * 3u);
  const auto& k8 = rows[3 * 1 + 1];
  EXPECT_EQ(k8.at("label"), "K = 8");
  EXPECT_EQ(k8.at("text"), "WikiText-2");
  EXPECT_EQ(k8.at("aqpim.clusters"), 8);
  EXPECT_TRUE(k8.at("snapkv.budget").is_null());  // another back end's key does not apply
  EXPECT_EQ(k8.at("top1_agreement").get<double>(), grid.results[1][1].top1_agreement);
  const auto& snap_all = rows[3 * 4 + 2];
  EXPECT_EQ(snap_all.at("text"), "all");
  EXPECT_EQ(snap_all.at("snapkv.budget"), 48);
  EXPECT_TRUE(snap_all.at("aqpim.clusters").is_null());
  EXPECT_EQ(snap_all.at("settings"), "eval.backend=snapkv snapkv.budget=48");
  EXPECT_EQ(rows[3 * 3].at("position"), 1);  // first of its study

  const std::string markdown = grid_markdown(grid);
  for (const auto& entry : grid.entries) EXPECT_NE(markdown.find("| " + entry.label + " |"), std::string::npos);
  EXPECT_EQ(markdown.find("(Table II)"), std::string::npos) << "no entry of the sub-vector study, no table for it";
}

TEST(AccuracyGrid, FiguresPlotTheTablesNumbersWithWordsOnTheAxes) {
  const GridResult& grid = small_grid().grid;
  const std::string directory = fresh_directory("figures"), scripts = directory + "/scripts";
  write_sweep_table(grid_table(grid), directory, "accuracy");
  std::vector<std::string> images;
  try {
    images = plot_grid(directory, scripts);
  } catch (const std::runtime_error& error) {
    // Without gnuplot no image, but the scripts are written first and checked below.
    EXPECT_NE(std::string(error.what()).find("gnuplot"), std::string::npos) << error.what();
  }
  const std::string script = read_text(scripts + "/accuracy_vs_memory/plot.gp");
  EXPECT_NE(script.find("set xlabel 'KV memory reduction against fp16"), std::string::npos) << script;
  EXPECT_NE(script.find("set ylabel 'top-1 agreement with fp32 (share of decode steps), every text pooled'"),
            std::string::npos);
  EXPECT_NE(script.find("set key title 'back end'"), std::string::npos);
  EXPECT_NE(script.find("with points"), std::string::npos);
  // The AQPIM points (first series): the pooled rows of its three trade-off entries, in memory-reduction order.
  std::multiset<std::string> expected;
  for (size_t e : {1, 2, 3}) {
    char line[80];
    std::snprintf(line, sizeof line, "%.17g %.17g", grid.results[e][2].footprint.memory_reduction(),
                  grid.results[e][2].top1_agreement);
    expected.insert(line);
  }
  std::multiset<std::string> plotted;
  std::istringstream data(read_text(scripts + "/accuracy_vs_memory/line0.dat"));
  for (std::string line; std::getline(data, line);) plotted.insert(line);
  EXPECT_EQ(plotted, expected);
  // The ablation's x axis names the steps in words.
  EXPECT_NE(read_text(scripts + "/accuracy_ablation/plot.gp").find("set xtics ('default' 1)"), std::string::npos);
  // Figures of studies the grid lacks are left out, not failed.
  EXPECT_FALSE(std::filesystem::exists(scripts + "/accuracy_subvector"));
  EXPECT_TRUE(std::filesystem::exists(scripts + "/accuracy_clusters/plot.gp"));
  if (!images.empty()) {
    EXPECT_TRUE(std::filesystem::exists(directory + "/accuracy_vs_memory.png"));
  }
}

TEST(AccuracyGrid, EveryShippedEntryIsValidOnTheShippedModel) {
  const auto model = core::llm::load_llama2_checkpoint(data_path("stories260K.bin")).config;
  std::set<std::string> studies, labels;
  for (const auto& study : grid_studies()) studies.insert(study.name);
  const auto entries = paper_grid();
  EXPECT_GE(entries.size(), 40u);
  for (const auto& entry : entries) {
    EXPECT_TRUE(studies.count(entry.study)) << entry.study;
    EXPECT_TRUE(labels.insert(entry.study + "/" + entry.label).second) << "duplicate " << entry.label;
    for (const auto& text : shipped_texts()) {
      platform::ParamLoader loader;
      for (const auto& set : text.sets) loader.add_override(set);
      for (const auto& set : entry.sets) loader.add_override(set);
      EXPECT_NO_THROW(validate_accuracy_settings(resolve_accuracy_settings(loader), model)) << entry.label;
    }
  }
}

}  // namespace
}  // namespace aqpim::apps
