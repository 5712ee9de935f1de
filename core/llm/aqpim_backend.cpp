#include "core/llm/aqpim_backend.h"

#include <algorithm>
#include <string>

#include "core/accuracy_fixes.h"
#include "core/argument_checks.h"
#include "core/fp16.h"

namespace aqpim::core::llm {

KvQuantizationOptions AqpimOptions::quantization(size_t head_dim) const {
  require_range("sub_dim", sub_dim, 1, std::min(head_dim, kMaxSubDim));
  if (head_dim % sub_dim != 0)
    throw_argument_error("sub_dim", "must divide head_dim = " + std::to_string(head_dim), std::to_string(sub_dim));
  KvQuantizationOptions options;
  options.shape = {head_dim, head_dim / sub_dim, clusters};
  options.shape.validate();
  options.training.iterations = iterations;
  options.training.seed = seed;
  options.sink_tokens = sink_tokens;
  options.recent_tokens = recent_tokens;
  options.window_tokens = window_tokens;
  options.train_on_recent = train_on_recent;
  return options;
}

ChannelOrders calibrate_aqpim_channel_orders(const KvCalibration& calibration, size_t sub_dim) {
  const KvShape& s = calibration.shape;
  ChannelOrders orders;
  if (sub_dim == 1) {  // every channel is its own sub-space: an order changes nothing
    std::vector<uint32_t> identity(s.head_dim);
    for (uint32_t c = 0; c < s.head_dim; ++c) identity[c] = c;
    orders.keys.assign(s.layers * s.kv_heads, identity);
    orders.values.assign(s.layers * s.kv_heads, identity);
    return orders;
  }
  for (size_t l = 0; l < s.layers; ++l)
    for (size_t h = 0; h < s.kv_heads; ++h) {
      orders.keys.push_back(calibrate_channel_order(calibration.keys[l].data() + h * s.head_dim, calibration.tokens,
                                                    s.kv_dim(), s.head_dim, sub_dim, RopePairing::kInterleaved));
      orders.values.push_back(calibrate_channel_order(calibration.values[l].data() + h * s.head_dim,
                                                      calibration.tokens, s.kv_dim(), s.head_dim, sub_dim));
    }
  return orders;
}

AqpimBackend::AqpimBackend(const AqpimOptions& options, const ChannelOrders* orders)
    : options_(options), orders_(orders) {
  if (options.channel_presort && !orders)
    throw_argument_error("orders", "must be given when channel_presort is on (calibrate on a separate text)",
                         "nullptr");
  require_range("clusters", options.clusters, 1, kMaxClusters);
}

void AqpimBackend::compress(const PrefillView& prefill) {
  const KvShape& s = shape();
  const KvQuantizationOptions quantization = options_.quantization(s.head_dim);
  if (orders_ && options_.channel_presort &&
      (orders_->keys.size() != s.layers * s.kv_heads || orders_->values.size() != s.layers * s.kv_heads))
    throw_argument_error("orders", "must hold layers x kv_heads = " + std::to_string(s.layers * s.kv_heads) +
                                       " key and value orders",
                         std::to_string(orders_->keys.size()) + " and " + std::to_string(orders_->values.size()));
  AttentionShape attention;
  attention.query_heads = s.query_heads;
  attention.kv_heads = s.kv_heads;
  attention.head_dim = s.head_dim;
  const size_t tokens = prefill.tokens;
  const size_t last_queries = std::min(options_.importance_queries, tokens);
  caches_.clear();
  for (size_t l = 0; l < s.layers; ++l) {
    std::vector<float> keys = prefill_rows().layer_keys(l), values = prefill_rows().layer_values(l);
    if (options_.fp16_kv) {
      for (float& x : keys) x = round_to_fp16(x);
      for (float& x : values) x = round_to_fp16(x);
    }
    CalibratedFixes fixes;
    fixes.importance_weighting = options_.importance_weighting && last_queries > 0;
    fixes.channel_presort = options_.channel_presort;
    // (sub_dim 1: identity orders, and a one-channel sub-vector cannot hold a pair to check.)
    fixes.key_pairing = options_.sub_dim == 1 ? RopePairing::kNone : RopePairing::kInterleaved;
    if (options_.channel_presort) {
      const auto first = ptrdiff_t(l * s.kv_heads), last = ptrdiff_t((l + 1) * s.kv_heads);
      fixes.key_orders.assign(orders_->keys.begin() + first, orders_->keys.begin() + last);
      fixes.value_orders.assign(orders_->values.begin() + first, orders_->values.begin() + last);
    }
    const float* queries = fixes.importance_weighting ? prefill.query(l, tokens - last_queries, s) : nullptr;
    caches_.push_back(quantize_cache(keys.data(), values.data(), tokens, attention, quantization, fixes, queries,
                                     fixes.importance_weighting ? last_queries : 0));
  }
}

void AqpimBackend::append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) {
  QuantizedKvCache& cache = caches_.at(layer);
  append_token(cache.keys.at(kv_head), key);
  append_token(cache.values.at(kv_head), value);
}

void AqpimBackend::attend_compressed(size_t layer, size_t query_head, const float* query, float* out) {
  const QuantizedKvCache& cache = caches_.at(layer);
  const size_t kv_head = query_head / shape().group();
  const QuantizedKv& keys = cache.keys.at(kv_head);
  pq_head_attention(query, keys, cache.values.at(kv_head), keys.tokens(), shape().scale(), options_.value_path, out);
}

KvFootprint AqpimBackend::compressed_footprint() const {
  KvFootprint footprint = empty_footprint(caches_.front().keys.front().tokens());
  for (const QuantizedKvCache& cache : caches_)
    for (const auto* heads : {&cache.keys, &cache.values})
      for (const QuantizedKv& kv : *heads) {
        const KvBytes bytes = stored_bytes(kv);
        footprint.code_bytes += bytes.codes;
        footprint.codebook_bytes += bytes.codebooks;
        footprint.uncompressed_bytes += bytes.fp16_tokens;
        if (!kv.channel_order.empty()) footprint.metadata_bytes += channel_order_bytes(kv.head_dim);
      }
  return footprint;
}

}  // namespace aqpim::core::llm
