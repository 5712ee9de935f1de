#include "firmware/skvq_firmware.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/llm/skvq_backend.h"
#include "firmware/gpu_offload_firmware.h"

namespace aqpim::firmware {

namespace {

const SkvqConfig& checked(const SkvqConfig& config, uint32_t head_dim) {
  if (config.bits != 2 && config.bits != 4)
    throw std::invalid_argument("skvq: bits (" + std::to_string(config.bits) + ") must be 2 or 4");
  if (config.group_size < 1 || head_dim % config.group_size)
    throw std::invalid_argument("skvq: group_size (" + std::to_string(config.group_size) +
                                ") must divide head_dim (" + std::to_string(head_dim) + ")");
  return config;
}

KvBackendRunner::Factory backend(const SkvqConfig& config) {
  core::llm::SkvqOptions options;
  options.key_bits = options.value_bits = config.bits;
  options.group_size = config.group_size;
  options.sink_tokens = config.sink_tokens;
  options.recent_tokens = config.recent_tokens;
  options.channel_reorder = false;  // needs a calibration text the synthetic workload does not have
  return [options] { return std::make_unique<core::llm::SkvqBackend>(options); };
}

}  // namespace

SkvqFirmware::SkvqFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view, const SkvqConfig& config,
                           double gpu_kv_capacity_bytes, const WorkloadData* data)
    : GpuKvFirmware(workload, data, backend(config)),
      config_(checked(config, workload.model.head_dim)),
      // Sizes only: the values the attention reads come from the back end (functional mode).
      offload_(workload, view, first_offloaded(gpu_kv_capacity_bytes), nullptr,
               uint64_t(quantized_head_token_bytes())) {}

double SkvqFirmware::quantized_head_token_bytes() const {
  const double dim = workload_.model.head_dim;
  return 2.0 * (dim * config_.bits / 8.0 + dim / config_.group_size * 4.0);
}

uint32_t SkvqFirmware::first_offloaded(double gpu_kv_capacity_bytes) const {
  const uint32_t fp16 = window(total_tokens());
  const double left = gpu_kv_capacity_bytes - all_heads(fp16_head_token_bytes() * fp16);
  if (left < 0)
    throw std::invalid_argument("skvq: the fp16 sink and recent tokens alone need " +
                                std::to_string(uint64_t(all_heads(fp16_head_token_bytes() * fp16)) >> 20) +
                                " MiB of GPU HBM but " + std::to_string(int64_t(gpu_kv_capacity_bytes) >> 20) +
                                " MiB are left for KV");
  const uint32_t quantized = total_tokens() - fp16;
  return fp16 + std::min(quantized, GpuOffloadFirmware::tokens_fitting(workload_, left, quantized_head_token_bytes()));
}

double SkvqFirmware::gpu_resident_kv_bytes() const {
  const uint32_t fp16 = window(total_tokens()), resident = offload_.first_token() - fp16;
  return all_heads(fp16_head_token_bytes() * fp16 + quantized_head_token_bytes() * resident);
}

void SkvqFirmware::store_layer(hwif::Hal& hal, uint32_t layer) {
  hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
  offload_.store_prompt(hal, layer);
  hal.wait_copies();
}

void SkvqFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  const uint32_t length = workload_.context_tokens + step + 1, fp16 = window(length);
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_.store_token(hal, layer, length - 1);
    hal.wait_copies();
    offload_.fetch(hal, layer, length);
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    const double stored = fp16_head_token_bytes() * fp16 + quantized_head_token_bytes() * (length - fp16);
    hal.gpu_launch(decode_attention_work(workload_.model, workload_.batch, length, stored / length));
    hal.gpu_wait();
  }
  compute_outputs(layer, step);
}

}  // namespace aqpim::firmware
