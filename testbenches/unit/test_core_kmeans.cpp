// k-means: determinism, monotone objective, weighted update, corner cases and argument errors.
#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "core/fp16.h"
#include "core/kmeans.h"
#include "test_core_support.h"

namespace aqpim::core {
namespace {

using test::normal_values;
using test::squared_distance;

KMeansOptions options_with(size_t clusters, size_t iterations, KMeansInit init, uint64_t seed = 3) {
  KMeansOptions options;
  options.clusters = clusters;
  options.iterations = iterations;
  options.init = init;
  options.seed = seed;
  return options;
}

TEST(KMeans, SameSeedSameCentroidsOtherSeedOtherCentroids) {
  const auto points = normal_values(500 * 4, 1);
  for (KMeansInit init : {KMeansInit::kPlusPlus, KMeansInit::kRandom}) {
    const auto a = kmeans(points.data(), 500, 4, options_with(16, 4, init, 7));
    const auto b = kmeans(points.data(), 500, 4, options_with(16, 4, init, 7));
    const auto c = kmeans(points.data(), 500, 4, options_with(16, 4, init, 8));
    EXPECT_EQ(a.centroids, b.centroids);
    EXPECT_EQ(a.assignments, b.assignments);
    EXPECT_NE(a.centroids, c.centroids);
  }
}

TEST(KMeans, ObjectiveNeverIncreasesAndMatchesAnIndependentDoubleSum) {
  const size_t count = 800, dim = 4;
  const auto points = normal_values(count * dim, 2);
  auto weights = normal_values(count, 3);
  for (float& weight : weights) weight = std::fabs(weight);
  for (KMeansInit init : {KMeansInit::kPlusPlus, KMeansInit::kRandom})
    for (const float* w : {static_cast<const float*>(nullptr), static_cast<const float*>(weights.data())}) {
      const auto result = kmeans(points.data(), count, dim, options_with(32, 12, init), w);
      ASSERT_EQ(result.objective.size(), 13u);
      for (size_t i = 1; i < result.objective.size(); ++i)
        EXPECT_LE(result.objective[i], result.objective[i - 1] * (1 + 1e-6)) << "iteration " << i;
      EXPECT_LT(result.objective.back(), result.objective.front());
      double expected = 0;  // the returned assignment is the nearest centroid, so the objective is the min sum
      for (size_t n = 0; n < count; ++n) {
        double best = INFINITY;
        for (size_t k = 0; k < 32; ++k)
          best = std::min(best, squared_distance(&points[n * dim], &result.centroids[k * dim], dim));
        expected += (w ? w[n] : 1.0) * best;
      }
      EXPECT_NEAR(result.objective.back(), expected, 1e-4 * expected);
      EXPECT_NEAR(kmeans_objective(points.data(), count, dim, result.centroids.data(), result.assignments.data(), w),
                  expected, 1e-9 * expected);
    }
}

TEST(KMeans, WeightedUpdateIsTheWeightedMeanWhileAssignmentIgnoresWeights) {
  // Two far-apart blobs and K = 2: after one iteration each centroid is its blob's weighted mean.
  const size_t dim = 2;
  const std::vector<float> points = {0, 0, 1, 0, 0, 3, 100, 100, 104, 100};
  const std::vector<float> weights = {1, 3, 0.5f, 2, 6};
  KMeansOptions options = options_with(2, 1, KMeansInit::kRandom);
  const std::vector<float> start = {0.5f, 0.5f, 101, 101};
  options.initial_centroids = start.data();
  const auto result = kmeans(points.data(), 5, dim, options, weights.data());
  EXPECT_NEAR(result.centroids[0], (0 * 1 + 1 * 3 + 0 * 0.5) / 4.5, 1e-6);
  EXPECT_NEAR(result.centroids[1], (0 * 1 + 0 * 3 + 3 * 0.5) / 4.5, 1e-6);
  EXPECT_NEAR(result.centroids[2], (100 * 2 + 104 * 6) / 8.0, 1e-4);
  // A heavy point does not attract points of the other blob: assignment is plain nearest-centroid.
  EXPECT_EQ(result.assignments, (std::vector<uint32_t>{0, 0, 0, 1, 1}));
}

TEST(KMeans, EmptyClusterIsMovedOntoTheWorstServedPoint) {
  // Start with two identical centroids: the second one gets nothing (ties go low) and must be repaired.
  const std::vector<float> points = {0, 0.1f, 0.2f, 10};
  const std::vector<float> start = {0, 0};
  KMeansOptions options = options_with(2, 2, KMeansInit::kRandom);
  options.initial_centroids = start.data();
  const auto result = kmeans(points.data(), 4, 1, options);
  EXPECT_GE(result.repaired_clusters, 1u);
  EXPECT_FLOAT_EQ(result.centroids[1], 10.0f);
  EXPECT_NEAR(result.centroids[0], 0.1, 1e-6);
  EXPECT_EQ(result.assignments, (std::vector<uint32_t>{0, 0, 0, 1}));
}

TEST(KMeans, FewerPointsThanClustersGivesEveryPointItsOwnCentroid) {
  const size_t count = 5, dim = 3, clusters = 16;
  const auto points = normal_values(count * dim, 4);
  for (KMeansInit init : {KMeansInit::kPlusPlus, KMeansInit::kRandom}) {
    const auto result = kmeans(points.data(), count, dim, options_with(clusters, 4, init));
    ASSERT_EQ(result.centroids.size(), clusters * dim);
    EXPECT_EQ(result.objective.back(), 0.0);
    EXPECT_EQ(std::set<uint32_t>(result.assignments.begin(), result.assignments.end()).size(), count);
    for (size_t n = 0; n < count; ++n)
      EXPECT_EQ(squared_distance(&points[n * dim], &result.centroids[result.assignments[n] * dim], dim), 0.0);
  }
}

TEST(KMeans, DuplicatePointsAreRepresentedExactlyWhenFewerDistinctThanClusters) {
  const size_t dim = 2;
  std::vector<float> points;
  for (int copy = 0; copy < 50; ++copy)
    for (float x : {1.0f, -2.0f, 7.5f}) points.insert(points.end(), {x, x * 0.5f});
  const auto result = kmeans(points.data(), 150, dim, options_with(8, 4, KMeansInit::kPlusPlus));
  EXPECT_EQ(result.objective.back(), 0.0);
  EXPECT_EQ(std::set<uint32_t>(result.assignments.begin(), result.assignments.end()).size(), 3u);
  for (float value : result.centroids) EXPECT_TRUE(std::isfinite(value));
}

TEST(KMeans, ConvergenceModeStopsEarlyAtAFixedPoint) {
  const auto points = normal_values(400 * 2, 5);
  KMeansOptions options = options_with(4, 100, KMeansInit::kPlusPlus);
  options.tolerance = 1e-9;
  const auto result = kmeans(points.data(), 400, 2, options);
  EXPECT_LT(result.iterations_run, 100u);
  const auto fixed = kmeans(points.data(), 400, 2, options_with(4, 4, KMeansInit::kPlusPlus));
  EXPECT_EQ(fixed.iterations_run, 4u);
}

// The hardware-arithmetic switches, against the order written out here with plain float loops: per lane
// (point n in lane n % lanes) sums from zero in point order, lanes added in lane order, centroid =
// sum * (1 / weight), rounded to fp16, an empty cluster keeps its centroid.
TEST(KMeans, HardwareOrderMatchesLanesAddedInOrderWithFp16CentroidsBitForBit) {
  const size_t count = 203, dim = 4, clusters = 24, lanes = 16, iterations = 3;
  const auto points = normal_values(count * dim, 11);
  auto weights = normal_values(count, 12);
  for (float& weight : weights) weight = std::fabs(weight);
  std::vector<float> initial(clusters * dim);
  for (size_t k = 0; k < clusters; ++k)
    for (size_t d = 0; d < dim; ++d) initial[k * dim + d] = round_to_fp16(points[(k * 7 % count) * dim + d]);
  initial[5 * dim] = 1e4f;  // far away: cluster 5 stays empty and must keep its centroid

  KMeansOptions options = options_with(clusters, iterations, KMeansInit::kRandom);
  options.initial_centroids = initial.data();
  options.accumulation_lanes = lanes;
  options.fp16_centroids = true;
  options.repair_empty_clusters = false;
  const KMeansResult result = kmeans(points.data(), count, dim, options, weights.data());

  std::vector<float> centroids = initial;
  for (size_t iteration = 0; iteration < iterations; ++iteration) {
    std::vector<float> sums(clusters * dim, 0.0f), weight_sums(clusters, 0.0f);
    for (size_t lane = 0; lane < lanes; ++lane) {
      std::vector<float> lane_sums(clusters * dim, 0.0f), lane_weights(clusters, 0.0f);
      for (size_t n = lane; n < count; n += lanes) {
        size_t best = 0;
        float best_distance = INFINITY;
        for (size_t k = 0; k < clusters; ++k) {
          float distance = 0.0f;
          for (size_t d = 0; d < dim; ++d) {
            const float difference = points[n * dim + d] - centroids[k * dim + d];
            distance += difference * difference;
          }
          if (distance < best_distance) best_distance = distance, best = k;
        }
        for (size_t d = 0; d < dim; ++d) lane_sums[best * dim + d] += weights[n] * points[n * dim + d];
        lane_weights[best] += weights[n];
      }
      for (size_t i = 0; i < sums.size(); ++i) sums[i] += lane_sums[i];
      for (size_t k = 0; k < clusters; ++k) weight_sums[k] += lane_weights[k];
    }
    for (size_t k = 0; k < clusters; ++k) {
      if (weight_sums[k] == 0.0f) continue;
      const float reciprocal = 1.0f / weight_sums[k];
      for (size_t d = 0; d < dim; ++d) centroids[k * dim + d] = round_to_fp16(sums[k * dim + d] * reciprocal);
    }
  }
  EXPECT_EQ(result.centroids, centroids);
  EXPECT_EQ(result.repaired_clusters, 0u);
  EXPECT_EQ(result.centroids[5 * dim], 1e4f);  // exactly representable in fp16, and never updated
}

TEST(KMeans, BadArgumentsThrowNamingTheArgument) {
  const auto points = normal_values(10 * 2, 6);
  auto expect_error = [](auto&& call, const char* argument) {
    try {
      call();
      ADD_FAILURE() << "no exception for " << argument;
    } catch (const std::invalid_argument& error) {
      EXPECT_EQ(std::string(error.what()).rfind(argument, 0), 0u) << error.what();
    }
  };
  expect_error([&] { kmeans(points.data(), 10, 2, options_with(0, 4, KMeansInit::kRandom)); }, "clusters");
  expect_error([&] { kmeans(points.data(), 0, 2, options_with(4, 4, KMeansInit::kRandom)); }, "count");
  expect_error([&] { kmeans(points.data(), 10, 0, options_with(4, 4, KMeansInit::kRandom)); }, "dim");
  auto with_nan = points;
  with_nan[7] = NAN;
  expect_error([&] { kmeans(with_nan.data(), 10, 2, options_with(4, 4, KMeansInit::kRandom)); }, "points");
  std::vector<float> negative(10, 1.0f);
  negative[3] = -1;
  expect_error([&] { kmeans(points.data(), 10, 2, options_with(4, 4, KMeansInit::kRandom), negative.data()); },
               "weights");
  std::vector<float> zero(10, 0.0f);
  expect_error([&] { kmeans(points.data(), 10, 2, options_with(4, 4, KMeansInit::kRandom), zero.data()); },
               "weights");
}

}  // namespace
}  // namespace aqpim::core
