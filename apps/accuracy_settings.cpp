#include "apps/accuracy_settings.h"

#include <limits>

#include "core/llm/transformer.h"

namespace aqpim::apps {
namespace {

using platform::choice;
using platform::file_path;
using platform::Flag;
using platform::integer;
using platform::ParamError;
using platform::real;

constexpr int64_t kMaxTokens = 1 << 20;
constexpr int64_t kMaxSeed = std::numeric_limits<int32_t>::max();

std::vector<platform::ParamSpec> data_rows(AccuracySettings& s) {
  return {
      {"data.model", "", "llama2.c checkpoint (legacy version-0 format) whose KV cache is evaluated.",
       file_path(s.model)},
      {"data.tokenizer", "", "llama2.c tokenizer.bin with exactly the model's vocabulary.", file_path(s.tokenizer)},
      {"data.text_source", "",
       "The evaluated text: data.text, or stories the model samples itself (temperature 1, in-domain).",
       choice(s.text_source, kTextSourceNames)},
      {"data.text", "", "Evaluated text (UTF-8) when data.text_source = file.", file_path(s.text)},
      {"data.generate_seed", "",
       "Seed of the first generated story (one story per seed) when data.text_source = generated.",
       integer(s.generate_seed, 0, kMaxSeed)},
      {"data.calibration", "",
       "Calibration text for AQPIM's channel pre-sorting and SKVQ's reordering (never the evaluated text).",
       file_path(s.calibration)},
      {"data.calibration_tokens", "tokens", "Tokens of the calibration text used (BOS included).",
       integer(s.calibration_tokens, 1, kMaxTokens)},
      {"data.segments", "", "Consecutive, non-overlapping segments of the text evaluated; measures are pooled.",
       integer(s.segments, 1, 1024)},
      {"data.segment_tokens", "tokens", "Tokens per segment, BOS included (at most the model's seq_len).",
       integer(s.segment_tokens, 3, kMaxTokens)},
      {"data.skip_tokens", "tokens", "Tokens of the text skipped before the first segment.",
       integer(s.skip_tokens, 0, kMaxTokens)},
  };
}

std::vector<platform::ParamSpec> eval_rows(AccuracySettings& s) {
  auto& c = s.config;
  return {
      {"eval.backend", "", "KV-cache back end: exact fp32 / fp16, AQPIM, or a baseline (SnapKV, SKVQ, PQCache).",
       choice(c.backend, core::llm::backend_names())},
      {"eval.prefill_tokens", "tokens",
       "P: prompt tokens per segment run exactly before the back end compresses; 0 = max(N - 64, N / 2).",
       integer(c.prefill_tokens, 0, kMaxTokens)},
  };
}

std::vector<platform::ParamSpec> aqpim_rows(core::llm::AqpimOptions& o) {
  return {
      {"aqpim.sub_dim", "channels", "Channels per sub-vector (m = head_dim / sub_dim).", integer(o.sub_dim, 1, 16)},
      {"aqpim.clusters", "", "K: centroids per sub-space codebook.", integer(o.clusters, 1, 4096)},
      {"aqpim.iterations", "", "k-means iterations.", integer(o.iterations, 1, 100)},
      {"aqpim.seed", "", "k-means seed.", integer(o.seed, 0, kMaxSeed)},
      {"aqpim.sink_tokens", "tokens", "First tokens kept in fp16 (0 = fix off).", integer(o.sink_tokens, 0, 4096)},
      {"aqpim.recent_tokens", "tokens", "Recent window kept in fp16 (0 = fix off).", integer(o.recent_tokens, 0, 4096)},
      {"aqpim.importance_weighting", "", "Weighted k-means from the last prefill queries' attention.",
       Flag{&o.importance_weighting}},
      {"aqpim.importance_queries", "queries", "t: last prefill queries whose attention weights k-means.",
       integer(o.importance_queries, 1, 4096)},
      {"aqpim.channel_presort", "",
       "Channel orders calibrated on data.calibration (similar channels share a sub-vector).",
       Flag{&o.channel_presort}},
      {"aqpim.window_tokens", "tokens", "Windowed clustering: coded tokens per codebook (0 = one codebook).",
       integer(o.window_tokens, 0, kMaxTokens)},
      {"aqpim.value_path", "", "Values through the per-centroid histogram or by reconstructing V.",
       choice(o.value_path, core::kValuePathNames)},
      {"aqpim.fp16_kv", "", "Round K and V to fp16 before quantising (HBM holds fp16 KV).", Flag{&o.fp16_kv}},
      {"aqpim.train_on_recent", "", "k-means also sees the fp16 recent window.", Flag{&o.train_on_recent}},
  };
}

std::vector<platform::ParamSpec> baseline_rows(AccuracySettings& s) {
  auto& snap = s.config.snapkv;
  auto& skvq = s.config.skvq;
  auto& pq = s.config.pqcache;
  return {
      {"snapkv.budget", "tokens", "Prompt tokens kept per KV head, observation window included.",
       integer(snap.budget, 2, kMaxTokens)},
      {"snapkv.window", "tokens", "Observation window (always kept; below the budget).", integer(snap.window, 1, 4096)},
      {"snapkv.kernel", "tokens", "Pooling kernel (odd).", integer(snap.kernel, 1, 63)},
      {"snapkv.pooling", "", "Pooling of the window's attention before the top-k.",
       choice(snap.pooling, core::llm::kSnapKvPoolingNames)},
      {"snapkv.fp16", "", "Kept rows in fp16 (else fp32).", Flag{&snap.fp16}},
      {"skvq.key_bits", "bits", "Bits per key element.", integer(skvq.key_bits, 1, 16)},
      {"skvq.value_bits", "bits", "Bits per value element.", integer(skvq.value_bits, 1, 16)},
      {"skvq.group_size", "channels", "Channels per quantisation group along kv_dim (0 = head_dim).",
       integer(skvq.group_size, 0, 4096)},
      {"skvq.clip_ratio", "", "Clipping of each group's range (1 = none).", real(skvq.clip_ratio, 0.01, 1.0)},
      {"skvq.sink_tokens", "tokens", "First tokens kept in fp16.", integer(skvq.sink_tokens, 0, 4096)},
      {"skvq.recent_tokens", "tokens", "Sliding fp16 window.", integer(skvq.recent_tokens, 0, 4096)},
      {"skvq.channel_reorder", "", "Channel reordering calibrated on data.calibration.", Flag{&skvq.channel_reorder}},
      {"pqcache.sub_dim", "channels", "Channels per sub-vector of the key codes.", integer(pq.sub_dim, 1, 16)},
      {"pqcache.clusters", "", "K of the key codes.", integer(pq.clusters, 1, 4096)},
      {"pqcache.iterations", "", "k-means iterations.", integer(pq.iterations, 1, 100)},
      {"pqcache.seed", "", "k-means seed.", integer(pq.seed, 0, kMaxSeed)},
      {"pqcache.sink_tokens", "tokens", "Initial tokens always attended exactly.", integer(pq.sink_tokens, 0, 4096)},
      {"pqcache.recent_tokens", "tokens", "Local window always attended exactly.", integer(pq.recent_tokens, 0, 4096)},
      {"pqcache.top_k", "tokens", "Coded tokens selected per query head and step (fetched exactly from CPU memory).",
       integer(pq.top_k, 1, kMaxTokens)},
  };
}

std::string named(const char* key, size_t value) {
  return std::string("'") + key + "' (" + std::to_string(value) + ")";
}

void require(bool ok, const std::string& message) {
  if (!ok) throw ParamError(message);
}

void validate_sub_dim(const char* key, size_t sub_dim, size_t head_dim) {
  require(head_dim % sub_dim == 0,
          named(key, sub_dim) + " must divide the model's head_dim (" + std::to_string(head_dim) + ")");
}

void validate_backend(const AccuracySettings& s, const core::llm::LlamaConfig& model, size_t prefill) {
  const auto& c = s.config;
  if (c.backend == "aqpim") {
    const auto& o = c.aqpim;
    validate_sub_dim("aqpim.sub_dim", o.sub_dim, model.head_dim());
    require(!o.channel_presort || o.sub_dim == 1 || o.sub_dim % 2 == 0,
            named("aqpim.sub_dim", o.sub_dim) +
                " must be even (RoPE pairs stay in one sub-vector) or 1 when aqpim.channel_presort is on");
    require(!o.importance_weighting || o.importance_queries <= prefill,
            named("aqpim.importance_queries", o.importance_queries) + " exceeds the prefill (" +
                std::to_string(prefill) + " tokens)");
    require(
        o.window_tokens == 0 || o.clusters <= 512,
        named("aqpim.clusters", o.clusters) + " exceeds the 512 centroids of one row window (aqpim.window_tokens > 0)");
  } else if (c.backend == "snapkv") {
    require(c.snapkv.window < c.snapkv.budget,
            named("snapkv.window", c.snapkv.window) + " must be below " + named("snapkv.budget", c.snapkv.budget));
    require(c.snapkv.kernel % 2 == 1, named("snapkv.kernel", c.snapkv.kernel) + " must be odd");
  } else if (c.backend == "skvq") {
    const size_t group = c.skvq.group(model.head_dim());
    require(model.kv_dim() % group == 0, named("skvq.group_size", group) + " must divide the model's kv_dim (" +
                                             std::to_string(model.kv_dim()) + ")");
  } else if (c.backend == "pqcache") {
    validate_sub_dim("pqcache.sub_dim", c.pqcache.sub_dim, model.head_dim());
  }
}

}  // namespace

std::vector<platform::ParamSpec> accuracy_table(AccuracySettings& settings) {
  std::vector<platform::ParamSpec> table;
  for (const auto& rows :
       {data_rows(settings), eval_rows(settings), aqpim_rows(settings.config.aqpim), baseline_rows(settings)})
    table.insert(table.end(), rows.begin(), rows.end());
  return table;
}

std::string accuracy_keys_markdown() {
  AccuracySettings defaults;
  return "# Accuracy keys\n\nGenerated by `aqpim accuracy --keys --markdown`; a test fails when this file and the code "
         "disagree.\n`aqpim accuracy` reads these keys from `--config FILE` (JSON, nested by the dots) and "
         "`--set KEY=VALUE`;\nonly the keys of the chosen `eval.backend` matter. Relative paths are read from the "
         "current directory\n(the defaults are the vendored files, for runs from the repository root). They are not "
         "platform\nparameters (docs/parameters.md). See docs/results.md, \"Accuracy on a real trained model\".\n" +
         platform::markdown_tables(accuracy_table(defaults));
}

AccuracySettings resolve_accuracy_settings(const platform::ParamLoader& sources) {
  AccuracySettings settings;
  sources.apply_to(accuracy_table(settings), kAccuracyKeysListing);
  return settings;
}

void validate_accuracy_settings(const AccuracySettings& s, const core::llm::LlamaConfig& model) {
  require(s.segment_tokens <= model.seq_len, named("data.segment_tokens", s.segment_tokens) +
                                                 " exceeds the model's seq_len (" + std::to_string(model.seq_len) +
                                                 ")");
  require(s.calibration_tokens <= model.seq_len, named("data.calibration_tokens", s.calibration_tokens) +
                                                     " exceeds the model's seq_len (" + std::to_string(model.seq_len) +
                                                     ")");
  require(s.config.prefill_tokens + 2 <= s.segment_tokens,
          named("eval.prefill_tokens", s.config.prefill_tokens) + " must be at most 'data.segment_tokens' - 2 (" +
              std::to_string(s.segment_tokens - 2) + "): at least one decode step is scored");
  validate_backend(s, model, core::llm::AccuracyEvaluator::prefill_for(s.config.prefill_tokens, s.segment_tokens));
}

std::vector<std::string> changed_settings(const AccuracySettings& settings) {
  AccuracySettings defaults, copy = settings;
  const auto base = accuracy_table(defaults), current = accuracy_table(copy);
  std::vector<std::string> changed;
  for (size_t i = 0; i < current.size(); ++i) {
    const std::string value = platform::current_value(current[i]);
    if (value != platform::current_value(base[i])) changed.push_back(current[i].key + "=" + value);
  }
  return changed;
}

}  // namespace aqpim::apps
