// The PIM arithmetic primitives against independent formulas written out in double precision.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/kernels.h"

namespace aqpim::core {
namespace {

std::vector<float> random_values(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (auto& value : values) value = normal(generator);
  return values;
}

TEST(Kernels, NearestCentroidMatchesBruteForceInDoubleAndTiesGoLow) {
  const size_t count = 200, dim = 4, clusters = 16;
  auto points = random_values(count * dim, 1);
  auto centroids = random_values(clusters * dim, 2);
  centroids[5 * dim + 0] = centroids[3 * dim + 0];  // make 3 and 5 identical: ties must pick 3
  for (size_t d = 1; d < dim; ++d) centroids[5 * dim + d] = centroids[3 * dim + d];
  std::vector<uint32_t> codes(count);
  assign_nearest(points.data(), count, dim, centroids.data(), clusters, codes.data());
  for (size_t n = 0; n < count; ++n) {
    double best = 1e300;
    size_t best_k = 0;
    for (size_t k = 0; k < clusters; ++k) {
      double distance = 0;
      for (size_t d = 0; d < dim; ++d) distance += std::pow(double(points[n * dim + d]) - centroids[k * dim + d], 2);
      if (distance < best - 1e-9) best = distance, best_k = k;
    }
    EXPECT_EQ(codes[n], best_k) << "point " << n;
    EXPECT_NE(codes[n], 5u);
  }
}

// The vectorised assign_nearest must give the documented sequential fp32 result bit for bit, for every
// sub-dimension (compile-time and runtime paths), cluster counts that are not multiples of the vector width,
// and tied centroids.
TEST(Kernels, NearestCentroidEqualsTheSequentialFp32DefinitionBitForBit) {
  for (size_t dim : {1, 2, 3, 4, 7, 8, 16, 17, 33}) {
    for (size_t clusters : {1, 5, 8, 13, 64, 257}) {
      const size_t count = 301;
      auto points = random_values(count * dim, uint32_t(dim * 1000 + clusters));
      auto centroids = random_values(clusters * dim, uint32_t(dim * 1000 + clusters + 7));
      if (clusters > 9)  // exact ties between a low and a high index in different vector lanes
        for (size_t d = 0; d < dim; ++d) centroids[9 * dim + d] = centroids[2 * dim + d];
      for (size_t d = 0; d < dim; ++d) points[d] = centroids[(clusters - 1) * dim + d];  // distance exactly 0
      std::vector<uint32_t> codes(count);
      std::vector<float> distances(count);
      assign_nearest(points.data(), count, dim, centroids.data(), clusters, codes.data(), distances.data());
      for (size_t n = 0; n < count; ++n) {
        float best = INFINITY;
        uint32_t best_k = 0;
        for (size_t k = 0; k < clusters; ++k) {
          float distance = 0.0f;
          for (size_t d = 0; d < dim; ++d) {
            volatile float difference = points[n * dim + d] - centroids[k * dim + d];  // no contraction
            volatile float square = difference * difference;
            distance += square;
          }
          if (distance < best) best = distance, best_k = uint32_t(k);
        }
        ASSERT_EQ(codes[n], best_k) << "dim " << dim << " clusters " << clusters << " point " << n;
        ASSERT_EQ(distances[n], best) << "dim " << dim << " clusters " << clusters << " point " << n;
        if (clusters > 9) {
          ASSERT_NE(codes[n], 9u);
        }
      }
    }
  }
}

TEST(Kernels, LutScoresOfManyTokensEqualTheSequentialSumBitForBit) {
  const size_t tokens = 37, sub_vectors = 5, clusters = 11;  // not multiples of the 8-token blocks
  auto luts = random_values(sub_vectors * clusters, 11);
  std::mt19937 generator(12);
  std::vector<uint16_t> codes(tokens * sub_vectors);
  for (auto& code : codes) code = uint16_t(generator() % clusters);
  std::vector<float> scores(tokens);
  score_codes(luts.data(), sub_vectors, clusters, codes.data(), tokens, scores.data());
  for (size_t n = 0; n < tokens; ++n) {
    float sum = 0.0f;
    for (size_t i = 0; i < sub_vectors; ++i) sum += luts[i * clusters + codes[n * sub_vectors + i]];
    EXPECT_EQ(scores[n], sum) << "token " << n;
  }
}

TEST(Kernels, SplitSoftmaxPartialsMergeToTheWholeRange) {
  auto scores = random_values(1000, 3);
  for (auto& score : scores) score *= 8.0f;
  const SoftmaxPartial whole = softmax_partial(scores.data(), scores.size());
  SoftmaxPartial merged;
  for (size_t start = 0; start < scores.size(); start += 137)
    merged = merge_softmax(merged, softmax_partial(scores.data() + start, std::min<size_t>(137, scores.size() - start)));
  double max = -1e300, sum = 0;
  for (float score : scores) max = std::max<double>(max, score);
  for (float score : scores) sum += std::exp(double(score) - max);
  EXPECT_EQ(whole.max, float(max));
  EXPECT_EQ(merged.max, float(max));
  EXPECT_NEAR(whole.sum, sum, 1e-5 * sum);
  EXPECT_NEAR(merged.sum, sum, 1e-5 * sum);
}

TEST(Kernels, HistogramAndReconstructValuePathsAgreeWithLutScoring) {
  const size_t tokens = 300, sub_vectors = 8, clusters = 32, dim = 4;
  auto codebooks = random_values(sub_vectors * clusters * dim, 4);
  std::mt19937 generator(5);
  std::vector<uint16_t> codes(tokens * sub_vectors);
  for (auto& code : codes) code = uint16_t(generator() % clusters);
  auto query = random_values(sub_vectors * dim, 6);

  std::vector<float> luts(sub_vectors * clusters), scores(tokens);
  for (size_t i = 0; i < sub_vectors; ++i)
    build_lut(query.data() + i * dim, codebooks.data() + i * clusters * dim, clusters, dim, luts.data() + i * clusters);
  score_codes(luts.data(), sub_vectors, clusters, codes.data(), tokens, scores.data());
  for (size_t n = 0; n < tokens; ++n) {  // q . k_hat with k_hat reconstructed from the codebooks
    double dot = 0;
    for (size_t i = 0; i < sub_vectors; ++i)
      for (size_t d = 0; d < dim; ++d)
        dot += double(query[i * dim + d]) * codebooks[(i * clusters + codes[n * sub_vectors + i]) * dim + d];
    EXPECT_NEAR(scores[n], dot, 1e-4 * (1 + std::fabs(dot)));
  }

  std::vector<float> probabilities(tokens);
  softmax_normalize(scores.data(), tokens, softmax_partial(scores.data(), tokens), probabilities.data());
  std::vector<float> histogram(sub_vectors * clusters), via_histogram(sub_vectors * dim), via_rows(sub_vectors * dim);
  accumulate_histogram(probabilities.data(), codes.data(), tokens, sub_vectors, clusters, histogram.data());
  histogram_times_codebook(histogram.data(), codebooks.data(), sub_vectors, clusters, dim, via_histogram.data());
  accumulate_reconstructed(probabilities.data(), codes.data(), tokens, sub_vectors, clusters, dim, codebooks.data(),
                           via_rows.data());
  for (size_t j = 0; j < via_rows.size(); ++j)
    EXPECT_NEAR(via_histogram[j], via_rows[j], 1e-5 * (1 + std::fabs(via_rows[j])));
}

}  // namespace
}  // namespace aqpim::core
