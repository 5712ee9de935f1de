#include "platform/gpu_memory.h"

#include <algorithm>

#include "firmware/gpu_work.h"
#include "platform/system_config.h"

namespace aqpim::platform {

bool design_uses_pim(Design design) { return !gpu_only(design); }

GpuMemory gpu_memory(const PlatformParams& p) {
  const bool pim = design_uses_pim(p.sim.design);
  GpuMemory memory;
  memory.capacity = double(pim ? p.hbm.stacks - p.hbm.pim_stacks : p.hbm.stacks) * hbm_stack_bytes(p);
  // The unused share is a KV pool's headroom (vLLM sizes its pool from it); the PIM designs keep no pool.
  const double headroom = pim ? 0.0 : (1.0 - p.gpu.memory_utilization) * memory.capacity;
  memory.reserve = headroom + p.gpu.runtime_reserve_mib * double(1 << 20);
  memory.weights = weight_bytes(p);
  const double prompt_tokens = double(p.workload.batch) * double(p.workload.context_tokens);
  memory.workspace = firmware::prefill_workspace_bytes(
      make_firmware_config(p).model, std::min(double(p.gpu.prefill_chunk_tokens), prompt_tokens), double(p.workload.batch));
  return memory;
}

double gpu_kv_capacity_bytes(const PlatformParams& p) { return std::max(0.0, gpu_memory(p).kv_room()); }

}  // namespace aqpim::platform
