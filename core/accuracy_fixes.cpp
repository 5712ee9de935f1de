#include "core/accuracy_fixes.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/argument_checks.h"
#include "core/attention.h"

namespace aqpim::core {
namespace {

size_t unit_size(RopePairing pairing) { return pairing == RopePairing::kNone ? 1 : 2; }

// The channels that must move together: one channel, or one RoPE pair (lower channel first).
std::vector<std::vector<uint32_t>> movable_units(size_t head_dim, RopePairing pairing) {
  std::vector<std::vector<uint32_t>> units;
  for (uint32_t u = 0; u < head_dim / unit_size(pairing); ++u) {
    if (pairing == RopePairing::kNone) units.push_back({u});
    if (pairing == RopePairing::kHalfSplit) units.push_back({u, uint32_t(u + head_dim / 2)});
    if (pairing == RopePairing::kInterleaved) units.push_back({2 * u, 2 * u + 1});
  }
  return units;
}

void require_pairing_fits(size_t head_dim, size_t sub_dim, RopePairing pairing) {
  require_range("sub_dim", sub_dim, 1, head_dim);
  if (head_dim % sub_dim != 0)
    throw_argument_error("sub_dim", "must divide head_dim = " + std::to_string(head_dim), std::to_string(sub_dim));
  if (pairing != RopePairing::kNone && sub_dim % 2 != 0)
    throw_argument_error("sub_dim", "must be even to keep RoPE pairs inside one sub-vector", std::to_string(sub_dim));
}

}  // namespace

std::vector<float> importance_weights(const float* last_queries, size_t query_count, size_t query_heads,
                                      const float* keys, size_t tokens, size_t key_stride, size_t head_dim) {
  require_not_null("last_queries", last_queries);
  require_not_null("keys", keys);
  require_range("head_dim", head_dim, 1, 1u << 16);
  require_range("query_heads", query_heads, 1, 1u << 16);
  require_range("query_count", query_count, 1, tokens);
  if (key_stride == 0) key_stride = head_dim;
  std::vector<float> weights(tokens, 0.0f), probabilities(tokens), unused_out(head_dim);
  const float scale = 1.0f / std::sqrt(float(head_dim));
  for (size_t r = 0; r < query_count; ++r) {
    const size_t visible = tokens - query_count + r + 1;
    for (size_t h = 0; h < query_heads; ++h) {
      // Values do not matter for the weights: pass the keys as values.
      reference_head_attention(last_queries + (r * query_heads + h) * head_dim, keys, keys, visible, key_stride,
                               head_dim, scale, unused_out.data(), nullptr, probabilities.data());
      for (size_t n = 0; n < visible; ++n) weights[n] += probabilities[n];
    }
  }
  return weights;
}

std::vector<uint32_t> calibrate_channel_order(const float* rows, size_t count, size_t row_stride, size_t head_dim,
                                              size_t sub_dim, RopePairing pairing) {
  require_not_null("rows", rows);
  require_range("count", count, 1, size_t(1) << 40);
  require_range("head_dim", head_dim, 1, 1u << 16);
  require_pairing_fits(head_dim, sub_dim, pairing);
  if (row_stride == 0) row_stride = head_dim;

  // |cosine| between channels over the calibration rows, in double.
  std::vector<double> gram(head_dim * head_dim, 0.0);
  for (size_t n = 0; n < count; ++n) {
    const float* row = rows + n * row_stride;
    for (size_t a = 0; a < head_dim; ++a)
      for (size_t b = a; b < head_dim; ++b) gram[a * head_dim + b] += double(row[a]) * row[b];
  }
  std::vector<double> similarity(head_dim * head_dim, 0.0);
  for (size_t a = 0; a < head_dim; ++a)
    for (size_t b = a; b < head_dim; ++b) {
      const double norms = std::sqrt(gram[a * head_dim + a] * gram[b * head_dim + b]);
      similarity[a * head_dim + b] = similarity[b * head_dim + a] =
          norms > 0 ? std::fabs(gram[a * head_dim + b]) / norms : 0.0;
    }

  const auto units = movable_units(head_dim, pairing);
  auto unit_similarity = [&](size_t u, size_t v) {
    double sum = 0;
    for (uint32_t a : units[u])
      for (uint32_t b : units[v]) sum += similarity[a * head_dim + b];
    return sum / double(units[u].size() * units[v].size());
  };

  // Greedy: seed each sub-vector with the lowest unplaced unit, then add the unit most similar on average
  // to those already in it (ties to the lowest index).
  const size_t units_per_group = sub_dim / unit_size(pairing);
  std::vector<bool> placed(units.size(), false);
  std::vector<uint32_t> order;
  order.reserve(head_dim);
  for (size_t group_start = 0; group_start < units.size(); group_start += units_per_group) {
    std::vector<size_t> group;
    for (size_t u = 0; u < units.size() && group.empty(); ++u)
      if (!placed[u]) group.push_back(u), placed[u] = true;
    while (group.size() < units_per_group) {
      size_t best = units.size();
      double best_similarity = -1.0;
      for (size_t u = 0; u < units.size(); ++u) {
        if (placed[u]) continue;
        double total = 0;
        for (size_t member : group) total += unit_similarity(u, member);
        if (total > best_similarity) best_similarity = total, best = u;
      }
      group.push_back(best);
      placed[best] = true;
    }
    for (size_t u : group) order.insert(order.end(), units[u].begin(), units[u].end());
  }
  return order;
}

void apply_channel_order(const std::vector<uint32_t>& order, const float* rows, size_t count, size_t row_stride,
                         float* out) {
  const size_t head_dim = order.size();
  if (row_stride == 0) row_stride = head_dim;
  for (size_t n = 0; n < count; ++n)
    for (size_t c = 0; c < head_dim; ++c) out[n * head_dim + c] = rows[n * row_stride + order[c]];
}

void validate_channel_order(const std::vector<uint32_t>& order, size_t head_dim, size_t sub_dim, RopePairing pairing) {
  if (order.size() != head_dim)
    throw_argument_error("channel_order", "must have head_dim = " + std::to_string(head_dim) + " entries",
                         std::to_string(order.size()));
  std::vector<bool> seen(head_dim, false);
  for (uint32_t channel : order) {
    if (channel >= head_dim || seen[channel])
      throw_argument_error("channel_order", "must be a permutation of 0.." + std::to_string(head_dim - 1),
                           "a repeated or out-of-range channel " + std::to_string(channel));
    seen[channel] = true;
  }
  if (pairing == RopePairing::kNone) return;
  require_pairing_fits(head_dim, sub_dim, pairing);
  for (size_t c = 0; c < head_dim; c += 2) {
    const uint32_t partner = pairing == RopePairing::kHalfSplit ? uint32_t(order[c] + head_dim / 2) : order[c] + 1;
    const bool is_pair_start = pairing == RopePairing::kHalfSplit ? order[c] < head_dim / 2 : order[c] % 2 == 0;
    if (!is_pair_start || order[c + 1] != partner)
      throw_argument_error("channel_order", "must keep each RoPE pair adjacent, lower channel first",
                           "channels " + std::to_string(order[c]) + ", " + std::to_string(order[c + 1]) +
                               " at positions " + std::to_string(c) + ", " + std::to_string(c + 1));
  }
}

QuantizedKvCache quantize_cache(const float* keys, const float* values, size_t tokens, const AttentionShape& shape,
                                const KvQuantizationOptions& options, const CalibratedFixes& fixes,
                                const float* last_queries, size_t last_query_count) {
  shape.validate();
  require_not_null("keys", keys);
  require_not_null("values", values);
  if (options.shape.head_dim != shape.head_dim)
    throw_argument_error("options.shape.head_dim", "must equal the attention head_dim = " +
                                                       std::to_string(shape.head_dim),
                         std::to_string(options.shape.head_dim));
  for (const auto* orders : {&fixes.key_orders, &fixes.value_orders})
    if (!orders->empty() && orders->size() != shape.kv_heads)
      throw_argument_error("fixes.key_orders/value_orders", "must hold kv_heads = " + std::to_string(shape.kv_heads) +
                                                                " orders or none",
                           std::to_string(orders->size()));
  if (fixes.importance_weighting) {
    require_not_null("last_queries (importance weighting)", last_queries);
    require_range("last_query_count (importance weighting)", last_query_count, 1, tokens);
  }
  const size_t stride = shape.kv_heads * shape.head_dim, group = shape.query_heads / shape.kv_heads;
  QuantizedKvCache cache;
  for (size_t kv = 0; kv < shape.kv_heads; ++kv) {
    const float* head_keys = keys + kv * shape.head_dim;
    const float* head_values = values + kv * shape.head_dim;
    std::vector<float> weights;
    if (fixes.importance_weighting) {
      // The group's query heads of every last query, gathered into [query][group_head][head_dim].
      std::vector<float> group_queries(last_query_count * group * shape.head_dim);
      for (size_t q = 0; q < last_query_count; ++q)
        for (size_t h = 0; h < group; ++h) {
          const float* source = last_queries + (q * shape.query_heads + kv * group + h) * shape.head_dim;
          std::copy(source, source + shape.head_dim, group_queries.begin() + ptrdiff_t((q * group + h) * shape.head_dim));
        }
      weights = importance_weights(group_queries.data(), last_query_count, group, head_keys, tokens, stride,
                                   shape.head_dim);
    }
    std::vector<uint32_t> key_order, value_order;
    if (fixes.channel_presort) {
      const size_t sub_dim = options.shape.sub_dim();
      if (fixes.key_orders.empty()) {
        key_order = calibrate_channel_order(head_keys, tokens, stride, shape.head_dim, sub_dim, fixes.key_pairing);
      } else {
        key_order = fixes.key_orders.at(kv);
        validate_channel_order(key_order, shape.head_dim, sub_dim, fixes.key_pairing);
      }
      if (fixes.value_orders.empty())
        value_order = calibrate_channel_order(head_values, tokens, stride, shape.head_dim, sub_dim);
      else
        value_order = fixes.value_orders.at(kv);
    }
    const float* token_weights = weights.empty() ? nullptr : weights.data();
    cache.keys.push_back(quantize_kv(head_keys, tokens, stride, options, token_weights, key_order));
    cache.values.push_back(quantize_kv(head_values, tokens, stride, options, token_weights, value_order));
  }
  return cache;
}

}  // namespace aqpim::core
