// The GPU's dense work per layer, as FLOPs and HBM bytes for the host's roofline. Shared by every firmware
// mode (AQPIM and the baselines) so they are charged the same for the same work. Formulas (fp16, 2 bytes
// per element; docs/firmware.md):
//   projections  params = hidden x (heads + 2 kv_heads) x head_dim + heads x head_dim x hidden
//                         + 3 x hidden x ffn_hidden                      (QKV, output, gated FFN)
//                flops  = 2 x tokens x params;   bytes = 2 x params + 2 x tokens x (4 hidden + 2 ffn_hidden)
//   attention    flops  = 4 x queries x keys x head_dim x heads (QK^T and PV; a causal prefill counts
//                         half of the square);  bytes = 2 x (queries x heads + 2 x keys x kv_heads) x head_dim
//   lm head      flops  = 2 x tokens x hidden x vocab;  bytes = 2 x hidden x vocab
#pragma once

#include <cstdint>

#include "hwif/hal.h"

namespace aqpim::firmware {

struct ModelDims {
  uint32_t layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn_hidden = 0, vocab = 0;
};

double layer_parameters(const ModelDims& model);
// Projections of one layer for `tokens` tokens (all sequences of the batch together).
hwif::GpuWork projection_work(const ModelDims& model, double tokens);
// Attention of `sequences` sequences, each with `queries` queries over `keys` keys (per sequence).
hwif::GpuWork attention_work(const ModelDims& model, double sequences, double queries, double keys, bool causal);
// One decode query per sequence over `keys` keys whose K and V take head_token_bytes per KV head as stored
// (a compressed cache, dequantised inside the kernel); 4 x head_dim bytes gives attention_work's figures.
hwif::GpuWork decode_attention_work(const ModelDims& model, double sequences, double keys, double head_token_bytes);
hwif::GpuWork lm_head_work(const ModelDims& model, double tokens);

}  // namespace aqpim::firmware
