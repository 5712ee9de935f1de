// The GPU's dense work per layer, as FLOPs and HBM bytes for the host's roofline. Shared by every firmware
// mode (AQPIM and the baselines) so they are charged the same for the same work. Formulas (fp16, 2 bytes
// per element; docs/firmware.md):
//   projections  params = hidden x (heads + 2 kv_heads) x head_dim + heads x head_dim x hidden
//                         + 3 x hidden x ffn_hidden                      (QKV, output, gated FFN)
//                flops  = 2 x tokens x params;   bytes = 2 x params + 2 x tokens x (4 hidden + 2 ffn_hidden)
//   attention    flops  = 4 x queries x keys x head_dim x heads (QK^T and PV; a causal prefill counts
//                         half of the square);  bytes = 2 x (queries x heads + 2 x keys x kv_heads) x head_dim
//   lm head      flops  = 2 x tokens x hidden x vocab;  bytes = 2 x hidden x vocab
// dense_layer_kernels splits a layer's projections into the kernels AttAcc's simulator launches (its
// src/model.py): RMSNorm, QKV, output, RMSNorm, gate, up, SiLU x gate, down; each GEMM (tokens x n x k)
// moves 2 x (n x k + tokens x (n + k)) bytes, and its thread blocks come from AttAcc's tile search.
#pragma once

#include <cstdint>
#include <vector>

#include "hwif/hal.h"

namespace aqpim::firmware {

struct ModelDims {
  uint32_t layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn_hidden = 0, vocab = 0;
};

// A memory-bound elementwise kernel timed like AttAcc's fits: fixed seconds plus its bytes at a share of
// the GPU's peak bandwidth. bandwidth_fraction 0: not launched on its own (folded into the projections).
struct ElementwiseKernel {
  double fixed_seconds = 0;
  double bandwidth_fraction = 0;
};

// How the GPU runs small kernels. sms 0: every kernel fills the GPU (no occupancy factor).
struct GpuKernelModel {
  uint32_t sms = 0;
  uint32_t l1_bytes = 0;  // shared memory per SM, bounding a GEMM's tile
  ElementwiseKernel norm{0, 0}, activation{0, 0};
};

double layer_parameters(const ModelDims& model);
// Projections of one layer for `tokens` tokens (all sequences of the batch together), as one kernel.
hwif::GpuWork projection_work(const ModelDims& model, double tokens);
// Attention of `sequences` sequences, each with `queries` queries over `keys` keys (per sequence); one
// thread block per sequence and query head, as AttAcc's simulator counts them.
hwif::GpuWork attention_work(const ModelDims& model, double sequences, double queries, double keys, bool causal);
// One decode query per sequence over `keys` keys whose K and V take head_token_bytes per KV head as stored
// (a compressed cache, dequantised inside the kernel); 4 x head_dim bytes gives attention_work's figures.
hwif::GpuWork decode_attention_work(const ModelDims& model, double sequences, double keys, double head_token_bytes);
hwif::GpuWork lm_head_work(const ModelDims& model, double tokens);

// Thread blocks of a tokens x n x k fp16 GEMM: AttAcc's L1 tile search (src/devices.py, _get_optimal_tile),
// which picks the tile minimising L2 traffic / occupancy^2 among tiles whose operands fit l1_bytes.
double gemm_thread_blocks(const GpuKernelModel& gpu, double tokens, double n, double k);
// The layer's kernels in launch order; with the elementwise kernels off, the GEMMs alone.
// A layer's kernels in the three parts AttAcc's pipelining tells apart: qkv (RMSNorm, QKV projection),
// output (output projection), ffn (RMSNorm, gate, up, SiLU x gate, down).
struct DenseLayerParts {
  std::vector<hwif::GpuWork> qkv, output, ffn;
};
DenseLayerParts dense_layer_parts(const ModelDims& model, const GpuKernelModel& gpu, double tokens);
std::vector<hwif::GpuWork> dense_layer_kernels(const ModelDims& model, const GpuKernelModel& gpu, double tokens);
// The LM head as one GEMM with its thread blocks.
hwif::GpuWork lm_head_kernel(const ModelDims& model, const GpuKernelModel& gpu, double tokens);

// fp16 activations alive at once while one layer runs `chunk_tokens` prompt tokens (residual, normed input,
// gate and up outputs, SiLU x gate output: the FFN's peak, or the attention block's when larger), plus
// the batch's fp32 logits of the last position.
double prefill_workspace_bytes(const ModelDims& model, double chunk_tokens, double batch);

}  // namespace aqpim::firmware
