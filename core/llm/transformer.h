// The fp32 forward pass of a llama2.c model (run.c's forward()), with attention through a pluggable KV
// cache back end (core/llm/kv_backend.h).
//
// Per layer: RMSNorm (eps 1e-5) -> q, k, v projections -> RoPE on q and k as llama2.c applies it: channel
// pairs (2i, 2i + 1) of each head rotated by pos * 10000^(-2i / head_dim) (interleaved pairs,
// RopePairing::kInterleaved) -> k, v appended to the back end, attention of every query head through it
// (scale 1/sqrt(head_dim), GQA) -> output projection + residual -> RMSNorm -> SwiGLU FFN
// (w2(silu(w1 x) * w3 x)) + residual. Then the final RMSNorm and the classifier (shared with the token
// embedding or not). fp32 throughout, sums in input order (the core is built without FMA contraction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/llm/kv_backend.h"
#include "core/llm/llama2_checkpoint.h"

namespace aqpim::core::llm {

KvShape kv_shape(const LlamaConfig& config);

// q, k and v of every token run so far, per layer: what end_prefill's PrefillView points into.
struct ForwardRecord {
  size_t tokens = 0;
  std::vector<std::vector<float>> queries, keys, values;  // per layer: [token][head][head_dim]
  PrefillView prefill_view(size_t prefill_tokens) const;  // the first prefill_tokens tokens
};

class Transformer {
 public:
  explicit Transformer(const LlamaModel& model);
  const LlamaModel& model() const { return model_; }
  KvShape shape() const { return kv_shape(model_.config); }

  // Runs `token` at position `pos` (the back end must hold exactly pos tokens per layer). Returns the
  // logits (vocab_size floats, valid until the next call). record: if not null, this token's q, k and v
  // (after RoPE) are appended to it.
  const std::vector<float>& forward(int32_t token, size_t pos, KvCacheBackend& cache, ForwardRecord* record = nullptr);

 private:
  const LlamaModel& model_;
  std::vector<float> x_, xb_, xb2_, q_, k_, v_, hb_, hb2_, logits_, rope_cos_, rope_sin_;
};

// Index of the largest logit (the lowest index on ties, as llama2.c's sample_argmax).
size_t argmax(const float* values, size_t count);

// Runs the prompt and then `steps` generated tokens through an exact fp32 cache; returns prompt + generated
// tokens. temperature 0 = greedy (llama2.c's argmax); otherwise samples softmax(logits / temperature) with
// a seeded generator. Stops early, without adding it, when BOS is drawn (llama2.c's sequence delimiter) or
// when the model's seq_len is reached.
std::vector<int32_t> generate(const LlamaModel& model, const std::vector<int32_t>& prompt, size_t steps,
                              float temperature = 0.0f, uint64_t seed = 0);

}  // namespace aqpim::core::llm
