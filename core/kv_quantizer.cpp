#include "core/kv_quantizer.h"

#include <algorithm>
#include <string>

#include "core/accuracy_fixes.h"
#include "core/argument_checks.h"
#include "core/seeded_random.h"

namespace aqpim::core {
namespace {

std::vector<fp16_bits> to_fp16(const float* rows, size_t count) {
  std::vector<fp16_bits> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = float_to_fp16(rows[i]);
  return out;
}

void widen(const fp16_bits* rows, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) out[i] = fp16_to_float(rows[i]);
}

}  // namespace

KvQuantizationOptions KvQuantizationOptions::aqpim(size_t head_dim) {
  KvQuantizationOptions options;
  options.shape = {head_dim, head_dim / 4, 512};
  options.sink_tokens = 8;
  options.recent_tokens = 32;
  return options;
}

QuantizedKv quantize_kv(const float* rows, size_t tokens, size_t row_stride, const KvQuantizationOptions& options,
                        const float* token_weights, const std::vector<uint32_t>& channel_order) {
  const PqShape& shape = options.shape;
  shape.validate();
  require_not_null("rows", rows);
  require_range("tokens", tokens, 1, size_t(1) << 32);
  const size_t head_dim = shape.head_dim;
  if (row_stride == 0) row_stride = head_dim;
  if (row_stride < head_dim)
    throw_argument_error("row_stride", "must be 0 or >= head_dim = " + std::to_string(head_dim),
                         std::to_string(row_stride));
  if (options.window_tokens > 0) require_range("clusters (windowed clustering)", shape.clusters, 1, kRowBufferCentroids);
  if (!channel_order.empty()) validate_channel_order(channel_order, head_dim);

  std::vector<float> stored(tokens * head_dim);
  if (channel_order.empty()) {
    for (size_t n = 0; n < tokens; ++n)
      std::copy(rows + n * row_stride, rows + n * row_stride + head_dim, stored.begin() + ptrdiff_t(n * head_dim));
  } else {
    apply_channel_order(channel_order, rows, tokens, row_stride, stored.data());
  }
  require_finite("rows", stored.data(), stored.size());

  QuantizedKv kv;
  kv.head_dim = head_dim;
  kv.channel_order = channel_order;
  kv.sink_tokens = std::min(options.sink_tokens, tokens);
  const size_t recent = std::min(options.recent_tokens, tokens - kv.sink_tokens);
  kv.coded_tokens = tokens - kv.sink_tokens - recent;
  kv.window_tokens = options.window_tokens > 0 ? options.window_tokens : std::max<size_t>(kv.coded_tokens, 1);
  kv.sink_rows = to_fp16(stored.data(), kv.sink_tokens * head_dim);
  kv.recent_rows = to_fp16(stored.data() + (tokens - recent) * head_dim, recent * head_dim);

  const float* coded_rows = stored.data() + kv.sink_tokens * head_dim;
  const float* coded_weights = token_weights ? token_weights + kv.sink_tokens : nullptr;
  kv.codes.resize(kv.coded_tokens * shape.sub_vectors);
  for (size_t start = 0, window = 0; start < kv.coded_tokens; start += kv.window_tokens, ++window) {
    const size_t count = std::min(kv.window_tokens, kv.coded_tokens - start);
    // The recent rows follow the coded rows in `stored` (and their weights follow in token_weights).
    const size_t trained = count + (options.train_on_recent && start + count == kv.coded_tokens ? recent : 0);
    PqTrainOptions training = options.training;
    training.seed = child_seed(options.training.seed, window);
    const float* weights = coded_weights ? coded_weights + start : nullptr;
    // A window whose weights are all zero carries no information for a weighted mean: train it unweighted.
    if (weights && std::all_of(weights, weights + trained, [](float w) { return w == 0.0f; })) weights = nullptr;
    const PqCodebooks* previous = kv.codebooks.empty() ? nullptr : &kv.codebooks.back();
    kv.codebooks.push_back(train_pq(coded_rows + start * head_dim, trained, shape, training, weights, previous));
    encode_pq(kv.codebooks.back(), coded_rows + start * head_dim, count, kv.codes.data() + start * shape.sub_vectors);
  }
  return kv;
}

void append_token(QuantizedKv& kv, const float* row) {
  require_not_null("row", row);
  if (kv.head_dim == 0) throw_argument_error("kv", "must come from quantize_kv", "an empty QuantizedKv");
  std::vector<float> stored(kv.head_dim);
  if (kv.channel_order.empty())
    std::copy(row, row + kv.head_dim, stored.begin());
  else
    apply_channel_order(kv.channel_order, row, 1, kv.head_dim, stored.data());
  require_finite("row", stored.data(), kv.head_dim);
  const std::vector<fp16_bits> half = to_fp16(stored.data(), kv.head_dim);
  kv.recent_rows.insert(kv.recent_rows.end(), half.begin(), half.end());
  if (kv.codebooks.empty()) return;

  std::vector<float> leaving(kv.head_dim);
  widen(kv.recent_rows.data(), kv.head_dim, leaving.data());
  kv.recent_rows.erase(kv.recent_rows.begin(), kv.recent_rows.begin() + ptrdiff_t(kv.head_dim));
  const PqCodebooks& last = kv.codebooks.back();
  std::vector<uint16_t> codes = encode_pq(last, leaving.data(), 1);
  kv.codes.insert(kv.codes.end(), codes.begin(), codes.end());
  ++kv.coded_tokens;
}

std::vector<float> dequantize_kv(const QuantizedKv& kv) {
  const size_t head_dim = kv.head_dim;
  std::vector<float> stored(kv.tokens() * head_dim);
  widen(kv.sink_rows.data(), kv.sink_rows.size(), stored.data());
  float* coded = stored.data() + kv.sink_tokens * head_dim;
  for (size_t window = 0; window < kv.codebooks.size(); ++window) {
    const PqCodebooks& codebooks = kv.codebooks[window];
    const size_t begin = kv.window_begin(window);
    decode_pq(codebooks, kv.codes.data() + begin * codebooks.shape.sub_vectors, kv.window_end(window) - begin,
              coded + begin * head_dim);
  }
  widen(kv.recent_rows.data(), kv.recent_rows.size(), coded + kv.coded_tokens * head_dim);
  if (kv.channel_order.empty()) return stored;
  std::vector<float> original(stored.size());
  for (size_t n = 0; n < kv.tokens(); ++n)
    for (size_t c = 0; c < head_dim; ++c) original[n * head_dim + kv.channel_order[c]] = stored[n * head_dim + c];
  return original;
}

KvBytes stored_bytes(const QuantizedKv& kv) {
  if (kv.codebooks.empty()) return {0, 0, fp16_kv_bytes(kv.tokens(), kv.head_dim)};
  return kv_bytes(kv.codebooks.front().shape, kv.coded_tokens, kv.sink_tokens + kv.recent_tokens(),
                  kv.codebooks.size());
}

}  // namespace aqpim::core
