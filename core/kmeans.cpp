#include "core/kmeans.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/argument_checks.h"
#include "core/fp16.h"
#include "core/kernels.h"
#include "core/seeded_random.h"

namespace aqpim::core {
namespace {

void validate(const float* points, size_t count, size_t dim, const KMeansOptions& options, const float* weights) {
  require_not_null("points", points);
  require_range("count", count, 1, std::numeric_limits<uint32_t>::max());
  require_range("dim", dim, 1, 1u << 20);
  require_range("clusters", options.clusters, 1, std::numeric_limits<uint32_t>::max());
  require_range("accumulation_lanes", options.accumulation_lanes, 1, 1u << 16);
  if (!(options.tolerance >= 0.0))
    throw_argument_error("tolerance", "must be >= 0", std::to_string(options.tolerance));
  require_finite("points", points, count * dim);
  if (options.initial_centroids) require_finite("initial_centroids", options.initial_centroids, options.clusters * dim);
  if (!weights) return;
  double total = 0;
  for (size_t n = 0; n < count; ++n) {
    if (!(weights[n] >= 0.0f) || !std::isfinite(weights[n]))
      throw_argument_error("weights", "must be finite and >= 0", std::to_string(weights[n]) + " at index " +
                                                                      std::to_string(n));
    total += weights[n];
  }
  if (total == 0.0) throw_argument_error("weights", "must not all be zero", "all zero");
}

float weight_of(const float* weights, size_t n) { return weights ? weights[n] : 1.0f; }

void copy_point(const float* points, size_t dim, size_t n, float* centroid) {
  std::copy(points + n * dim, points + (n + 1) * dim, centroid);
}

// Returns how many centroids were drawn; fewer than `clusters` when all points are already covered exactly.
size_t init_plus_plus(const float* points, size_t count, size_t dim, const float* weights, size_t clusters,
                      SeededRandom& random, float* centroids) {
  std::vector<double> mass(count);  // weight * squared distance to the nearest chosen centroid
  std::vector<float> distances(count);
  std::vector<uint32_t> unused_codes(count);
  double total = 0;
  for (size_t n = 0; n < count; ++n) total += (mass[n] = weight_of(weights, n));
  size_t chosen = 0;
  std::vector<float> nearest(count, std::numeric_limits<float>::infinity());
  while (chosen < clusters && total > 0.0) {
    double target = random.uniform() * total;
    size_t pick = count - 1;
    for (size_t n = 0; n < count; ++n) {
      if (mass[n] > 0.0 && target < mass[n]) {
        pick = n;
        break;
      }
      target -= mass[n];
    }
    while (mass[pick] == 0.0) --pick;  // rounding left `target` past the end: take the last massive point
    float* centroid = centroids + chosen * dim;
    copy_point(points, dim, pick, centroid);
    ++chosen;
    assign_nearest(points, count, dim, centroid, 1, unused_codes.data(), distances.data());
    total = 0;
    for (size_t n = 0; n < count; ++n) {
      nearest[n] = std::min(nearest[n], distances[n]);
      total += (mass[n] = double(weight_of(weights, n)) * nearest[n]);
    }
  }
  return chosen;
}

size_t init_random(const float* points, size_t count, size_t dim, size_t clusters, SeededRandom& random,
                   float* centroids) {
  const size_t chosen = std::min(count, clusters);
  // Partial Fisher-Yates: the first K entries of a uniformly shuffled index list, hence distinct points.
  std::vector<uint32_t> order(count);
  for (size_t n = 0; n < count; ++n) order[n] = uint32_t(n);
  for (size_t k = 0; k < chosen; ++k) {
    std::swap(order[k], order[k + random.below(count - k)]);
    copy_point(points, dim, order[k], centroids + k * dim);
  }
  return chosen;
}

// Moves each zero-weight cluster onto the point that is served worst; see kmeans.h.
size_t repair_empty_clusters(const float* points, size_t count, size_t dim, const float* weights,
                             const float* distances, const float* weight_sums, size_t clusters, float* centroids) {
  std::vector<double> badness;
  size_t repaired = 0;
  for (size_t k = 0; k < clusters; ++k) {
    if (weight_sums[k] != 0.0f) continue;
    if (badness.empty()) {
      badness.resize(count);
      for (size_t n = 0; n < count; ++n) badness[n] = double(weight_of(weights, n)) * distances[n];
    }
    const size_t worst = size_t(std::max_element(badness.begin(), badness.end()) - badness.begin());
    if (badness[worst] <= 0.0) break;  // every point sits on a centroid: nothing left to serve better
    copy_point(points, dim, worst, centroids + k * dim);
    badness[worst] = 0.0;
    ++repaired;
  }
  return repaired;
}

// sums / weight_sums (zeroed by the caller) of every cluster, summed in `lanes` partials added in lane order.
void accumulate_in_lanes(const float* points, size_t count, size_t dim, const uint32_t* codes, const float* weights,
                         size_t clusters, size_t lanes, float* sums, float* weight_sums) {
  if (lanes == 1) return accumulate_by_code(points, count, dim, codes, weights, clusters, sums, weight_sums);
  std::vector<float> lane_points, lane_weights, lane_sums(clusters * dim), lane_weight_sums(clusters);
  std::vector<uint32_t> lane_codes;
  for (size_t lane = 0; lane < lanes && lane < count; ++lane) {
    lane_points.clear(), lane_codes.clear(), lane_weights.clear();
    for (size_t n = lane; n < count; n += lanes) {
      lane_points.insert(lane_points.end(), points + n * dim, points + (n + 1) * dim);
      lane_codes.push_back(codes[n]);
      lane_weights.push_back(weight_of(weights, n));
    }
    std::fill(lane_sums.begin(), lane_sums.end(), 0.0f);
    std::fill(lane_weight_sums.begin(), lane_weight_sums.end(), 0.0f);
    accumulate_by_code(lane_points.data(), lane_codes.size(), dim, lane_codes.data(), weights ? lane_weights.data() : nullptr,
                       clusters, lane_sums.data(), lane_weight_sums.data());
    add_into(sums, lane_sums.data(), lane_sums.size());
    add_into(weight_sums, lane_weight_sums.data(), clusters);
  }
}

double weighted_sum(const float* distances, size_t count, const float* weights) {
  double sum = 0;
  for (size_t n = 0; n < count; ++n) sum += double(weight_of(weights, n)) * distances[n];
  return sum;
}

}  // namespace

KMeansResult kmeans(const float* points, size_t count, size_t dim, const KMeansOptions& options,
                    const float* weights) {
  validate(points, count, dim, options, weights);
  const size_t clusters = options.clusters;
  KMeansResult result;
  result.centroids.resize(clusters * dim);
  float* centroids = result.centroids.data();

  if (options.initial_centroids) {
    std::copy(options.initial_centroids, options.initial_centroids + clusters * dim, centroids);
  } else {
    SeededRandom random(options.seed);
    const size_t drawn = options.init == KMeansInit::kPlusPlus
                             ? init_plus_plus(points, count, dim, weights, clusters, random, centroids)
                             : init_random(points, count, dim, clusters, random, centroids);
    for (size_t k = drawn; k < clusters; ++k) std::copy(centroids, centroids + dim, centroids + k * dim);
  }

  result.assignments.resize(count);
  uint32_t* codes = result.assignments.data();
  std::vector<float> distances(count), sums(clusters * dim), weight_sums(clusters);
  bool assignment_is_current = false;
  for (size_t iteration = 0; iteration < options.iterations; ++iteration) {
    assign_nearest(points, count, dim, centroids, clusters, codes, distances.data());
    const double objective = weighted_sum(distances.data(), count, weights);
    const bool converged = options.tolerance > 0.0 && !result.objective.empty() &&
                           result.objective.back() - objective <= options.tolerance * result.objective.back();
    result.objective.push_back(objective);
    if (converged) {
      assignment_is_current = true;
      break;
    }
    std::fill(sums.begin(), sums.end(), 0.0f);
    std::fill(weight_sums.begin(), weight_sums.end(), 0.0f);
    accumulate_in_lanes(points, count, dim, codes, weights, clusters, options.accumulation_lanes, sums.data(),
                        weight_sums.data());
    finish_centroids(sums.data(), weight_sums.data(), clusters, dim, centroids);
    if (options.repair_empty_clusters)
      result.repaired_clusters +=
          repair_empty_clusters(points, count, dim, weights, distances.data(), weight_sums.data(), clusters, centroids);
    if (options.fp16_centroids)
      for (size_t i = 0; i < clusters * dim; ++i) centroids[i] = round_to_fp16(centroids[i]);
    ++result.iterations_run;
  }
  if (!assignment_is_current) {
    assign_nearest(points, count, dim, centroids, clusters, codes, distances.data());
    result.objective.push_back(weighted_sum(distances.data(), count, weights));
  }
  return result;
}

double kmeans_objective(const float* points, size_t count, size_t dim, const float* centroids,
                        const uint32_t* assignments, const float* weights) {
  double total = 0;
  for (size_t n = 0; n < count; ++n) {
    double distance = 0;
    for (size_t d = 0; d < dim; ++d) {
      const double difference = double(points[n * dim + d]) - centroids[size_t(assignments[n]) * dim + d];
      distance += difference * difference;
    }
    total += double(weight_of(weights, n)) * distance;
  }
  return total;
}

}  // namespace aqpim::core
