#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/argument_checks.h"

namespace aqpim::core {
namespace {

std::vector<double> average_ranks(const float* values, size_t count) {
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(count);
  for (size_t start = 0; start < count;) {
    size_t end = start + 1;
    while (end < count && values[order[end]] == values[order[start]]) ++end;
    const double rank = 0.5 * double(start + end - 1);
    for (size_t i = start; i < end; ++i) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

std::vector<size_t> top_k_indices(const float* values, size_t count, size_t k) {
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::partial_sort(order.begin(), order.begin() + ptrdiff_t(k), order.end(),
                    [&](size_t a, size_t b) { return values[a] > values[b] || (values[a] == values[b] && a < b); });
  order.resize(k);
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace

double relative_l2_error(const float* approximate, const float* reference, size_t count) {
  double error = 0, norm = 0;
  for (size_t i = 0; i < count; ++i) {
    const double difference = double(approximate[i]) - reference[i];
    error += difference * difference;
    norm += double(reference[i]) * reference[i];
  }
  if (norm == 0) return error == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(error / norm);
}

double cosine_similarity(const float* a, const float* b, size_t count) {
  double dot = 0, norm_a = 0, norm_b = 0;
  for (size_t i = 0; i < count; ++i) {
    dot += double(a[i]) * b[i];
    norm_a += double(a[i]) * a[i];
    norm_b += double(b[i]) * b[i];
  }
  if (norm_a == 0 && norm_b == 0) return 1.0;
  if (norm_a == 0 || norm_b == 0) return 0.0;
  return dot / std::sqrt(norm_a * norm_b);
}

double kl_divergence(const float* reference, const float* approximate, size_t count) {
  double divergence = 0;
  for (size_t i = 0; i < count; ++i) {
    if (reference[i] <= 0.0f) continue;
    divergence += double(reference[i]) * std::log(double(reference[i]) / std::max(double(approximate[i]), 1e-30));
  }
  return divergence;
}

double spearman_rank_correlation(const float* a, const float* b, size_t count) {
  if (count < 2) return 1.0;
  const std::vector<double> ranks_a = average_ranks(a, count), ranks_b = average_ranks(b, count);
  const double mean = 0.5 * double(count - 1);
  double covariance = 0, variance_a = 0, variance_b = 0;
  for (size_t i = 0; i < count; ++i) {
    covariance += (ranks_a[i] - mean) * (ranks_b[i] - mean);
    variance_a += (ranks_a[i] - mean) * (ranks_a[i] - mean);
    variance_b += (ranks_b[i] - mean) * (ranks_b[i] - mean);
  }
  if (variance_a == 0 || variance_b == 0) return variance_a == variance_b ? 1.0 : 0.0;
  return covariance / std::sqrt(variance_a * variance_b);
}

double top_k_overlap(const float* a, const float* b, size_t count, size_t k) {
  require_range("k", k, 1, count);
  const std::vector<size_t> top_a = top_k_indices(a, count, k), top_b = top_k_indices(b, count, k);
  std::vector<size_t> common;
  std::set_intersection(top_a.begin(), top_a.end(), top_b.begin(), top_b.end(), std::back_inserter(common));
  return double(common.size()) / double(k);
}

AttentionError measure_attention_error(const float* queries, size_t query_count, const float* keys,
                                       const float* values, size_t tokens, const AttentionShape& shape,
                                       const QuantizedKvCache& cache, ValuePath path) {
  shape.validate();
  require_range("query_count", query_count, 1, size_t(1) << 32);
  if (cache.keys.size() != shape.kv_heads || cache.values.size() != shape.kv_heads)
    throw_argument_error("cache", "must hold kv_heads = " + std::to_string(shape.kv_heads) + " heads",
                         std::to_string(cache.keys.size()));
  const size_t dim = shape.head_dim, group = shape.query_heads / shape.kv_heads, stride = shape.kv_heads * dim;
  const float scale = shape.softmax_scale();
  std::vector<float> exact(dim), approximate(dim), exact_scores(tokens), approximate_scores(tokens),
      exact_probabilities(tokens), approximate_probabilities(tokens);
  AttentionError sum;
  for (size_t q = 0; q < query_count; ++q)
    for (size_t h = 0; h < shape.query_heads; ++h) {
      const float* query = queries + (q * shape.query_heads + h) * dim;
      const size_t kv = h / group;
      reference_head_attention(query, keys + kv * dim, values + kv * dim, tokens, stride, dim, scale, exact.data(),
                               exact_scores.data(), exact_probabilities.data());
      pq_head_attention(query, cache.keys[kv], cache.values[kv], tokens, scale, path, approximate.data(),
                        approximate_scores.data(), approximate_probabilities.data());
      sum.relative_l2 += relative_l2_error(approximate.data(), exact.data(), dim);
      sum.cosine += cosine_similarity(approximate.data(), exact.data(), dim);
      sum.kl += kl_divergence(exact_probabilities.data(), approximate_probabilities.data(), tokens);
      sum.spearman += spearman_rank_correlation(exact_scores.data(), approximate_scores.data(), tokens);
      sum.top8_overlap += top_k_overlap(exact_scores.data(), approximate_scores.data(), tokens, std::min<size_t>(8, tokens));
    }
  const double count = double(query_count * shape.query_heads);
  return {sum.relative_l2 / count, sum.cosine / count, sum.kl / count, sum.spearman / count,
          sum.top8_overlap / count};
}

}  // namespace aqpim::core
