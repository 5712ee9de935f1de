// Test data and double-precision reference formulas shared by the algorithm-core tests. The references are
// written independently of the code under test (plain loops in double).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/fp16.h"
#include "core/seeded_random.h"

namespace aqpim::core::test {

inline std::vector<float> normal_values(size_t count, uint64_t seed, float scale = 1.0f) {
  SeededRandom random(seed);
  std::vector<float> values(count);
  for (float& value : values) value = scale * random.normal();
  return values;
}

inline std::vector<float> fp16_normal_values(size_t count, uint64_t seed, float scale = 1.0f) {
  std::vector<float> values = normal_values(count, seed, scale);
  for (float& value : values) value = round_to_fp16(value);
  return values;
}

inline double squared_distance(const float* a, const float* b, size_t dim) {
  double sum = 0;
  for (size_t d = 0; d < dim; ++d) sum += (double(a[d]) - b[d]) * (double(a[d]) - b[d]);
  return sum;
}

inline double mean_squared_error(const std::vector<float>& a, const std::vector<float>& b) {
  return squared_distance(a.data(), b.data(), a.size()) / double(a.size());
}

// Softmax attention of one query in double: out = sum_n softmax(scale * q.k_n) v_n.
inline std::vector<double> double_attention(const float* query, const float* keys, const float* values, size_t tokens,
                                            size_t stride, size_t dim, double scale) {
  std::vector<double> scores(tokens), out(dim, 0.0);
  double max = -INFINITY, sum = 0;
  for (size_t n = 0; n < tokens; ++n) {
    double dot = 0;
    for (size_t d = 0; d < dim; ++d) dot += double(query[d]) * keys[n * stride + d];
    max = std::max(max, scores[n] = dot * scale);
  }
  for (double& score : scores) sum += (score = std::exp(score - max));
  for (size_t n = 0; n < tokens; ++n)
    for (size_t d = 0; d < dim; ++d) out[d] += scores[n] / sum * values[n * stride + d];
  return out;
}

}  // namespace aqpim::core::test
