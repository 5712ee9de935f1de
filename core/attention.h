// Decode/prefill attention: an fp32 reference over uncompressed K/V, and AQPIM's attention on PQ codes
// (LUT scoring, then one of the two value paths), with causal masking and GQA.
//
// Tensor layouts (the HF/PyTorch order): queries and outputs [query][query_head][head_dim]; keys and values
// [token][kv_head][head_dim]. Query head h reads KV head h / (query_heads / kv_heads).
// Scores are <q * scale, k> with scale = 1/sqrt(head_dim) unless set; softmax is the max-subtracted one of
// core/kernels.h (never overflows).
#pragma once

#include <cstddef>
#include <vector>

#include "core/enum_names.h"
#include "core/kv_quantizer.h"

namespace aqpim::core {

struct AttentionShape {
  size_t query_heads = 1;
  size_t kv_heads = 1;  // must divide query_heads
  size_t head_dim = 128;
  float scale = 0.0f;   // 0 = 1/sqrt(head_dim)
  float softmax_scale() const;
  void validate() const;
};

// Query q sits at position first_position + q and, when causal, sees tokens 0..that position (clamped to
// the tokens present). Not causal: every query sees every token (a decode step with the newest token
// already in the cache).
struct QueryPositions {
  bool causal = false;
  size_t first_position = 0;
  size_t visible_tokens(size_t query, size_t tokens) const;
};

enum class ValuePath {
  // Histogram: add each token's probability to its centroid's bin, then multiply the histogram by the value
  // codebook: N*m additions + K*head_dim MACs instead of N*head_dim MACs. What the modelled PIM does.
  kHistogram,
  // Reconstruct: weight every token's decoded value vector (N*head_dim MACs).
  kReconstruct,
};
inline constexpr EnumName<ValuePath> kValuePathNames[] = {{ValuePath::kHistogram, "histogram"},
                                                           {ValuePath::kReconstruct, "reconstruct"}};

// One query head against one KV head. query: head_dim floats in the original channel order. out: head_dim.
// scores/probabilities (optional): `visible` floats, token order.
void reference_head_attention(const float* query, const float* keys, const float* values, size_t visible,
                              size_t row_stride, size_t head_dim, float scale, float* out, float* scores = nullptr,
                              float* probabilities = nullptr);
void pq_head_attention(const float* query, const QuantizedKv& keys, const QuantizedKv& values, size_t visible,
                       float scale, ValuePath path, float* out, float* scores = nullptr,
                       float* probabilities = nullptr);

// The scores pq_head_attention computes before its softmax: <query * scale, k> for the first `visible`
// tokens, sink and recent tokens from their fp16 rows, coded tokens from the LUTs. PQ-based token selection
// (PQCache) ranks tokens by these. scores: `visible` floats (clamped to keys.tokens()).
void pq_head_scores(const float* query, const QuantizedKv& keys, size_t visible, float scale, float* scores);

void reference_attention(const float* queries, size_t query_count, const float* keys, const float* values,
                         size_t tokens, const AttentionShape& shape, const QueryPositions& positions, float* out);

// One QuantizedKv per KV head for keys and for values.
struct QuantizedKvCache {
  std::vector<QuantizedKv> keys;
  std::vector<QuantizedKv> values;
};
void pq_attention(const float* queries, size_t query_count, const QuantizedKvCache& cache, const AttentionShape& shape,
                  const QueryPositions& positions, ValuePath path, float* out);

}  // namespace aqpim::core
