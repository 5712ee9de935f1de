// Attention on codes against independent double-precision formulas: LUT scoring, both value paths, causal
// masking, GQA, fp16 sink/recent tokens, decode appends; and the error metrics.
#include <cmath>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "core/accuracy_fixes.h"
#include "core/attention.h"
#include "core/kernels.h"
#include "core/metrics.h"
#include "test_core_support.h"

namespace aqpim::core {
namespace {

using test::double_attention;
using test::fp16_normal_values;

KvQuantizationOptions small_options(size_t head_dim, size_t clusters) {
  KvQuantizationOptions options;
  options.shape = {head_dim, head_dim / 4, clusters};
  return options;
}

TEST(Attention, ReferenceMatchesDoublePrecisionWithCausalMaskAndGqa) {
  const AttentionShape shape{4, 2, 16, 0.0f};
  const size_t tokens = 50, queries = 6;
  const auto keys = fp16_normal_values(tokens * 2 * 16, 1), values = fp16_normal_values(tokens * 2 * 16, 2);
  const auto query = fp16_normal_values(queries * 4 * 16, 3, 3.0f);
  std::vector<float> out(queries * 4 * 16);
  const QueryPositions positions{true, 40};
  reference_attention(query.data(), queries, keys.data(), values.data(), tokens, shape, positions, out.data());
  for (size_t q = 0; q < queries; ++q)
    for (size_t h = 0; h < 4; ++h) {
      const size_t visible = std::min<size_t>(tokens, 40 + q + 1);
      const auto expected = double_attention(&query[(q * 4 + h) * 16], &keys[(h / 2) * 16], &values[(h / 2) * 16],
                                             visible, 32, 16, 1 / std::sqrt(16.0));
      for (size_t d = 0; d < 16; ++d) EXPECT_NEAR(out[(q * 4 + h) * 16 + d], expected[d], 1e-5);
    }
}

TEST(Attention, SoftmaxIsStableForHugeScores) {
  const std::vector<float> keys = {1000, 0, 999, 0, -1000, 0}, values = {1, 0, 0, 1, 5, 5};
  const std::vector<float> query = {50, 0};
  std::vector<float> out(2);
  reference_attention(query.data(), 1, keys.data(), values.data(), 3, {1, 1, 2, 1.0f}, {}, out.data());
  const double near = 1 / (1 + std::exp(-50.0));
  EXPECT_NEAR(out[0], near, 1e-6);
  EXPECT_NEAR(out[1], 1 - near, 1e-6);
}

TEST(Attention, LutScoresEqualDotProductsWithReconstructedKeys) {
  const size_t tokens = 400, dim = 32;
  const auto keys = fp16_normal_values(tokens * dim, 4), values = fp16_normal_values(tokens * dim, 5);
  auto options = small_options(dim, 16);
  options.sink_tokens = 3;
  options.recent_tokens = 7;
  options.window_tokens = 150;
  const QuantizedKv key_codes = quantize_kv(keys.data(), tokens, 0, options);
  const QuantizedKv value_codes = quantize_kv(values.data(), tokens, 0, options);
  const std::vector<float> reconstructed = dequantize_kv(key_codes);
  const auto query = fp16_normal_values(dim, 6);
  std::vector<float> out(dim), scores(tokens), probabilities(tokens);
  pq_head_attention(query.data(), key_codes, value_codes, tokens, 0.5f, ValuePath::kHistogram, out.data(),
                    scores.data(), probabilities.data());
  for (size_t n = 0; n < tokens; ++n) {
    double dot = 0;
    for (size_t d = 0; d < dim; ++d) dot += 0.5 * query[d] * reconstructed[n * dim + d];
    ASSERT_NEAR(scores[n], dot, 1e-5 * (1 + std::fabs(dot))) << "token " << n;
  }
  // fp16 sink and recent rows are stored exactly (the inputs are fp16 values).
  for (size_t n : {0, 1, 2, 393, 399})
    for (size_t d = 0; d < dim; ++d) EXPECT_EQ(reconstructed[n * dim + d], keys[n * dim + d]);
  // The whole output equals double-precision attention over the reconstructed keys and values.
  const auto expected = double_attention(query.data(), reconstructed.data(), dequantize_kv(value_codes).data(), tokens,
                                         dim, dim, 0.5);
  for (size_t d = 0; d < dim; ++d) EXPECT_NEAR(out[d], expected[d], 1e-5);
}

TEST(Attention, HistogramAndReconstructValuePathsAgreeWithin1e5Relative) {
  const size_t tokens = 3000, dim = 64;
  const auto keys = fp16_normal_values(tokens * dim, 7), values = fp16_normal_values(tokens * dim, 8);
  auto options = small_options(dim, 64);
  options.window_tokens = 1000;
  QuantizedKvCache cache;
  cache.keys.push_back(quantize_kv(keys.data(), tokens, 0, options));
  cache.values.push_back(quantize_kv(values.data(), tokens, 0, options));
  const auto queries = fp16_normal_values(5 * dim, 9, 2.0f);
  std::vector<float> histogram(5 * dim), reconstruct(5 * dim);
  const AttentionShape shape{1, 1, dim, 0.0f};
  pq_attention(queries.data(), 5, cache, shape, {true, 2000}, ValuePath::kHistogram, histogram.data());
  pq_attention(queries.data(), 5, cache, shape, {true, 2000}, ValuePath::kReconstruct, reconstruct.data());
  for (size_t q = 0; q < 5; ++q)
    EXPECT_LT(relative_l2_error(&histogram[q * dim], &reconstruct[q * dim], dim), 1e-5);
}

TEST(Attention, PqAttentionWithLosslessCodesMatchesTheReferenceUnderGqaAndCausalMask) {
  const AttentionShape shape{6, 2, 16, 0.0f};
  const size_t tokens = 48, queries = 4;
  const auto keys = fp16_normal_values(tokens * 2 * 16, 10), values = fp16_normal_values(tokens * 2 * 16, 11);
  const auto query = fp16_normal_values(queries * 6 * 16, 12, 2.0f);
  auto options = small_options(16, 64);  // K >= N: lossless
  options.sink_tokens = 4;
  options.recent_tokens = 4;
  const QuantizedKvCache cache = quantize_cache(keys.data(), values.data(), tokens, shape, options);
  std::vector<float> exact(queries * 6 * 16), approximate(exact.size());
  const QueryPositions positions{true, 20};
  reference_attention(query.data(), queries, keys.data(), values.data(), tokens, shape, positions, exact.data());
  for (ValuePath path : {ValuePath::kHistogram, ValuePath::kReconstruct}) {
    pq_attention(query.data(), queries, cache, shape, positions, path, approximate.data());
    for (size_t i = 0; i < exact.size(); ++i) EXPECT_NEAR(approximate[i], exact[i], 1e-5) << i;
  }
}

TEST(Attention, DecodeAppendsEvictTheOldestRecentTokenIntoCodes) {
  const size_t tokens = 200, dim = 16;
  const auto rows = fp16_normal_values((tokens + 3) * dim, 13);
  auto options = small_options(dim, 8);
  options.sink_tokens = 2;
  options.recent_tokens = 10;
  QuantizedKv kv = quantize_kv(rows.data(), tokens, 0, options);
  for (size_t n = tokens; n < tokens + 3; ++n) append_token(kv, &rows[n * dim]);
  EXPECT_EQ(kv.tokens(), tokens + 3);
  EXPECT_EQ(kv.recent_tokens(), 10u);
  EXPECT_EQ(kv.coded_tokens, tokens + 3 - 12);
  const auto restored = dequantize_kv(kv);
  for (size_t d = 0; d < dim; ++d) EXPECT_EQ(restored[(tokens + 2) * dim + d], rows[(tokens + 2) * dim + d]);
  // The evicted token is encoded with the existing codebook: its codes are its nearest centroids.
  const auto expected_codes = encode_pq(kv.codebooks.back(), &rows[(tokens - 10) * dim], 1);
  const size_t first_evicted = tokens - 12;
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(kv.codes[first_evicted * 4 + i], expected_codes[i]);
}

TEST(Attention, TrainingOnTheRecentWindowMakesItsLaterCodesLossless) {
  const size_t tokens = 60, dim = 16, sinks = 4, recent = 8;
  const auto rows = fp16_normal_values((tokens + recent) * dim, 21);
  for (bool train_on_recent : {false, true}) {
    auto options = small_options(dim, 64);  // K = 64 >= 48 coded + 8 recent tokens
    options.sink_tokens = sinks;
    options.recent_tokens = recent;
    options.train_on_recent = train_on_recent;
    QuantizedKv kv = quantize_kv(rows.data(), tokens, 0, options);
    EXPECT_EQ(kv.coded_tokens, tokens - sinks - recent);
    // Decode pushes exactly the prefill's recent tokens out of the window, into codes.
    for (size_t n = tokens; n < tokens + recent; ++n) append_token(kv, &rows[n * dim]);
    const auto restored = dequantize_kv(kv);
    size_t exact = 0;
    for (size_t i = (tokens - recent) * dim; i < tokens * dim; ++i) exact += restored[i] == rows[i];
    if (train_on_recent)
      EXPECT_EQ(exact, recent * dim);  // each had its own centroid
    else
      EXPECT_LT(exact, recent * dim);  // coded with centroids of other tokens
    for (size_t i = 0; i < (tokens - recent) * dim; ++i) ASSERT_EQ(restored[i], rows[i]) << i;
  }
}

TEST(Attention, PqHeadScoresAreTheScoresOfPqHeadAttention) {
  const size_t tokens = 40, dim = 16;
  const auto keys = fp16_normal_values(tokens * dim, 22), values = fp16_normal_values(tokens * dim, 23);
  const auto query = fp16_normal_values(dim, 24);
  auto options = small_options(dim, 8);
  options.sink_tokens = 3;
  options.recent_tokens = 5;
  const std::vector<uint32_t> order = calibrate_channel_order(keys.data(), tokens, 0, dim, 4);
  const QuantizedKv k = quantize_kv(keys.data(), tokens, 0, options, nullptr, order);
  const QuantizedKv v = quantize_kv(values.data(), tokens, 0, options);
  std::vector<float> scores(tokens), from_attention(tokens), out(dim);
  pq_head_scores(query.data(), k, tokens, 0.25f, scores.data());
  pq_head_attention(query.data(), k, v, tokens, 0.25f, ValuePath::kHistogram, out.data(), from_attention.data());
  EXPECT_EQ(scores, from_attention);
  // Against the keys as the cache reconstructs them, in double.
  const auto restored = dequantize_kv(k);
  for (size_t n = 0; n < tokens; ++n) {
    double dot = 0;
    for (size_t d = 0; d < dim; ++d) dot += 0.25 * query[d] * restored[n * dim + d];
    EXPECT_NEAR(scores[n], dot, 1e-5 * (1 + std::fabs(dot))) << n;
  }
}

TEST(Attention, BadArgumentsAreRejected) {
  const auto rows = fp16_normal_values(20 * 16, 14);
  EXPECT_THROW((AttentionShape{6, 4, 16, 0.0f}.validate()), std::invalid_argument);  // 4 does not divide 6
  auto options = small_options(16, 8);
  options.window_tokens = 10;
  options.shape.clusters = 1024;  // exceeds one row buffer
  EXPECT_THROW(quantize_kv(rows.data(), 20, 0, options), std::invalid_argument);
  const QuantizedKv keys = quantize_kv(rows.data(), 20, 0, small_options(16, 8));
  const QuantizedKv values = quantize_kv(rows.data(), 19, 0, small_options(16, 8));
  std::vector<float> out(16);
  EXPECT_THROW(pq_head_attention(rows.data(), keys, values, 20, 1.0f, ValuePath::kHistogram, out.data()),
               std::invalid_argument);
}

TEST(Metrics, MatchHandComputedValues) {
  const std::vector<float> a = {1, 2, 3, 4}, b = {1, 2, 3, 5};
  EXPECT_NEAR(relative_l2_error(b.data(), a.data(), 4), 1 / std::sqrt(30.0), 1e-12);
  EXPECT_NEAR(cosine_similarity(a.data(), b.data(), 4), 34 / std::sqrt(30.0 * 39.0), 1e-12);
  const std::vector<float> p = {0.5f, 0.25f, 0.25f}, q = {0.25f, 0.5f, 0.25f};
  EXPECT_NEAR(kl_divergence(p.data(), q.data(), 3), 0.5 * std::log(2.0) + 0.25 * std::log(0.5), 1e-7);
  EXPECT_NEAR(kl_divergence(p.data(), p.data(), 3), 0.0, 1e-12);
  const std::vector<float> reversed = {4, 3, 2, 1}, tied = {1, 1, 2, 3};
  EXPECT_DOUBLE_EQ(spearman_rank_correlation(a.data(), b.data(), 4), 1.0);
  EXPECT_DOUBLE_EQ(spearman_rank_correlation(a.data(), reversed.data(), 4), -1.0);
  // Ranks of `tied`: 0.5, 0.5, 2, 3 against 0, 1, 2, 3.
  const double covariance = (-1.5 * -1.0) + (-0.5 * -1.0) + 0.5 * 0.5 + 1.5 * 1.5;
  EXPECT_NEAR(spearman_rank_correlation(a.data(), tied.data(), 4), covariance / std::sqrt(5.0 * 4.5), 1e-12);
  EXPECT_DOUBLE_EQ(top_k_overlap(a.data(), reversed.data(), 4, 2), 0.0);
  EXPECT_DOUBLE_EQ(top_k_overlap(a.data(), b.data(), 4, 3), 1.0);
}

}  // namespace
}  // namespace aqpim::core
