// AQPIM's accuracy fixes: each must lower the attention error against plain PQ on the structured synthetic
// KV set, and each must keep its invariants (channel orders are permutations that respect RoPE pairs and
// leave q.k unchanged; importance weights are attention mass).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "core/accuracy_fixes.h"
#include "core/metrics.h"
#include "core/synthetic_kv.h"
#include "test_core_support.h"

namespace aqpim::core {
namespace {

using test::double_attention;

struct Workload {
  SyntheticKv data;
  AttentionShape shape;
};

Workload make_workload() {
  SyntheticKvOptions options;
  options.tokens = 2048;
  options.head_dim = 32;
  options.kv_heads = 2;
  options.query_heads = 4;
  options.decode_queries = 8;
  options.seed = 5;
  Workload workload{make_synthetic_kv(options), {}};
  workload.shape = {options.query_heads, options.kv_heads, options.head_dim, 0.0f};
  return workload;
}

const Workload& workload() {
  static const Workload shared = make_workload();
  return shared;
}

KvQuantizationOptions plain_pq() {
  KvQuantizationOptions options;
  options.shape = {32, 8, 16};
  options.training.seed = 3;
  return options;
}

AttentionError error_of(const KvQuantizationOptions& options, const CalibratedFixes& fixes) {
  const Workload& w = workload();
  const SyntheticKvOptions& o = w.data.options;
  const QuantizedKvCache cache = quantize_cache(w.data.keys.data(), w.data.values.data(), o.tokens, w.shape, options,
                                                fixes, w.data.prefill_queries.data(), o.prefill_queries);
  return measure_attention_error(w.data.decode_queries.data(), o.decode_queries, w.data.keys.data(),
                                 w.data.values.data(), o.tokens, w.shape, cache);
}

void print(const char* name, const AttentionError& error) {
  std::printf("%-22s rel_l2 %.4f cos %.5f kl %.5f spearman %.4f top8 %.3f\n", name, error.relative_l2, error.cosine,
              error.kl, error.spearman, error.top8_overlap);
}

TEST(AccuracyFixes, EachFixLowersTheAttentionErrorAgainstPlainPq) {
  const AttentionError plain = error_of(plain_pq(), {});
  print("plain", plain);

  KvQuantizationOptions sink_recent = plain_pq();
  sink_recent.sink_tokens = 8;
  sink_recent.recent_tokens = 32;
  const AttentionError with_fp16_tokens = error_of(sink_recent, {});
  print("sink+recent fp16", with_fp16_tokens);

  CalibratedFixes weighted;
  weighted.importance_weighting = true;
  const AttentionError with_weights = error_of(plain_pq(), weighted);
  print("importance weights", with_weights);

  CalibratedFixes presort;
  presort.channel_presort = true;
  const AttentionError with_presort = error_of(plain_pq(), presort);
  print("channel presort", with_presort);
  presort.key_pairing = RopePairing::kHalfSplit;
  const AttentionError with_paired_presort = error_of(plain_pq(), presort);
  print("presort, RoPE pairs", with_paired_presort);

  KvQuantizationOptions windowed = plain_pq();
  windowed.window_tokens = 512;
  const AttentionError with_windows = error_of(windowed, {});
  print("windowed", with_windows);

  KvQuantizationOptions all = sink_recent;
  all.window_tokens = 512;
  CalibratedFixes all_calibrated = weighted;
  all_calibrated.channel_presort = true;
  const AttentionError with_all = error_of(all, all_calibrated);
  print("all", with_all);

  for (const AttentionError* fixed :
       {&with_fp16_tokens, &with_weights, &with_presort, &with_paired_presort, &with_windows, &with_all}) {
    EXPECT_LT(fixed->relative_l2, plain.relative_l2);
    EXPECT_LT(fixed->kl, plain.kl);
  }
  EXPECT_LT(with_all.relative_l2, 0.5 * plain.relative_l2);
}

TEST(AccuracyFixes, ChannelOrderIsAPermutationKeepingRopePairsAndLeavesDotProductsUnchanged) {
  const Workload& w = workload();
  const size_t dim = 32, tokens = w.data.options.tokens, stride = 2 * dim;
  for (RopePairing pairing : {RopePairing::kNone, RopePairing::kHalfSplit, RopePairing::kInterleaved}) {
    const auto order = calibrate_channel_order(w.data.keys.data(), tokens, stride, dim, 4, pairing);
    EXPECT_NO_THROW(validate_channel_order(order, dim, 4, pairing));
    std::vector<uint32_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t c = 0; c < dim; ++c) ASSERT_EQ(sorted[c], c);
    for (size_t c = 0; pairing == RopePairing::kHalfSplit && c < dim; c += 2) EXPECT_EQ(order[c + 1], order[c] + 16);
    for (size_t c = 0; pairing == RopePairing::kInterleaved && c < dim; c += 2) EXPECT_EQ(order[c + 1], order[c] + 1);

    std::vector<float> key(dim), query(dim);
    apply_channel_order(order, w.data.keys.data() + 7 * stride, 1, stride, key.data());
    apply_channel_order(order, w.data.decode_queries.data(), 1, 0, query.data());
    double permuted = 0, original = 0;
    for (size_t c = 0; c < dim; ++c) {
      permuted += double(key[c]) * query[c];
      original += double(w.data.keys[7 * stride + c]) * w.data.decode_queries[c];
    }
    EXPECT_NEAR(permuted, original, 1e-9 * (1 + std::fabs(original)));
  }
  EXPECT_THROW(validate_channel_order({0, 1, 1, 3}, 4), std::invalid_argument);
  EXPECT_THROW(validate_channel_order({0, 2, 1, 3}, 4, 2, RopePairing::kInterleaved), std::invalid_argument);
  EXPECT_THROW(calibrate_channel_order(w.data.keys.data(), tokens, stride, dim, 3, RopePairing::kNone),
               std::invalid_argument);  // 3 does not divide 32
  EXPECT_THROW(calibrate_channel_order(w.data.keys.data(), tokens, stride, dim, 1, RopePairing::kHalfSplit),
               std::invalid_argument);  // a pair cannot fit one channel
}

TEST(AccuracyFixes, ChannelOrdersCalibratedElsewhereAreUsedAsGiven) {
  const Workload& w = workload();
  const size_t dim = 32;
  // Orders from other data (here: the values' statistics used for the keys), one per KV head.
  CalibratedFixes fixes;
  fixes.channel_presort = true;
  fixes.key_pairing = RopePairing::kInterleaved;
  for (size_t h = 0; h < 2; ++h) {
    fixes.key_orders.push_back(calibrate_channel_order(w.data.values.data() + h * dim, 256, 2 * dim, dim, 4,
                                                       RopePairing::kInterleaved));
    fixes.value_orders.push_back(calibrate_channel_order(w.data.keys.data() + h * dim, 256, 2 * dim, dim, 4));
  }
  const QuantizedKvCache cache =
      quantize_cache(w.data.keys.data(), w.data.values.data(), 300, w.shape, plain_pq(), fixes);
  for (size_t h = 0; h < 2; ++h) {
    EXPECT_EQ(cache.keys[h].channel_order, fixes.key_orders[h]);
    EXPECT_EQ(cache.values[h].channel_order, fixes.value_orders[h]);
  }
  CalibratedFixes wrong = fixes;
  wrong.key_orders.pop_back();  // one order for two KV heads
  EXPECT_THROW(quantize_cache(w.data.keys.data(), w.data.values.data(), 300, w.shape, plain_pq(), wrong),
               std::invalid_argument);
  wrong = fixes;
  std::iota(wrong.key_orders[0].begin(), wrong.key_orders[0].end(), 0u);
  std::swap(wrong.key_orders[0][1], wrong.key_orders[0][2]);  // splits the RoPE pairs (0, 1) and (2, 3)
  EXPECT_THROW(quantize_cache(w.data.keys.data(), w.data.values.data(), 300, w.shape, plain_pq(), wrong),
               std::invalid_argument);
}

TEST(AccuracyFixes, ImportanceWeightsAreTheAttentionMassOfTheLastQueries) {
  const Workload& w = workload();
  const size_t dim = 32, tokens = 300, queries = 5, stride = 2 * dim;
  const float* keys = w.data.keys.data() + dim;  // KV head 1
  const float* last = w.data.prefill_queries.data();  // [query][4 heads][dim]: take heads 2 and 3 of each
  std::vector<float> group_queries;
  for (size_t q = 0; q < queries; ++q)
    group_queries.insert(group_queries.end(), last + (q * 4 + 2) * dim, last + (q * 4 + 4) * dim);
  const auto weights = importance_weights(group_queries.data(), queries, 2, keys, tokens, stride, dim);
  std::vector<double> expected(tokens, 0.0);
  for (size_t q = 0; q < queries; ++q)
    for (size_t h = 0; h < 2; ++h) {
      const size_t visible = tokens - queries + q + 1;  // causal
      const float* query = &group_queries[(q * 2 + h) * dim];
      std::vector<double> scores(visible);
      double max = -INFINITY, sum = 0;
      for (size_t n = 0; n < visible; ++n) {
        double dot = 0;
        for (size_t d = 0; d < dim; ++d) dot += double(query[d]) * keys[n * stride + d];
        max = std::max(max, scores[n] = dot / std::sqrt(double(dim)));
      }
      for (double& score : scores) sum += (score = std::exp(score - max));
      for (size_t n = 0; n < visible; ++n) expected[n] += scores[n] / sum;
    }
  for (size_t n = 0; n < tokens; ++n) EXPECT_NEAR(weights[n], expected[n], 1e-5 * (1 + expected[n])) << n;
  EXPECT_EQ(weights[tokens - 1] > 0, true);
  EXPECT_NEAR(std::accumulate(weights.begin(), weights.end(), 0.0), double(queries * 2), 1e-4);
}

TEST(AccuracyFixes, SyntheticWorkloadIsSeededFp16AndHasItsAdvertisedStructure) {
  SyntheticKvOptions options;
  options.tokens = 256;
  options.head_dim = 16;
  const SyntheticKv a = make_synthetic_kv(options), b = make_synthetic_kv(options);
  EXPECT_EQ(a.keys, b.keys);
  EXPECT_EQ(a.decode_queries, b.decode_queries);
  options.seed = 2;
  EXPECT_NE(make_synthetic_kv(options).keys, a.keys);
  for (float value : a.keys) ASSERT_EQ(value, round_to_fp16(value));
  // The sink token and the heavy hitters take far more attention than an average token.
  std::vector<float> out(16), scores(256), probabilities(256);
  reference_head_attention(a.decode_queries.data(), a.keys.data(), a.values.data(), 256, 16, 16, 0.25f, out.data(),
                           scores.data(), probabilities.data());
  EXPECT_GT(probabilities[0], 20.0f / 256);
  ASSERT_FALSE(a.heavy_tokens.empty());
  EXPECT_GT(probabilities[a.heavy_tokens[0]], 4.0f / 256);
  SyntheticKvOptions bad;
  bad.channel_group_size = 5;
  EXPECT_THROW(make_synthetic_kv(bad), std::invalid_argument);
}

}  // namespace
}  // namespace aqpim::core
