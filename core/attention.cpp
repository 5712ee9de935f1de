#include "core/attention.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/argument_checks.h"
#include "core/kernels.h"

namespace aqpim::core {
namespace {

void require_same_layout(const QuantizedKv& keys, const QuantizedKv& values) {
  if (keys.head_dim == 0 || keys.head_dim != values.head_dim || keys.tokens() != values.tokens() ||
      keys.sink_tokens != values.sink_tokens || keys.coded_tokens != values.coded_tokens)
    throw_argument_error("keys/values", "must be quantised with the same options over the same tokens",
                         std::to_string(keys.tokens()) + " and " + std::to_string(values.tokens()) + " tokens");
}

// Scores of coded tokens [0, count): per window, one LUT per sub-vector (LUT_i[c] = <q_i, C_i[c]>), then
// s_n = sum_i LUT_i[code_i(n)].
void score_coded(const float* query, const QuantizedKv& keys, size_t count, float* scores) {
  std::vector<float> luts;
  for (size_t window = 0; window < keys.codebooks.size() && keys.window_begin(window) < count; ++window) {
    const PqCodebooks& codebooks = keys.codebooks[window];
    const PqShape& shape = codebooks.shape;
    luts.resize(shape.sub_vectors * shape.clusters);
    for (size_t i = 0; i < shape.sub_vectors; ++i)
      build_lut(query + i * shape.sub_dim(), codebooks.sub_space(i), shape.clusters, shape.sub_dim(),
                luts.data() + i * shape.clusters);
    if (keys.fp16_tables)
      for (float& product : luts) product = round_to_fp16(product);
    const size_t begin = keys.window_begin(window), end = std::min(keys.window_end(window), count);
    score_codes(luts.data(), shape.sub_vectors, shape.clusters, keys.codes.data() + begin * shape.sub_vectors,
                end - begin, scores + begin);
  }
}

// Adds the probability-weighted values of coded tokens [0, count) into out, one window at a time (each
// window's partial combined with add_into, as banks' partials are).
void weigh_coded(const float* probabilities, const QuantizedKv& values, size_t count, ValuePath path, float* out) {
  std::vector<float> partial(values.head_dim), histogram;
  for (size_t window = 0; window < values.codebooks.size() && values.window_begin(window) < count; ++window) {
    const PqCodebooks& codebooks = values.codebooks[window];
    const PqShape& shape = codebooks.shape;
    const size_t begin = values.window_begin(window), end = std::min(values.window_end(window), count);
    const uint16_t* codes = values.codes.data() + begin * shape.sub_vectors;
    std::fill(partial.begin(), partial.end(), 0.0f);
    if (path == ValuePath::kHistogram) {
      histogram.assign(shape.sub_vectors * shape.clusters, 0.0f);
      accumulate_histogram(probabilities + begin, codes, end - begin, shape.sub_vectors, shape.clusters,
                           histogram.data());
      histogram_times_codebook(histogram.data(), codebooks.centroids.data(), shape.sub_vectors, shape.clusters,
                               shape.sub_dim(), partial.data());
    } else {
      accumulate_reconstructed(probabilities + begin, codes, end - begin, shape.sub_vectors, shape.clusters,
                               shape.sub_dim(), codebooks.centroids.data(), partial.data());
    }
    add_into(out, partial.data(), values.head_dim);
  }
}

}  // namespace

float AttentionShape::softmax_scale() const { return scale != 0.0f ? scale : 1.0f / std::sqrt(float(head_dim)); }

void AttentionShape::validate() const {
  require_range("head_dim", head_dim, 1, 1u << 16);
  require_range("kv_heads", kv_heads, 1, 1u << 16);
  require_range("query_heads", query_heads, 1, 1u << 16);
  if (query_heads % kv_heads != 0)
    throw_argument_error("kv_heads", "must divide query_heads = " + std::to_string(query_heads),
                         std::to_string(kv_heads));
  if (!std::isfinite(scale)) throw_argument_error("scale", "must be finite", std::to_string(scale));
}

size_t QueryPositions::visible_tokens(size_t query, size_t tokens) const {
  return causal ? std::min(tokens, first_position + query + 1) : tokens;
}

void reference_head_attention(const float* query, const float* keys, const float* values, size_t visible,
                              size_t row_stride, size_t head_dim, float scale, float* out, float* scores,
                              float* probabilities) {
  std::vector<float> scaled(head_dim), own_scores, own_probabilities;
  for (size_t d = 0; d < head_dim; ++d) scaled[d] = query[d] * scale;
  if (!scores) own_scores.resize(visible), scores = own_scores.data();
  if (!probabilities) own_probabilities.resize(visible), probabilities = own_probabilities.data();
  for (size_t n = 0; n < visible; ++n) {
    float dot = 0.0f;
    for (size_t d = 0; d < head_dim; ++d) dot += scaled[d] * keys[n * row_stride + d];
    scores[n] = dot;
  }
  softmax_normalize(scores, visible, softmax_partial(scores, visible), probabilities);
  std::fill(out, out + head_dim, 0.0f);
  for (size_t n = 0; n < visible; ++n)
    for (size_t d = 0; d < head_dim; ++d) out[d] += probabilities[n] * values[n * row_stride + d];
}

void pq_head_scores(const float* query, const QuantizedKv& keys, size_t visible, float scale, float* scores) {
  require_not_null("query", query);
  require_not_null("scores", scores);
  if (keys.head_dim == 0) throw_argument_error("keys", "must come from quantize_kv", "an empty QuantizedKv");
  const size_t head_dim = keys.head_dim;
  visible = std::min(visible, keys.tokens());
  std::vector<float> stored_query(head_dim);
  for (size_t c = 0; c < head_dim; ++c)
    stored_query[c] = query[keys.channel_order.empty() ? c : keys.channel_order[c]] * scale;
  const size_t sinks = std::min(keys.sink_tokens, visible);
  const size_t coded = std::min(keys.coded_tokens, visible - sinks);
  const size_t recent = visible - sinks - coded;
  dot_rows_fp16(keys.sink_rows.data(), sinks, head_dim, stored_query.data(), scores);
  score_coded(stored_query.data(), keys, coded, scores + sinks);
  dot_rows_fp16(keys.recent_rows.data(), recent, head_dim, stored_query.data(), scores + sinks + coded);
}

void pq_head_attention(const float* query, const QuantizedKv& keys, const QuantizedKv& values, size_t visible,
                       float scale, ValuePath path, float* out, float* scores, float* probabilities) {
  require_same_layout(keys, values);
  const size_t head_dim = keys.head_dim;
  visible = std::min(visible, keys.tokens());
  std::vector<float> own_scores, own_probabilities;
  if (!scores) own_scores.resize(visible), scores = own_scores.data();
  if (!probabilities) own_probabilities.resize(visible), probabilities = own_probabilities.data();
  pq_head_scores(query, keys, visible, scale, scores);
  const size_t sinks = std::min(keys.sink_tokens, visible);
  const size_t coded = std::min(keys.coded_tokens, visible - sinks);
  const size_t recent = visible - sinks - coded;

  softmax_normalize(scores, visible, softmax_partial(scores, visible), probabilities);

  std::vector<float> stored_out(head_dim, 0.0f), partial(head_dim, 0.0f);
  accumulate_rows_fp16(probabilities, values.sink_rows.data(), sinks, head_dim, stored_out.data());
  weigh_coded(probabilities + sinks, values, coded, path, stored_out.data());
  accumulate_rows_fp16(probabilities + sinks + coded, values.recent_rows.data(), recent, head_dim, partial.data());
  add_into(stored_out.data(), partial.data(), head_dim);
  for (size_t c = 0; c < head_dim; ++c) out[values.channel_order.empty() ? c : values.channel_order[c]] = stored_out[c];
}

void reference_attention(const float* queries, size_t query_count, const float* keys, const float* values,
                         size_t tokens, const AttentionShape& shape, const QueryPositions& positions, float* out) {
  shape.validate();
  require_not_null("queries", queries);
  require_not_null("keys", keys);
  require_not_null("values", values);
  const size_t group = shape.query_heads / shape.kv_heads, row_stride = shape.kv_heads * shape.head_dim;
  for (size_t q = 0; q < query_count; ++q)
    for (size_t h = 0; h < shape.query_heads; ++h) {
      const size_t offset = (h / group) * shape.head_dim;
      const size_t row = (q * shape.query_heads + h) * shape.head_dim;
      reference_head_attention(queries + row, keys + offset, values + offset, positions.visible_tokens(q, tokens),
                               row_stride, shape.head_dim, shape.softmax_scale(), out + row);
    }
}

void pq_attention(const float* queries, size_t query_count, const QuantizedKvCache& cache, const AttentionShape& shape,
                  const QueryPositions& positions, ValuePath path, float* out) {
  shape.validate();
  require_not_null("queries", queries);
  if (cache.keys.size() != shape.kv_heads || cache.values.size() != shape.kv_heads)
    throw_argument_error("cache", "must hold kv_heads = " + std::to_string(shape.kv_heads) + " key and value heads",
                         std::to_string(cache.keys.size()) + " and " + std::to_string(cache.values.size()));
  const size_t group = shape.query_heads / shape.kv_heads;
  for (size_t q = 0; q < query_count; ++q)
    for (size_t h = 0; h < shape.query_heads; ++h) {
      const QuantizedKv& keys = cache.keys[h / group];
      if (keys.head_dim != shape.head_dim)
        throw_argument_error("cache", "heads must have head_dim = " + std::to_string(shape.head_dim),
                             std::to_string(keys.head_dim));
      const size_t row = (q * shape.query_heads + h) * shape.head_dim;
      pq_head_attention(queries + row, keys, cache.values[h / group], positions.visible_tokens(q, keys.tokens()),
                        shape.softmax_scale(), path, out + row);
    }
}

}  // namespace aqpim::core
