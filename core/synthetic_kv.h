// A structured synthetic KV workload with the features that break plain PQ in real LLM caches:
// - correlated channel groups: channels come in groups driven by one latent factor per token, scattered
//   over the head dimension (what channel pre-sorting recovers);
// - outlier channels: a few key channels with a much larger scale;
// - an attention-sink token 0 whose key every query matches strongly;
// - heavy-hitter tokens that the queries single out (what importance weighting protects);
// - a slow drift of the latent factors along the sequence (what per-window codebooks follow).
// Queries share a direction per KV head, so the last prefill queries predict the decode queries' attention.
// Every value is rounded to fp16, as the KV cache is stored. The same options and seed give the same data
// everywhere; the platform's functional mode uses this as its workload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aqpim::core {

struct SyntheticKvOptions {
  size_t tokens = 1024;
  size_t head_dim = 64;
  size_t kv_heads = 1;
  size_t query_heads = 1;       // a multiple of kv_heads (GQA)
  size_t prefill_queries = 32;  // the last t prefill queries, positions tokens - t .. tokens - 1
  size_t decode_queries = 8;    // queries that see all tokens
  uint64_t seed = 1;
  size_t channel_group_size = 4;
  size_t outlier_channels = 2;  // per KV head, keys only
  float outlier_scale = 8.0f;
  bool sink_token = true;
  float sink_score = 8.0f;             // how much more token 0 scores than a typical token
  double heavy_token_fraction = 0.02;
  float heavy_score = 4.0f;            // how much more a heavy hitter scores
  float drift = 1.5f;                  // amplitude of the latent drift, in units of the latent's spread
  void validate() const;
};

struct SyntheticKv {
  SyntheticKvOptions options;
  std::vector<float> keys;             // [token][kv_head][head_dim]
  std::vector<float> values;           // [token][kv_head][head_dim]
  std::vector<float> prefill_queries;  // [prefill_query][query_head][head_dim]
  std::vector<float> decode_queries;   // [decode_query][query_head][head_dim]
  std::vector<uint32_t> heavy_tokens;  // heavy-hitter positions, shared by all KV heads, ascending
};

SyntheticKv make_synthetic_kv(const SyntheticKvOptions& options);

}  // namespace aqpim::core
