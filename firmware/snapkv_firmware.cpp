#include "firmware/snapkv_firmware.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/llm/snapkv_backend.h"

namespace aqpim::firmware {

namespace {

KvBackendRunner::Factory backend(const SnapKvConfig& config) {
  core::llm::SnapKvOptions options;  // SnapKV's own pooling of the votes (kernel 5, average)
  options.budget = config.token_budget;
  options.window = config.window;
  return [options] { return std::make_unique<core::llm::SnapKvBackend>(options); };
}

}  // namespace

SnapKvFirmware::SnapKvFirmware(const WorkloadConfig& workload, const SnapKvConfig& config,
                               double gpu_kv_capacity_bytes, const WorkloadData* data)
    : GpuKvFirmware(workload, data, backend(config)), config_(config) {
  if (config.window < 1 || config.window >= config.token_budget)
    throw std::invalid_argument("snapkv: the window (" + std::to_string(config.window) +
                                ") must be in [1, token_budget = " + std::to_string(config.token_budget) + ")");
  if (gpu_resident_kv_bytes() > gpu_kv_capacity_bytes)
    throw std::invalid_argument("snapkv: the kept fp16 KV needs " + std::to_string(uint64_t(gpu_resident_kv_bytes()) >> 20) +
                                " MiB of GPU HBM but " + std::to_string(int64_t(gpu_kv_capacity_bytes) >> 20) +
                                " MiB are left for KV: lower snapkv.token_budget");
}

uint32_t SnapKvFirmware::kept(uint32_t length) const {
  return std::min(config_.token_budget, workload_.context_tokens) + (length - workload_.context_tokens);
}

void SnapKvFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    hal.gpu_launch(attention_work(workload_.model, workload_.batch, 1, kept(workload_.context_tokens + step + 1), false));
    hal.gpu_wait();
  }
  compute_outputs(layer, step);
}

}  // namespace aqpim::firmware
