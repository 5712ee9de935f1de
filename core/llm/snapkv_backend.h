// SnapKV-like eviction (Li et al., 2024), one of AQPIM's accuracy baselines. After prefill, each KV head of
// each layer keeps `budget` prompt tokens: the last `window` tokens (the observation window) and the
// budget - window earlier tokens with the highest pooled attention from the window's queries. Decode tokens
// are all kept. Kept rows are fp16 (an fp16 model's cache) unless fp16 is off.
//
// Selection score of earlier token j for a KV head = sum over the window's queries r and over the query heads
// of the GQA group of the causal softmax probability of j under r (SnapKV sums over the window; summing over
// the group is this model's GQA choice), then pooled over neighbouring tokens as SnapKV does:
// avg_pool1d(kernel, stride 1, zero padding kernel/2, padding counted), or max pooling, or none. Top
// budget - window tokens, ties to the lower position. With budget >= the prompt length nothing is evicted.
#pragma once

#include <cstddef>
#include <vector>

#include "core/enum_names.h"
#include "core/llm/kv_backend.h"

namespace aqpim::core::llm {

enum class SnapKvPooling { kNone, kAverage, kMax };
inline constexpr EnumName<SnapKvPooling> kSnapKvPoolingNames[] = {
    {SnapKvPooling::kNone, "none"}, {SnapKvPooling::kAverage, "average"}, {SnapKvPooling::kMax, "max"}};

struct SnapKvOptions {
  size_t budget = 128;   // prompt tokens kept per KV head (SnapKV's max_capacity_prompt), window included
  size_t window = 32;    // observation window (SnapKV default 32), always kept; < budget
  size_t kernel = 5;     // pooling kernel (SnapKV default 5), odd
  SnapKvPooling pooling = SnapKvPooling::kAverage;  // SnapKV default avgpool
  bool fp16 = true;
  void validate() const;
};

// The selection of one KV head, exposed for tests: the positions (ascending) of the prompt tokens kept.
// window_attention[j] (prompt-length floats): the attention token j receives from the window's queries,
// summed over those queries and the group's query heads; entries of the window itself are not read.
std::vector<size_t> snapkv_select(const std::vector<double>& window_attention, const SnapKvOptions& options);

class SnapKvBackend final : public CompressingKvBackend {
 public:
  explicit SnapKvBackend(const SnapKvOptions& options);
  std::string name() const override { return "snapkv"; }
  // Kept positions (prompt selection, then decode tokens) of one layer and KV head.
  const std::vector<size_t>& kept(size_t layer, size_t kv_head) const {
    return heads_.at(layer * shape().kv_heads + kv_head).positions;
  }

 private:
  // Kept rows in fp16 (or fp32); no metadata (keys carry RoPE already, positions are not needed).
  KvFootprint compressed_footprint() const override;
  void compress(const PrefillView& prefill) override;
  void append_compressed(size_t layer, size_t kv_head, const float* key, const float* value) override;
  void attend_compressed(size_t layer, size_t query_head, const float* query, float* out) override;

  struct Head {
    size_t seen = 0;  // tokens appended (prompt + decode)
    std::vector<size_t> positions;
    std::vector<float> keys, values;  // kept rows, [kept][head_dim]
  };
  SnapKvOptions options_;
  std::vector<Head> heads_;  // [layer * kv_heads + kv_head]
};

}  // namespace aqpim::core::llm
