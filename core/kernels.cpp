#include "core/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aqpim::core {

void assign_nearest(const float* points, size_t count, size_t dim, const float* centroids, size_t clusters,
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

void score_codes(const float* luts, size_t sub_vectors, size_t clusters, const uint16_t* codes, size_t tokens,
                 float* scores) {
  for (size_t n = 0; n < tokens; ++n) {
    const uint16_t* token_codes = codes + n * sub_vectors;
    float score = 0.0f;
    for (size_t i = 0; i < sub_vectors; ++i) score += luts[i * clusters + token_codes[i]];
    scores[n] = score;
  }
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
