// AQPIM's accuracy fixes that need data beyond the KV rows themselves. The fp16 sink/recent tokens and the
// page-aware windowed clustering are switches of KvQuantizationOptions (core/kv_quantizer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/attention.h"
#include "core/kv_quantizer.h"

namespace aqpim::core {

// Importance weights for weighted k-means: weight of token j = sum of the attention probabilities it
// receives from the last `query_count` prefill queries (causal: query r sits at position
// tokens - query_count + r), summed over `query_heads` query heads sharing this KV head (GQA).
// last_queries: [query][query_head][head_dim]; keys: tokens rows, `key_stride` floats apart (0 = head_dim).
// Softmax scale 1/sqrt(head_dim). Computed on the GPU in AQPIM; here with the fp32 reference attention.
std::vector<float> importance_weights(const float* last_queries, size_t query_count, size_t query_heads,
                                      const float* keys, size_t tokens, size_t key_stride, size_t head_dim);

// How channels may move when pre-sorting. RoPE rotates channel pairs; a permutation that keeps every pair
// together and inside one sub-vector can be folded into the projection weights before RoPE (with the RoPE
// frequency table permuted alike), so keys need it.
enum class RopePairing {
  kNone,         // values, or keys permuted after RoPE: channels move freely
  kHalfSplit,    // pairs (c, c + head_dim/2): the Llama/HF rotate_half layout
  kInterleaved,  // pairs (2c, 2c + 1): GPT-J / original Meta layout
};

// Calibration: a channel order (stored channel c = original channel order[c]) that greedily groups channels
// with the highest |cosine similarity| over the calibration rows into the same sub-vector of sub_dim
// channels. Deterministic. rows: count x head_dim, `row_stride` apart (0 = head_dim).
std::vector<uint32_t> calibrate_channel_order(const float* rows, size_t count, size_t row_stride, size_t head_dim,
                                              size_t sub_dim, RopePairing pairing = RopePairing::kNone);

// out[n, c] = rows[n, order[c]]: applied alike to keys and queries it leaves every q.k unchanged.
void apply_channel_order(const std::vector<uint32_t>& order, const float* rows, size_t count, size_t row_stride,
                         float* out);
// Throws std::invalid_argument unless order is a permutation of 0..head_dim-1 (and, with pairing, keeps
// each RoPE pair adjacent inside one sub-vector).
void validate_channel_order(const std::vector<uint32_t>& order, size_t head_dim, size_t sub_dim = 1,
                            RopePairing pairing = RopePairing::kNone);

// The fixes that need calibration data, as switches for quantize_cache.
struct CalibratedFixes {
  bool importance_weighting = false;  // weighted k-means, weights from the last prefill queries
  bool channel_presort = false;       // calibrated on the tokens being quantised unless orders are given
  RopePairing key_pairing = RopePairing::kNone;  // how key channels may move (values always move freely)
  // Channel orders calibrated beforehand, one per KV head (AQPIM calibrates offline on a separate text and
  // folds them into the weights). With channel_presort, non-empty lists are used instead of calibrating on
  // the tokens being quantised; key orders must respect key_pairing and the sub-vector size.
  std::vector<std::vector<uint32_t>> key_orders, value_orders;
};

// Quantises every KV head's keys and values. keys, values: [token][kv_head][head_dim]. last_queries:
// [query][query_head][head_dim] for positions tokens - last_query_count .. tokens - 1; needed only for
// importance weighting (the same weights serve keys and values of a KV head).
QuantizedKvCache quantize_cache(const float* keys, const float* values, size_t tokens, const AttentionShape& shape,
                                const KvQuantizationOptions& options, const CalibratedFixes& fixes = {},
                                const float* last_queries = nullptr, size_t last_query_count = 0);

}  // namespace aqpim::core
