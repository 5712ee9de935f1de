#include "core/llm/skvq_backend.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/accuracy_fixes.h"
#include "core/argument_checks.h"
#include "core/attention.h"

namespace aqpim::core::llm {
namespace {

// The smallest fp16 value >= value (value finite, >= 0).
float fp16_at_least(float value) {
  fp16_bits bits = float_to_fp16(value);
  if (fp16_to_float(bits) < value) ++bits;
  return fp16_to_float(bits);
}

}  // namespace

void SkvqOptions::validate(const KvShape& shape) const {
  require_range("skvq.key_bits", key_bits, 1, 16);
  require_range("skvq.value_bits", value_bits, 1, 16);
  const size_t kv_dim = shape.kv_dim(), size = group(shape.head_dim);
  require_range("skvq.group_size", size, 1, kv_dim);
  if (kv_dim % size != 0)
    throw_argument_error("skvq.group_size", "must divide kv_dim = " + std::to_string(kv_dim), std::to_string(size));
  if (!(clip_ratio > 0.0f && clip_ratio <= 1.0f))
    throw_argument_error("skvq.clip_ratio", "must be in (0, 1]", std::to_string(clip_ratio));
}

QuantizedGroup quantize_group(const float* values, size_t count, size_t bits, float clip_ratio) {
  require_not_null("values", values);
  require_range("count", count, 1, 1u << 20);
  require_range("bits", bits, 1, 16);
  require_finite("values", values, count);
  float low = values[0], high = values[0];
  for (size_t i = 1; i < count; ++i) low = std::min(low, values[i]), high = std::max(high, values[i]);
  low *= clip_ratio, high *= clip_ratio;
  const double levels = double((uint32_t(1) << bits) - 1);
  QuantizedGroup group;
  group.zero = float_to_fp16(low);
  const float zero = fp16_to_float(group.zero);
  // Scale from the stored zero point so the top level reaches `high` despite the zero's rounding.
  const float scale = fp16_at_least(float(std::max(0.0, (double(high) - zero) / levels)));
  group.scale = float_to_fp16(scale);
  group.levels.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const double level = scale > 0 ? std::nearbyint((double(values[i]) - zero) / scale) : 0.0;
    group.levels[i] = uint16_t(std::clamp(level, 0.0, levels));
  }
  return group;
}

void dequantize_group(const QuantizedGroup& group, float* out) {
  const float scale = fp16_to_float(group.scale), zero = fp16_to_float(group.zero);
  for (size_t i = 0; i < group.levels.size(); ++i) out[i] = scale * float(group.levels[i]) + zero;
}

SkvqChannelOrders calibrate_skvq_channel_orders(const KvCalibration& calibration, size_t group_size) {
  const KvShape& s = calibration.shape;
  const size_t kv_dim = s.kv_dim(), tokens = calibration.tokens;
  SkvqChannelOrders orders;
  for (size_t l = 0; l < s.layers; ++l)
    for (int keys = 1; keys >= 0; --keys) {
      const std::vector<float>& rows = keys ? calibration.keys[l] : calibration.values[l];
      const size_t unit = keys ? 2 : 1, units = kv_dim / unit;
      if (group_size % unit != 0 || kv_dim % group_size != 0)
        throw_argument_error("group_size", "must divide kv_dim = " + std::to_string(kv_dim) +
                                               (keys ? " and be even (RoPE pairs)" : ""),
                             std::to_string(group_size));
      // Per unit and token, the lowest and highest of the unit's channels; per unit its range over the text.
      std::vector<float> low(units * tokens), high(units * tokens);
      std::vector<double> range(units);
      for (size_t u = 0; u < units; ++u) {
        float unit_low = INFINITY, unit_high = -INFINITY;
        for (size_t n = 0; n < tokens; ++n) {
          float a = rows[n * kv_dim + u * unit], b = rows[n * kv_dim + u * unit + unit - 1];
          low[u * tokens + n] = std::min(a, b), high[u * tokens + n] = std::max(a, b);
          unit_low = std::min(unit_low, low[u * tokens + n]), unit_high = std::max(unit_high, high[u * tokens + n]);
        }
        range[u] = double(unit_high) - unit_low;
      }
      std::vector<bool> placed(units, false);
      std::vector<uint32_t> order;
      std::vector<float> group_low(tokens), group_high(tokens);
      for (size_t group = 0; group < units / (group_size / unit); ++group) {
        // Seed: the unplaced unit with the widest range (ties to the lower channel).
        size_t seed = units;
        for (size_t u = 0; u < units; ++u)
          if (!placed[u] && (seed == units || range[u] > range[seed])) seed = u;
        std::vector<size_t> members = {seed};
        placed[seed] = true;
        for (size_t n = 0; n < tokens; ++n) group_low[n] = low[seed * tokens + n], group_high[n] = high[seed * tokens + n];
        while (members.size() < group_size / unit) {
          size_t best = units;
          double best_span = INFINITY;
          for (size_t u = 0; u < units; ++u) {
            if (placed[u]) continue;
            double span = 0;
            for (size_t n = 0; n < tokens; ++n)
              span += double(std::max(group_high[n], high[u * tokens + n])) - std::min(group_low[n], low[u * tokens + n]);
            if (span < best_span) best_span = span, best = u;
          }
          members.push_back(best);
          placed[best] = true;
          for (size_t n = 0; n < tokens; ++n)
            group_low[n] = std::min(group_low[n], low[best * tokens + n]),
            group_high[n] = std::max(group_high[n], high[best * tokens + n]);
        }
        std::sort(members.begin(), members.end());
        for (size_t u : members)
          for (size_t i = 0; i < unit; ++i) order.push_back(uint32_t(u * unit + i));
      }
      (keys ? orders.keys : orders.values).push_back(std::move(order));
    }
  return orders;
}

