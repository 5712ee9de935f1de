// k-means for PQ sub-spaces (Lloyd's algorithm), built on the PIM kernels in core/kernels.h so that an
// iteration computed by the PIM unit model equals the golden model's bit for bit.
//
// One iteration = assign every point to its nearest centroid (unweighted squared L2, ties to the lowest
// index), then move each centroid to the weighted mean of its points (AQPIM's importance-weighted update;
// weight 1 when no weights are given), then repair clusters that received no weight.
//
// Deterministic: the same points, options and seed give the same centroids on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aqpim::core {

enum class KMeansInit {
  kPlusPlus,  // k-means++ (D^2 sampling, weighted by the point weights): better codebooks from few iterations
  kRandom,    // K distinct points drawn uniformly, as faiss does
};

struct KMeansOptions {
  size_t clusters = 16;   // K, >= 1
  size_t iterations = 4;  // Lloyd iterations; AQPIM's in-memory clustering runs 4
  // 0 runs exactly `iterations` (what hardware does). > 0 stops earlier once an iteration lowers the
  // objective by less than this fraction of it (convergence).
  double tolerance = 0.0;
  KMeansInit init = KMeansInit::kPlusPlus;
  uint64_t seed = 0;
  // clusters x dim starting centroids (e.g. carried over from the previous window); overrides `init`.
  const float* initial_centroids = nullptr;

  // Hardware arithmetic, so the golden model can reproduce an in-memory run bit for bit:
  // - accumulation_lanes: point n goes to partial sum n % lanes (each summing its points in order, from
  //   zero) and the partials are added in lane order, as bank PEs sum their own tokens and the buffer die
  //   reduces them. 1 = one running sum in point order.
  // - fp16_centroids: round the centroids to fp16 after every update, as when they live in fp16 SRAM.
  // - repair_empty_clusters: false leaves an empty cluster's centroid where it was (what PIM does).
  size_t accumulation_lanes = 1;
  bool fp16_centroids = false;
  bool repair_empty_clusters = true;
};

struct KMeansResult {
  std::vector<float> centroids;        // clusters x dim, row-major
  std::vector<uint32_t> assignments;   // nearest centroid of each point under the returned centroids
  // objective[i] = sum over points of weight * squared distance for the assignment of iteration i; the
  // last entry is the objective of the returned centroids. Never increases (up to fp32 rounding).
  std::vector<double> objective;
  size_t iterations_run = 0;
  size_t repaired_clusters = 0;  // empty clusters moved onto a badly served point, summed over iterations
};

// points: count x dim row-major, finite. weights: count values >= 0, not all zero, or null for all 1.
//
// Defined corner cases:
// - Empty cluster: its centroid moves onto the point with the largest weighted distance to its own centroid
//   (ties to the lowest index), so a later assignment can only lower the objective.
// - Fewer distinct points than clusters (count < K, duplicates): with k-means++ every distinct point of
//   non-zero weight gets its own centroid, so the assignment is exact and encoding is lossless; the spare
//   centroids repeat the first centroid and are never selected (ties go to the lower index). Random
//   initialisation takes all points when count < K; duplicates it draws are fixed by the empty-cluster repair.
// Throws std::invalid_argument for count == 0, dim == 0, K == 0, NaN/inf points or bad weights.
KMeansResult kmeans(const float* points, size_t count, size_t dim, const KMeansOptions& options,
                    const float* weights = nullptr);

// sum over points of weight * squared distance to the assigned centroid, in double.
double kmeans_objective(const float* points, size_t count, size_t dim, const float* centroids,
                        const uint32_t* assignments, const float* weights = nullptr);

}  // namespace aqpim::core
