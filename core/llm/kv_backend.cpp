#include "core/llm/kv_backend.h"

#include <cmath>
#include <string>

#include "core/argument_checks.h"
#include "core/attention.h"
#include "core/fp16.h"

namespace aqpim::core::llm {

float KvShape::scale() const { return 1.0f / std::sqrt(float(head_dim)); }

void KvShape::validate() const {
  require_range("layers", layers, 1, 1u << 16);
  require_range("head_dim", head_dim, 1, 1u << 16);
  require_range("kv_heads", kv_heads, 1, 1u << 16);
  require_range("query_heads", query_heads, 1, 1u << 16);
  if (query_heads % kv_heads != 0)
    throw_argument_error("kv_heads", "must divide query_heads = " + std::to_string(query_heads),
                         std::to_string(kv_heads));
}

KvFootprint& KvFootprint::operator+=(const KvFootprint& other) {
  tokens += other.tokens;
  elements += other.elements;
  code_bytes += other.code_bytes;
  codebook_bytes += other.codebook_bytes;
  uncompressed_bytes += other.uncompressed_bytes;
  metadata_bytes += other.metadata_bytes;
  offloaded_bytes += other.offloaded_bytes;
  return *this;
}

uint64_t channel_order_bytes(size_t channels) {
  size_t bits = 0;
  while ((size_t(1) << bits) < channels) ++bits;
  return (uint64_t(channels) * bits + 7) / 8;
}

void ExactKvStore::reset(const KvShape& shape) {
  shape.validate();
  shape_ = shape;
  keys_.assign(shape.layers * shape.kv_heads, {});
  values_.assign(shape.layers * shape.kv_heads, {});
}

size_t ExactKvStore::index(size_t layer, size_t kv_head) const {
  if (keys_.empty()) throw_argument_error("KV cache", "must be started with begin()", "no shape");
  if (layer >= shape_.layers || kv_head >= shape_.kv_heads)
    throw_argument_error("layer/kv_head", "must be below " + std::to_string(shape_.layers) + "/" +
                                              std::to_string(shape_.kv_heads),
                         std::to_string(layer) + "/" + std::to_string(kv_head));
  return layer * shape_.kv_heads + kv_head;
}

void ExactKvStore::append(size_t layer, size_t kv_head, const float* key, const float* value, bool fp16) {
  require_not_null("key", key);
  require_not_null("value", value);
  std::vector<float>& keys = keys_[index(layer, kv_head)];
  std::vector<float>& values = values_[index(layer, kv_head)];
  for (size_t d = 0; d < shape_.head_dim; ++d) {
    keys.push_back(fp16 ? core::round_to_fp16(key[d]) : key[d]);
    values.push_back(fp16 ? core::round_to_fp16(value[d]) : value[d]);
  }
}

static std::vector<float> interleave(const std::vector<std::vector<float>>& heads, size_t layer, const KvShape& shape) {
  const size_t tokens = heads[layer * shape.kv_heads].size() / shape.head_dim;
  std::vector<float> out(tokens * shape.kv_dim());
  for (size_t h = 0; h < shape.kv_heads; ++h) {
    const std::vector<float>& rows = heads[layer * shape.kv_heads + h];
    if (rows.size() != tokens * shape.head_dim)
      throw_argument_error("KV heads of layer " + std::to_string(layer), "must hold the same number of tokens",
                           std::to_string(rows.size() / shape.head_dim) + " and " + std::to_string(tokens));
    for (size_t n = 0; n < tokens; ++n)
      std::copy(rows.begin() + ptrdiff_t(n * shape.head_dim), rows.begin() + ptrdiff_t((n + 1) * shape.head_dim),
                out.begin() + ptrdiff_t((n * shape.kv_heads + h) * shape.head_dim));
  }
  return out;
}

std::vector<float> ExactKvStore::layer_keys(size_t layer) const { return interleave(keys_, layer, shape_); }
std::vector<float> ExactKvStore::layer_values(size_t layer) const { return interleave(values_, layer, shape_); }

void ExactKvStore::round_to_fp16() {
  for (auto* heads : {&keys_, &values_})
    for (std::vector<float>& rows : *heads)
      for (float& x : rows) x = core::round_to_fp16(x);
}

void ExactKvStore::attend(size_t layer, size_t query_head, const float* query, float* out) const {
  require_not_null("query", query);
  require_not_null("out", out);
  if (query_head >= shape_.query_heads)
    throw_argument_error("query_head", "must be below " + std::to_string(shape_.query_heads),
                         std::to_string(query_head));
  const size_t kv_head = query_head / shape_.group();
  const std::vector<float>& keys = keys_[index(layer, kv_head)];
  const std::vector<float>& values = values_[index(layer, kv_head)];
  const size_t tokens = keys.size() / shape_.head_dim;
  if (tokens == 0) throw_argument_error("attend", "needs at least one appended token", "none in layer " + std::to_string(layer));
  reference_head_attention(query, keys.data(), values.data(), tokens, shape_.head_dim, shape_.head_dim,
                           shape_.scale(), out);
}

void CompressingKvBackend::begin(const KvShape& shape) {
  prefill_.reset(shape);
  compressed_ = false;
}

void CompressingKvBackend::append(size_t layer, size_t kv_head, const float* key, const float* value) {
  if (compressed_)
    append_compressed(layer, kv_head, key, value);
  else
    prefill_.append(layer, kv_head, key, value);
}

void CompressingKvBackend::attend(size_t layer, size_t query_head, const float* query, float* out) {
  if (compressed_)
    attend_compressed(layer, query_head, query, out);
  else
    prefill_.attend(layer, query_head, query, out);
}

void CompressingKvBackend::end_prefill(const PrefillView& prefill) {
  if (compressed_) throw_argument_error("end_prefill", "must be called once per sequence", "a second call");
  const KvShape& s = prefill_.shape();
  if (prefill.queries.size() != s.layers)
    throw_argument_error("prefill.queries", "must hold one pointer per layer (" + std::to_string(s.layers) + ")",
                         std::to_string(prefill.queries.size()));
  for (size_t l = 0; l < s.layers; ++l)
    for (size_t h = 0; h < s.kv_heads; ++h)
      if (prefill_.tokens(l, h) != prefill.tokens)
        throw_argument_error("prefill.tokens", "must equal the tokens appended (" +
                                                   std::to_string(prefill_.tokens(l, h)) + " in layer " +
                                                   std::to_string(l) + ", KV head " + std::to_string(h) + ")",
                             std::to_string(prefill.tokens));
  compress(prefill);
  compressed_ = true;
}

void ExactBackend::compress(const PrefillView&) {
  if (fp16_) prefill_rows().round_to_fp16();
}

void ExactBackend::append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) {
  prefill_rows().append(layer, kv_head, key, value, fp16_);
}

void ExactBackend::attend_compressed(size_t layer, size_t query_head, const float* query, float* out) {
  prefill_rows().attend(layer, query_head, query, out);
}

KvFootprint CompressingKvBackend::empty_footprint(size_t tokens) const {
  KvFootprint footprint;
  footprint.tokens = tokens;
  footprint.elements = uint64_t(tokens) * shape().layers * shape().kv_dim() * 2;
  return footprint;
}

KvFootprint CompressingKvBackend::footprint() const {
  if (compressed_) return compressed_footprint();
  KvFootprint footprint = empty_footprint(prefill_.tokens(0, 0));
  footprint.uncompressed_bytes = footprint.elements * sizeof(float);
  return footprint;
}

KvFootprint ExactBackend::compressed_footprint() const {
  KvFootprint footprint = empty_footprint(prefill_rows().tokens(0, 0));
  footprint.uncompressed_bytes = footprint.elements * (fp16_ ? 2 : 4);
  return footprint;
}

}  // namespace aqpim::core::llm