SkvqBackend::SkvqBackend(const SkvqOptions& options, const SkvqChannelOrders* orders)
    : options_(options), orders_(orders) {
  if (options.channel_reorder && !orders)
    throw_argument_error("orders", "must be given when channel_reorder is on (calibrate on a separate text)",
                         "nullptr");
}

void SkvqBackend::quantize_row(size_t layer, size_t token) {
  const size_t kv_dim = shape().kv_dim(), group = options_.group(shape().head_dim);
  std::vector<float> stored(kv_dim), restored(kv_dim);
  for (int keys = 1; keys >= 0; --keys) {
    float* row = (keys ? layers_[layer].keys : layers_[layer].values).data() + token * kv_dim;
    const std::vector<uint32_t>* order =
        options_.channel_reorder ? &(keys ? orders_->keys : orders_->values).at(layer) : nullptr;
    for (size_t c = 0; c < kv_dim; ++c) stored[c] = row[order ? (*order)[c] : c];
    for (size_t g = 0; g < kv_dim; g += group)
      dequantize_group(quantize_group(stored.data() + g, group, keys ? options_.key_bits : options_.value_bits,
                                      options_.clip_ratio),
                       restored.data() + g);
    for (size_t c = 0; c < kv_dim; ++c) row[order ? (*order)[c] : c] = restored[c];
  }
}

void SkvqBackend::compress(const PrefillView& prefill) {
  const KvShape& s = shape();
  options_.validate(s);
  if (options_.channel_reorder) {
    if (orders_->keys.size() != s.layers || orders_->values.size() != s.layers)
      throw_argument_error("orders", "must hold one key and one value order per layer (" + std::to_string(s.layers) + ")",
                           std::to_string(orders_->keys.size()));
    for (size_t l = 0; l < s.layers; ++l) {
      validate_channel_order(orders_->keys[l], s.kv_dim(), 2, RopePairing::kInterleaved);
      validate_channel_order(orders_->values[l], s.kv_dim());
    }
  }
  layers_.assign(s.layers, {});
  for (size_t l = 0; l < s.layers; ++l) {
    Layer& layer = layers_[l];
    layer.keys = prefill_rows().layer_keys(l);
    layer.values = prefill_rows().layer_values(l);
    for (float& x : layer.keys) x = round_to_fp16(x);
    for (float& x : layer.values) x = round_to_fp16(x);
    layer.tokens = prefill.tokens;
    const size_t sinks = std::min(options_.sink_tokens, layer.tokens);
    const size_t end = layer.tokens - std::min(options_.recent_tokens, layer.tokens - sinks);
    for (size_t n = sinks; n < end; ++n) quantize_row(l, n);
    layer.quantized_end = std::max(sinks, end);
  }
}

void SkvqBackend::append_compressed(size_t layer_index, size_t kv_head, const float* key, const float* value) {
  const KvShape& s = shape();
  Layer& layer = layers_.at(layer_index);
  if (kv_head != layer.pending_heads)
    throw_argument_error("kv_head", "must arrive in order 0.." + std::to_string(s.kv_heads - 1) + " per token",
                         std::to_string(kv_head));
  for (size_t d = 0; d < s.head_dim; ++d) {
    layer.keys.push_back(round_to_fp16(key[d]));
    layer.values.push_back(round_to_fp16(value[d]));
  }
  if (++layer.pending_heads < s.kv_heads) return;
  layer.pending_heads = 0;
  ++layer.tokens;
  // The window slides: the token leaving it (never a sink) is quantised.
  // Tokens up to sink_tokens are sinks even when they arrive in decode (a prompt shorter than the sinks).
  layer.quantized_end = std::max(layer.quantized_end, std::min(options_.sink_tokens, layer.tokens));
  while (layer.tokens - layer.quantized_end > options_.recent_tokens)
    quantize_row(layer_index, layer.quantized_end++);
}

void SkvqBackend::attend_compressed(size_t layer_index, size_t query_head, const float* query, float* out) {
  const KvShape& s = shape();
  const Layer& layer = layers_.at(layer_index);
  if (layer.pending_heads != 0) throw_argument_error("attend", "needs every KV head of the token appended", "some");
  const size_t offset = (query_head / s.group()) * s.head_dim;
  reference_head_attention(query, layer.keys.data() + offset, layer.values.data() + offset, layer.tokens, s.kv_dim(),
                           s.head_dim, s.scale(), out);
}

KvFootprint SkvqBackend::compressed_footprint() const {
  const KvShape& s = shape();
  KvFootprint footprint = empty_footprint(layers_.front().tokens);
  for (const Layer& layer : layers_) {
    const size_t sinks = std::min(options_.sink_tokens, layer.tokens);
    const uint64_t quantized = layer.quantized_end - sinks;
    const uint64_t kept = layer.tokens - quantized;
    footprint.code_bytes += (quantized * s.kv_dim() * (options_.key_bits + options_.value_bits) + 7) / 8;
    footprint.metadata_bytes += quantized * (s.kv_dim() / options_.group(s.head_dim)) * 2 /*K, V*/ * 2 /*scale, zero*/ * 2;
    footprint.uncompressed_bytes += kept * s.kv_dim() * 2 * 2;
    if (options_.channel_reorder) footprint.metadata_bytes += 2 * channel_order_bytes(s.kv_dim());
  }
  return footprint;
}

}  // namespace aqpim::core::llm
