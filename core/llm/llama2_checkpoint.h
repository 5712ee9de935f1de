// Loader for llama2.c checkpoints (Karpathy's run.c, the "legacy version 0" format), e.g. the tinyllamas
// stories260K / 15M / 42M / 110M models.
//
// Format: 7 little-endian int32 `dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len`; a
// negative vocab_size means the classifier is stored separately (unshared), otherwise it is the token
// embedding. Then fp32 tensors in this order, each row-major with the output dimension first (llama2.c's
// matmul computes out[i] = sum_j W[i * in + j] x[j]):
//   token_embedding [vocab][dim], rms_att [layers][dim], wq [layers][dim][dim], wk [layers][kv_dim][dim],
//   wv [layers][kv_dim][dim], wo [layers][dim][dim], rms_ffn [layers][dim], w1 [layers][hidden][dim],
//   w2 [layers][dim][hidden], w3 [layers][hidden][dim], rms_final [dim],
//   freq_cis_real, freq_cis_imag [seq_len * head_dim / 2] each (unused: RoPE is recomputed), wcls [vocab][dim]
//   (only when unshared).
// with head_dim = dim / n_heads and kv_dim = n_kv_heads * head_dim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aqpim::core::llm {

struct LlamaConfig {
  size_t dim = 0;
  size_t hidden_dim = 0;
  size_t layers = 0;
  size_t heads = 0;     // query heads
  size_t kv_heads = 0;  // divides heads (GQA)
  size_t vocab_size = 0;
  size_t seq_len = 0;
  bool shared_classifier = true;  // false: the header's vocab_size was negative and wcls follows

  size_t head_dim() const { return dim / heads; }
  size_t kv_dim() const { return kv_heads * head_dim(); }
  // Throws std::invalid_argument (one line) unless the shape is one the forward pass can run: positive
  // sizes within the bounds below, dim % heads == 0, heads % kv_heads == 0, even head_dim (RoPE pairs).
  void validate() const;
};

// Upper bounds of the header check: generous for every llama2.c model (110M: dim 768, 12 layers), small
// enough that size arithmetic cannot overflow and a garbage header is caught before anything is allocated.
inline constexpr size_t kMaxModelDim = 1u << 16;
inline constexpr size_t kMaxHiddenDim = 1u << 18;
inline constexpr size_t kMaxLayers = 1024;
inline constexpr size_t kMaxVocab = 1u << 20;
inline constexpr size_t kMaxSeqLen = 1u << 20;

struct LlamaModel {
  LlamaConfig config;
  std::vector<float> token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final;
  std::vector<float> wcls;  // empty when shared: the classifier is token_embedding
  const float* classifier() const { return config.shared_classifier ? token_embedding.data() : wcls.data(); }
};

// Header fields as stored (int32, vocab_size signed) -> config; std::invalid_argument on bad values.
LlamaConfig config_from_header(const int32_t header[7]);
// Exact size in bytes of a checkpoint with this config (header included).
uint64_t checkpoint_bytes(const LlamaConfig& config);

// Loads and checks a checkpoint. Throws FileFormatError ("<path>: <what>") when the file cannot be read, the
// header is invalid, the size differs from what the header implies (truncated or oversized), or a weight is
// not finite. Never crashes on bad input.
LlamaModel load_llama2_checkpoint(const std::string& path);

}  // namespace aqpim::core::llm
