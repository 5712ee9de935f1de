// The grid's entries and texts, and the runner. Tables, Markdown and plots: accuracy_report.cpp.
#include "apps/accuracy_grid.h"

#include <atomic>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "apps/accuracy_run.h"

namespace aqpim::apps {
namespace {

using Sets = std::vector<std::string>;

// The AQPIM point every study varies from: the back end's defaults (m = head_dim / 4, K = 64, every fix).
const Sets kAqpim = {"eval.backend=aqpim"};

Sets with(Sets sets, const Sets& more) {
  sets.insert(sets.end(), more.begin(), more.end());
  return sets;
}

void add_aqpim_studies(std::vector<GridEntry>& grid) {
  for (int sub_dim : {1, 2, 4, 8})
    grid.push_back({"subvector",
                    "sub-vectors of " + std::to_string(sub_dim) + (sub_dim == 1 ? " channel" : " channels"),
                    with(kAqpim, {"aqpim.sub_dim=" + std::to_string(sub_dim)}), true});
  for (int clusters : {4, 8, 16, 32, 64, 128, 256})
    grid.push_back({"clusters", "K = " + std::to_string(clusters),
                    with(kAqpim, {"aqpim.clusters=" + std::to_string(clusters)}), true});
  // Table III again without importance weights, which the K sweep measured to hurt on this model.
  for (int clusters : {4, 16, 64, 256})
    grid.push_back({"clusters_unweighted", "K = " + std::to_string(clusters),
                    with(kAqpim, {"aqpim.clusters=" + std::to_string(clusters), "aqpim.importance_weighting=false"})});
  // More AQPIM points for the trade-off figure: narrow and wide sub-vectors at few and many centroids.
  for (int sub_dim : {2, 8})
    for (int clusters : {16, 256})
      grid.push_back(
          {"tradeoff", "sub-vector " + std::to_string(sub_dim) + ", K = " + std::to_string(clusters),
           with(kAqpim, {"aqpim.sub_dim=" + std::to_string(sub_dim), "aqpim.clusters=" + std::to_string(clusters)}),
           true});
  // Table IV: each fix added to the one before, as the paper's ablation, then variants measured beside it.
  const Sets plain = with(kAqpim, {"aqpim.sink_tokens=0", "aqpim.recent_tokens=0", "aqpim.importance_weighting=false",
                                   "aqpim.channel_presort=false"});
  const Sets sink_recent = with(kAqpim, {"aqpim.importance_weighting=false", "aqpim.channel_presort=false"});
  const Sets weights = with(kAqpim, {"aqpim.channel_presort=false"});
  grid.push_back({"ablation", "plain PQ", plain});
  grid.push_back({"ablation", "+ sink and recent", sink_recent});
  grid.push_back({"ablation", "+ importance weights", weights});
  grid.push_back({"ablation", "+ pre-sorting (default)", kAqpim});
  grid.push_back({"ablation", "+ windows of 128", with(kAqpim, {"aqpim.window_tokens=128"})});  // tokens per codebook
  grid.push_back({"variants", "every fix but importance weights", with(kAqpim, {"aqpim.importance_weighting=false"})});
  grid.push_back(
      {"variants", "every fix, k-means also on the recent window", with(kAqpim, {"aqpim.train_on_recent=true"})});
  grid.push_back({"variants", "every fix, values by reconstruction", with(kAqpim, {"aqpim.value_path=reconstruct"})});
}

void add_baselines(std::vector<GridEntry>& grid) {
  for (int budget : {48, 64, 96, 128, 192, 256})
    grid.push_back({"snapkv",
                    "budget " + std::to_string(budget),
                    {"eval.backend=snapkv", "snapkv.budget=" + std::to_string(budget)},
                    true});
  for (const auto& [bits, group] : std::vector<std::pair<int, int>>{{2, 8}, {3, 8}, {4, 8}, {8, 8}, {2, 32}, {4, 32}})
    grid.push_back({"skvq",
                    std::to_string(bits) + " bits, groups of " + std::to_string(group),
                    {"eval.backend=skvq", "skvq.key_bits=" + std::to_string(bits),
                     "skvq.value_bits=" + std::to_string(bits), "skvq.group_size=" + std::to_string(group)},
                    true});
  for (int top_k : {16, 32, 64})
    grid.push_back({"pqcache",
                    "top-" + std::to_string(top_k) + ", K = 64",
                    {"eval.backend=pqcache", "pqcache.top_k=" + std::to_string(top_k)},
                    true});
  for (const auto& [sub_dim, clusters] : std::vector<std::pair<int, int>>{{4, 16}, {4, 256}, {2, 64}, {8, 64}})
    grid.push_back({"pqcache",
                    "top-32, sub-vector " + std::to_string(sub_dim) + ", K = " + std::to_string(clusters),
                    {"eval.backend=pqcache", "pqcache.top_k=32", "pqcache.sub_dim=" + std::to_string(sub_dim),
                     "pqcache.clusters=" + std::to_string(clusters)},
                    true});
}

// Runs body(0 .. count - 1) on `threads` threads (the caller's included); the first exception is rethrown
// after every thread has stopped taking work.
void parallel_for(size_t count, unsigned threads, const std::function<void(size_t)>& body) {
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (size_t index; (index = next++) < count;) {
      try {
        body(index);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = count;
      }
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads && t < count; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  if (failure) std::rethrow_exception(failure);
}

AccuracySettings resolve_with(const platform::ParamLoader& base, const Sets& text_sets, const Sets& entry_sets,
                              const std::string& context) {
  platform::ParamLoader loader = base;
  for (const auto& set : text_sets) loader.add_override(set, "the grid's texts");
  for (const auto& set : entry_sets) loader.add_override(set, "grid entry '" + context + "'");
  return resolve_accuracy_settings(loader);
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += item + " ";
  return text;
}

// Every (entry, text) resolved and checked before any work; identical configurations share one evaluation.
struct GridPlan {
  std::vector<AccuracySettings> text_settings;              // per text
  std::vector<AccuracySettings> entry_settings;             // per entry, on the first text
  std::vector<std::pair<size_t, AccuracySettings>> unique;  // (text, settings) evaluated
  std::vector<std::vector<size_t>> evaluation;              // [entry][text] -> index into unique
};

GridPlan plan_grid(const platform::ParamLoader& base, const std::vector<GridEntry>& entries,
                   const std::vector<GridText>& texts, const core::llm::LlamaConfig& model) {
  GridPlan plan;
  for (const GridText& text : texts) plan.text_settings.push_back(resolve_with(base, text.sets, {}, ""));
  std::map<std::pair<size_t, std::string>, size_t> seen;
  for (const GridEntry& entry : entries) {
    plan.evaluation.emplace_back();
    for (size_t t = 0; t < texts.size(); ++t) {
      const AccuracySettings settings = resolve_with(base, texts[t].sets, entry.sets, entry.label);
      try {
        validate_accuracy_settings(settings, model);
      } catch (const platform::ParamError& error) {
        throw platform::ParamError("grid entry '" + entry.label + "' on " + texts[t].name + ": " + error.what());
      }
      if (t == 0) plan.entry_settings.push_back(settings);
      const auto found = seen.emplace(std::make_pair(t, joined(changed_settings(settings))), plan.unique.size());
      if (found.second) plan.unique.emplace_back(t, settings);
      plan.evaluation.back().push_back(found.first->second);
    }
  }
  return plan;
}

std::string describe_model(const AccuracySettings& settings, const core::llm::LlamaConfig& c) {
  return settings.model.substr(settings.model.find_last_of('/') + 1) + ": dim " + std::to_string(c.dim) + ", " +
         std::to_string(c.layers) + " layers, " + std::to_string(c.heads) + " query / " + std::to_string(c.kv_heads) +
         " KV heads of " + std::to_string(c.head_dim()) + " channels";
}

}  // namespace

const std::vector<GridStudy>& grid_studies() {
  static const std::vector<GridStudy> studies = {
      {"reference", "Exact caches"},
      {"subvector", "AQPIM: sub-vector size at K = 64, every fix (Table II)"},
      {"clusters",
       "AQPIM: centroids per codebook K at sub-vectors of 4 channels (m = head_dim / 4), every fix (Table III)"},
      {"clusters_unweighted", "AQPIM: K at sub-vectors of 4 channels, every fix but importance weights"},
      {"tradeoff", "AQPIM: more sub-vector sizes and K for the memory trade-off"},
      {"ablation",
       "AQPIM: fixes added one by one, sub-vectors of 4 channels, K = 64, windows of 128 tokens (Table IV)"},
      {"variants", "AQPIM: variants of the default (sub-vectors of 4 channels, K = 64)"},
      {"snapkv", "SnapKV: prompt tokens kept per KV head (window 32, average pooling)"},
      {"skvq", "SKVQ: bits per element and group size (sink 8, window 32, calibrated reordering)"},
      {"pqcache", "PQCache: tokens selected per step, and its key codes"},
  };
  return studies;
}

std::vector<GridEntry> paper_grid() {
  std::vector<GridEntry> grid = {{"reference", "fp32", {"eval.backend=fp32"}},
                                 {"reference", "fp16", {"eval.backend=fp16"}}};
  add_aqpim_studies(grid);
  add_baselines(grid);
  return grid;
}

std::vector<GridText> shipped_texts(const std::string& directory) {
  return {{"Shakespeare", {"data.text_source=file", "data.text=" + directory + "/tinyshakespeare_head40k.txt"}},
          // The calibration reads the first 512 tokens of the same file: evaluate after them.
          {"WikiText-2",
           {"data.text_source=file", "data.text=" + directory + "/wikitext2_test_head40k.txt", "data.skip_tokens=1024"}},
          {"stories", {"data.text_source=generated"}}};
}

GridResult run_accuracy_grid(const platform::ParamLoader& base, const std::vector<GridEntry>& entries,
                             const std::vector<GridText>& texts, const GridOptions& options) {
  const AccuracySettings base_settings = resolve_accuracy_settings(base);
  const AccuracyInputs inputs = load_accuracy_inputs(base_settings);
  const GridPlan plan = plan_grid(base, entries, texts, inputs.model.config);
  GridResult grid{entries, texts, plan.entry_settings, {}, describe_model(base_settings, inputs.model.config)};

  const size_t total = texts.size() + plan.unique.size();
  std::atomic<size_t> done{0};
  std::mutex progress_mutex;
  auto finished = [&] {
    const size_t now = ++done;
    std::lock_guard<std::mutex> lock(progress_mutex);
    if (options.on_progress) options.on_progress(now, total);
  };
  std::vector<std::unique_ptr<core::llm::AccuracyEvaluator>> evaluators(texts.size());
  parallel_for(texts.size(), options.threads, [&](size_t t) {
    evaluators[t] = std::make_unique<core::llm::AccuracyEvaluator>(
        inputs.model, evaluated_segments(plan.text_settings[t], inputs), inputs.calibration);
    finished();
  });
  std::vector<core::llm::AccuracyResult> results(plan.unique.size());
  parallel_for(plan.unique.size(), options.threads, [&](size_t u) {
    results[u] = evaluators[plan.unique[u].first]->run(plan.unique[u].second.config);
    finished();
  });

  for (size_t e = 0; e < entries.size(); ++e) {
    std::vector<core::llm::AccuracyResult> row;
    for (size_t t = 0; t < texts.size(); ++t) row.push_back(results[plan.evaluation[e][t]]);
    row.push_back(core::llm::pool_results(row));
    grid.results.push_back(std::move(row));
  }
  return grid;
}

}  // namespace aqpim::apps
