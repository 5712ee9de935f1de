#include "core/kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aqpim::core {

namespace {

void assign_nearest_scalar(const float* points, size_t count, size_t dim, const float* centroids, size_t clusters,
                           uint32_t* codes, float* distances) {
  for (size_t n = 0; n < count; ++n) {
    const float* point = points + n * dim;
    float best = std::numeric_limits<float>::infinity();
    uint32_t best_index = 0;
    for (size_t k = 0; k < clusters; ++k) {
      const float* centroid = centroids + k * dim;
      float distance = 0.0f;
      for (size_t d = 0; d < dim; ++d) {
        const float difference = point[d] - centroid[d];
        distance += difference * difference;
      }
      if (distance < best) best = distance, best_index = uint32_t(k);
    }
    codes[n] = best_index;
    if (distances) distances[n] = best;
  }
}

#if defined(__SSE2__)
constexpr size_t kLanes = 4;          // floats per SSE vector: one point per lane
constexpr size_t kVectorsPerStep = 4;  // points in flight = kLanes * kVectorsPerStep, sharing each centroid load

// Points in the vector lanes, centroids in order: every lane runs exactly the scalar loop (same distance
// operation order, strict less-than so the lowest index wins ties and NaN never wins), just four points at a
// time, so no cross-lane reduction is needed.
template <size_t kDim>
void assign_nearest_lanes(const float* points, size_t count, const float* centroids, size_t clusters,
                          uint32_t* codes, float* distances) {
  constexpr size_t kPoints = kLanes * kVectorsPerStep;
  const __m128i one = _mm_set1_epi32(1);
  size_t n = 0;
  for (; n + kPoints <= count; n += kPoints) {
    __m128 coordinates[kVectorsPerStep][kDim];
    for (size_t v = 0; v < kVectorsPerStep; ++v)
      for (size_t d = 0; d < kDim; ++d) {
        const float* point = points + (n + v * kLanes) * kDim + d;
        coordinates[v][d] = _mm_setr_ps(point[0], point[kDim], point[2 * kDim], point[3 * kDim]);
      }
    __m128 best[kVectorsPerStep];
    __m128i best_index[kVectorsPerStep];
    for (size_t v = 0; v < kVectorsPerStep; ++v)
      best[v] = _mm_set1_ps(std::numeric_limits<float>::infinity()), best_index[v] = _mm_setzero_si128();
    __m128i index = _mm_setzero_si128();
    for (size_t k = 0; k < clusters; ++k, index = _mm_add_epi32(index, one)) {
      __m128 centroid[kDim];
      for (size_t d = 0; d < kDim; ++d) centroid[d] = _mm_set1_ps(centroids[k * kDim + d]);
      for (size_t v = 0; v < kVectorsPerStep; ++v) {
        __m128 distance = _mm_setzero_ps();
        for (size_t d = 0; d < kDim; ++d) {
          const __m128 difference = _mm_sub_ps(coordinates[v][d], centroid[d]);
          distance = _mm_add_ps(distance, _mm_mul_ps(difference, difference));
        }
        const __m128i less = _mm_castps_si128(_mm_cmplt_ps(distance, best[v]));
        best[v] = _mm_min_ps(distance, best[v]);  // = distance < best ? distance : best
        best_index[v] = _mm_or_si128(_mm_and_si128(less, index), _mm_andnot_si128(less, best_index[v]));
      }
    }
    for (size_t v = 0; v < kVectorsPerStep; ++v) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + n + v * kLanes), best_index[v]);
      if (distances) _mm_storeu_ps(distances + n + v * kLanes, best[v]);
    }
  }
  assign_nearest_scalar(points + n * kDim, count - n, kDim, centroids, clusters, codes + n,
                        distances ? distances + n : nullptr);
}

using LaneAssign = void (*)(const float*, size_t, const float*, size_t, uint32_t*, float*);

template <size_t... kDims>
constexpr std::array<LaneAssign, sizeof...(kDims)> lane_assign_table(std::index_sequence<kDims...>) {
  return {&assign_nearest_lanes<kDims + 1>...};
}
constexpr auto kLaneAssign = lane_assign_table(std::make_index_sequence<16>());  // [d - 1] for dims 1..16
#endif

}  // namespace

void assign_nearest(const float* points, size_t count, size_t dim, const float* centroids, size_t clusters,
                    uint32_t* codes, float* distances) {
#if defined(__SSE2__)
  // The PQ sub-dimensions (1..16) take the vector path; other dimensions the scalar definition.
  if (dim >= 1 && dim <= kLaneAssign.size()) {
    kLaneAssign[dim - 1](points, count, centroids, clusters, codes, distances);
    return;
  }
#endif
  assign_nearest_scalar(points, count, dim, centroids, clusters, codes, distances);
}

void accumulate_by_code(const float* points, size_t count, size_t dim, const uint32_t* codes,
                        const float* weights, size_t /*clusters*/, float* sums, float* weight_sums) {
  for (size_t n = 0; n < count; ++n) {
    const float weight = weights ? weights[n] : 1.0f;
    float* sum = sums + size_t(codes[n]) * dim;
    const float* point = points + n * dim;
    for (size_t d = 0; d < dim; ++d) sum[d] += weight * point[d];
    weight_sums[codes[n]] += weight;
  }
}

void add_into(float* destination, const float* source, size_t count) {
  for (size_t i = 0; i < count; ++i) destination[i] += source[i];
}

