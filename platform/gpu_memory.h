// What lives in the GPU's own HBM: the one account every GPU-resident design reads its KV room from
// (docs/gpu-memory.md). capacity: the HBM stacks the GPU addresses (all hbm.stacks for GPU-only designs,
// the plain ones beside the PIM stacks otherwise); reserve: the CUDA context and runtime
// (gpu.runtime_reserve_mib) plus, for designs that pool KV on the GPU, the share a server leaves unused
// ((1 - gpu.memory_utilization) x capacity, vLLM's gpu_memory_utilization); weights: fp16 weights; workspace: activations of one prefill chunk
// (gpu.prefill_chunk_tokens) and the batch's logits. The rest is the KV cache's.
#pragma once

#include "platform/params.h"

namespace aqpim::platform {

struct GpuMemory {
  double capacity = 0, reserve = 0, weights = 0, workspace = 0;
  // What is left for the KV cache; negative when weights, reserve and workspace alone do not fit.
  double kv_room() const { return capacity - reserve - weights - workspace; }
};

// Designs whose KV cache (and the attention over it) live in HBM-PIM stacks beside the GPU.
bool design_uses_pim(Design design);
GpuMemory gpu_memory(const PlatformParams& params);
// Bytes of GPU HBM left for the KV cache (never negative): what a GPU-resident design keeps on the GPU;
// the rest of its cache goes to CPU memory.
double gpu_kv_capacity_bytes(const PlatformParams& params);

}  // namespace aqpim::platform
