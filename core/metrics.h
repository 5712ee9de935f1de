// Error metrics between an approximate and a reference attention, all accumulated in double.
#pragma once

#include <cstddef>

#include "core/attention.h"

namespace aqpim::core {

// ||approximate - reference|| / ||reference|| (0 when both are zero).
double relative_l2_error(const float* approximate, const float* reference, size_t count);
// <a, b> / (||a|| ||b||); 1 when both are zero, 0 when exactly one is.
double cosine_similarity(const float* a, const float* b, size_t count);
// KL(reference || approximate) = sum p log(p / q) over two probability distributions; q is floored at
// 1e-30 so a token the approximation drops costs a large finite amount instead of infinity.
double kl_divergence(const float* reference, const float* approximate, size_t count);
// Spearman rank correlation of two score vectors (average ranks for ties): 1 = same order of tokens.
double spearman_rank_correlation(const float* a, const float* b, size_t count);
// |top-k of a  intersect  top-k of b| / k: do both pick the same most-attended tokens?
double top_k_overlap(const float* a, const float* b, size_t count, size_t k);

// PQ attention against the fp32 reference for a batch of queries that see all tokens (decode), averaged
// over queries and query heads.
struct AttentionError {
  double relative_l2 = 0;   // of the attention outputs
  double cosine = 0;        // of the attention outputs
  double kl = 0;            // KL(reference probabilities || PQ probabilities)
  double spearman = 0;      // rank agreement of the scores
  double top8_overlap = 0;  // share of the reference's 8 most-attended tokens that PQ also ranks top 8
};
AttentionError measure_attention_error(const float* queries, size_t query_count, const float* keys,
                                       const float* values, size_t tokens, const AttentionShape& shape,
                                       const QuantizedKvCache& cache, ValuePath path = ValuePath::kHistogram);

}  // namespace aqpim::core