size_t finish_centroids(const float* sums, const float* weight_sums, size_t clusters, size_t dim,
                        float* centroids) {
  size_t kept = 0;
  for (size_t k = 0; k < clusters; ++k) {
    if (weight_sums[k] == 0.0f) {
      ++kept;
      continue;
    }
    const float reciprocal = 1.0f / weight_sums[k];
    for (size_t d = 0; d < dim; ++d) centroids[k * dim + d] = sums[k * dim + d] * reciprocal;
  }
  return kept;
}

void build_lut(const float* query_sub, const float* centroids, size_t clusters, size_t dim, float* lut) {
  for (size_t k = 0; k < clusters; ++k) {
    float dot = 0.0f;
    for (size_t d = 0; d < dim; ++d) dot += query_sub[d] * centroids[k * dim + d];
    lut[k] = dot;
  }
}

namespace {

void score_codes_scalar(const float* luts, size_t sub_vectors, size_t clusters, const uint16_t* codes,
                        size_t tokens, float* scores) {
  for (size_t n = 0; n < tokens; ++n) {
    const uint16_t* token_codes = codes + n * sub_vectors;
    float score = 0.0f;
    for (size_t i = 0; i < sub_vectors; ++i) score += luts[i * clusters + token_codes[i]];
    scores[n] = score;
  }
}

}  // namespace

void score_codes(const float* luts, size_t sub_vectors, size_t clusters, const uint16_t* codes, size_t tokens,
                 float* scores) {
  size_t n = 0;
#if defined(__SSE2__)
  // Eight tokens at a time: eight independent addition chains instead of one long one, each token still adding
  // its sub-vectors in order. Scalar SSE additions (_mm_add_ss) keep the compiler from packing the lookups into
  // vectors, which costs more shuffles than it saves.
  constexpr size_t kTokensAtOnce = 8;
  for (; n + kTokensAtOnce <= tokens; n += kTokensAtOnce) {
    const uint16_t* block_codes = codes + n * sub_vectors;
    __m128 score[kTokensAtOnce];
    for (size_t t = 0; t < kTokensAtOnce; ++t) score[t] = _mm_setzero_ps();
    const float* lut = luts;
    for (size_t i = 0; i < sub_vectors; ++i, lut += clusters)
      for (size_t t = 0; t < kTokensAtOnce; ++t)
        score[t] = _mm_add_ss(score[t], _mm_load_ss(lut + block_codes[t * sub_vectors + i]));
    for (size_t t = 0; t < kTokensAtOnce; ++t) scores[n + t] = _mm_cvtss_f32(score[t]);
  }
#endif
  score_codes_scalar(luts, sub_vectors, clusters, codes + n * sub_vectors, tokens - n, scores + n);
}

SoftmaxPartial softmax_partial(const float* scores, size_t count) {
  SoftmaxPartial partial;
  for (size_t n = 0; n < count; ++n) partial.max = std::max(partial.max, scores[n]);
  for (size_t n = 0; n < count; ++n) partial.sum += std::exp(scores[n] - partial.max);
  return partial;
}

SoftmaxPartial merge_softmax(SoftmaxPartial a, SoftmaxPartial b) {
  if (a.sum == 0.0f) return b;
  if (b.sum == 0.0f) return a;
  const float max = std::max(a.max, b.max);
  return {max, a.sum * std::exp(a.max - max) + b.sum * std::exp(b.max - max)};
}

void softmax_normalize(const float* scores, size_t count, SoftmaxPartial total, float* probabilities) {
  const float reciprocal = 1.0f / total.sum;
  for (size_t n = 0; n < count; ++n) probabilities[n] = std::exp(scores[n] - total.max) * reciprocal;
}

void accumulate_histogram(const float* probabilities, const uint16_t* codes, size_t tokens, size_t sub_vectors,
                          size_t clusters, float* histogram) {
  for (size_t n = 0; n < tokens; ++n)
    for (size_t i = 0; i < sub_vectors; ++i) histogram[i * clusters + codes[n * sub_vectors + i]] += probabilities[n];
}

void histogram_times_codebook(const float* histogram, const float* codebooks, size_t sub_vectors, size_t clusters,
                              size_t dim, float* out) {
  for (size_t i = 0; i < sub_vectors; ++i) {
    const float* codebook = codebooks + i * clusters * dim;
    for (size_t d = 0; d < dim; ++d) {
      float value = 0.0f;
      for (size_t k = 0; k < clusters; ++k) value += histogram[i * clusters + k] * codebook[k * dim + d];
      out[i * dim + d] = value;
    }
  }
}

void accumulate_reconstructed(const float* probabilities, const uint16_t* codes, size_t tokens, size_t sub_vectors,
                              size_t clusters, size_t dim, const float* codebooks, float* out) {
  for (size_t n = 0; n < tokens; ++n) {
    for (size_t i = 0; i < sub_vectors; ++i) {
      const float* centroid = codebooks + (i * clusters + codes[n * sub_vectors + i]) * dim;
      for (size_t d = 0; d < dim; ++d) out[i * dim + d] += probabilities[n] * centroid[d];
    }
  }
}

void dot_rows_fp16(const fp16_bits* rows, size_t count, size_t dim, const float* query, float* scores) {
  for (size_t n = 0; n < count; ++n) {
    float dot = 0.0f;
    for (size_t d = 0; d < dim; ++d) dot += fp16_to_float(rows[n * dim + d]) * query[d];
    scores[n] = dot;
  }
}

void accumulate_rows_fp16(const float* probabilities, const fp16_bits* rows, size_t count, size_t dim, float* out) {
  for (size_t n = 0; n < count; ++n)
    for (size_t d = 0; d < dim; ++d) out[d] += probabilities[n] * fp16_to_float(rows[n * dim + d]);
}

}  // namespace aqpim::core
