// The pluggable KV cache of the real-model forward pass (core/llm/transformer.h).
//
// Protocol for one sequence: begin(shape); then per token and per layer, append() for every KV head, then
// attend() for every query head; after the prompt (prefill) tokens, end_prefill() once; then decode tokens
// the same way. Before end_prefill every back end attends exactly (fp32, over the fp32 K and V as appended):
// prefill attention runs on the GPU over fresh K and V in AQPIM's flow and in every baseline's. end_prefill
// is where a back end compresses what it holds (AQPIM quantises; SnapKV evicts; ...). Keys arrive after
// RoPE. Query head h reads KV head h / (query_heads / kv_heads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aqpim::core::llm {

struct KvShape {
  size_t layers = 1;
  size_t query_heads = 1;
  size_t kv_heads = 1;  // divides query_heads
  size_t head_dim = 8;
  size_t group() const { return query_heads / kv_heads; }
  size_t kv_dim() const { return kv_heads * head_dim; }
  float scale() const;  // 1 / sqrt(head_dim)
  void validate() const;
};

// What a back end may look at when prefill ends, beyond the K and V it was given: the queries of every
// prefill token (AQPIM's importance weights and SnapKV's observation window use the last ones).
struct PrefillView {
  size_t tokens = 0;
  std::vector<const float*> queries;  // per layer: [token][query_head][head_dim], at least `tokens` rows
  const float* query(size_t layer, size_t token, const KvShape& shape) const {
    return queries[layer] + token * shape.query_heads * shape.head_dim;
  }
};

// Bytes a back end keeps for the tokens it represents, by kind. What each kind holds is documented per back
// end and in docs/algorithm.md ("Real-model path").
struct KvFootprint {
  uint64_t tokens = 0;             // tokens the cache represents (in every layer)
  uint64_t elements = 0;           // tokens x layers x kv_heads x head_dim x 2 (keys and values)
  uint64_t code_bytes = 0;         // packed PQ indices or quantised integers
  uint64_t codebook_bytes = 0;     // fp16 codebooks
  uint64_t uncompressed_bytes = 0; // rows kept as they are: fp16 (sink, recent, kept tokens) or fp32
  uint64_t metadata_bytes = 0;     // channel orders, per-group scales and zero points
  uint64_t offloaded_bytes = 0;    // held outside the accelerator's memory (PQCache's CPU copy): not in total
  uint64_t total_bytes() const { return code_bytes + codebook_bytes + uncompressed_bytes + metadata_bytes; }
  double bits_per_element() const { return elements ? 8.0 * double(total_bytes()) / double(elements) : 0.0; }
  // 1 - total / (the same elements in fp16): 0.75 = a quarter of the fp16 KV cache.
  double memory_reduction() const { return elements ? 1.0 - double(total_bytes()) / (2.0 * double(elements)) : 0.0; }
  // Sums every field (footprints of several sequences pooled).
  KvFootprint& operator+=(const KvFootprint& other);
};

class KvCacheBackend {
 public:
  virtual ~KvCacheBackend() = default;
  virtual std::string name() const = 0;
  virtual void begin(const KvShape& shape) = 0;
  // key, value: head_dim floats of one KV head of the next token of `layer`.
  virtual void append(size_t layer, size_t kv_head, const float* key, const float* value) = 0;
  // out: head_dim floats, the attention of one query head over every token of `layer` appended so far.
  virtual void attend(size_t layer, size_t query_head, const float* query, float* out) = 0;
  virtual void end_prefill(const PrefillView& prefill) = 0;
  virtual KvFootprint footprint() const = 0;
};

// Exact fp32 K and V rows per layer and KV head, [token][head_dim] each, with the fp32 reference attention
// (core/attention.h). The exact path of every back end.
class ExactKvStore {
 public:
  void reset(const KvShape& shape);
  const KvShape& shape() const { return shape_; }
  // fp16: store the rows as fp16 storage holds them (rounded).
  void append(size_t layer, size_t kv_head, const float* key, const float* value, bool fp16 = false);
  size_t tokens(size_t layer, size_t kv_head) const { return keys_[index(layer, kv_head)].size() / shape_.head_dim; }
  const std::vector<float>& keys(size_t layer, size_t kv_head) const { return keys_[index(layer, kv_head)]; }
  const std::vector<float>& values(size_t layer, size_t kv_head) const { return values_[index(layer, kv_head)]; }
  // The rows of one layer interleaved as [token][kv_head][head_dim] (the layout of core/accuracy_fixes.h).
  std::vector<float> layer_keys(size_t layer) const;
  std::vector<float> layer_values(size_t layer) const;
  void round_to_fp16();
  void attend(size_t layer, size_t query_head, const float* query, float* out) const;

 private:
  size_t index(size_t layer, size_t kv_head) const;
  KvShape shape_;
  std::vector<std::vector<float>> keys_, values_;  // [layer * kv_heads + kv_head]
};

// A back end that keeps exact K and V through prefill and compresses at end_prefill: the shared protocol
// (prefill exact) lives here; subclasses implement the compressed phase.
class CompressingKvBackend : public KvCacheBackend {
 public:
  void begin(const KvShape& shape) final;
  void append(size_t layer, size_t kv_head, const float* key, const float* value) final;
  void attend(size_t layer, size_t query_head, const float* query, float* out) final;
  void end_prefill(const PrefillView& prefill) final;
  // Before end_prefill: the exact fp32 rows; after: compressed_footprint().
  KvFootprint footprint() const final;

 protected:
  const KvShape& shape() const { return prefill_.shape(); }
  bool compressed() const { return compressed_; }
  // The exact rows of the prefill (subclasses may clear them in compress()).
  ExactKvStore& prefill_rows() { return prefill_; }
  const ExactKvStore& prefill_rows() const { return prefill_; }
  virtual void compress(const PrefillView& prefill) = 0;
  virtual void append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) = 0;
  virtual void attend_compressed(size_t layer, size_t query_head, const float* query, float* out) = 0;
  virtual KvFootprint compressed_footprint() const = 0;
  // tokens and elements of a cache representing `tokens` tokens of every layer.
  KvFootprint empty_footprint(size_t tokens) const;

 private:
  ExactKvStore prefill_;
  bool compressed_ = false;
};

// The uncompressed cache: fp32 rows, or (fp16_storage) fp16 rows from end_prefill on, as an fp16 model's
// cache holds them. Baseline of every measure.
class ExactBackend final : public CompressingKvBackend {
 public:
  explicit ExactBackend(bool fp16_storage = false) : fp16_(fp16_storage) {}
  std::string name() const override { return fp16_ ? "fp16" : "fp32"; }

 private:
  KvFootprint compressed_footprint() const override;
  void compress(const PrefillView& prefill) override;
  void append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) override;
  void attend_compressed(size_t layer, size_t query_head, const float* query, float* out) override;
  bool fp16_;
};

// Bits to store a channel order of `channels` entries (each ceil(log2 channels) bits), in whole bytes.
uint64_t channel_order_bytes(size_t channels);

}  // namespace aqpim::core::llm
