#include "firmware/gpu_offload_firmware.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/attention.h"

namespace aqpim::firmware {

double GpuOffloadFirmware::kv_bytes_per_token(const WorkloadConfig& workload, double head_token_bytes) {
  const ModelDims& model = workload.model;
  if (head_token_bytes <= 0) head_token_bytes = 2.0 * model.head_dim * 2.0;  // fp16 K and V
  return double(workload.batch) * model.layers * model.kv_heads * head_token_bytes;
}

uint32_t GpuOffloadFirmware::tokens_fitting(const WorkloadConfig& workload, double capacity_bytes,
                                            double head_token_bytes) {
  const double fitting = std::floor(std::max(0.0, capacity_bytes) / kv_bytes_per_token(workload, head_token_bytes));
  return uint32_t(std::min<double>(fitting, double(workload.context_tokens) + workload.decode_steps));
}

GpuOffloadFirmware::GpuOffloadFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view,
                                       double gpu_kv_capacity_bytes, const WorkloadData* data)
    : AttentionFirmware(workload, data), offload_(workload, view, tokens_fitting(workload, gpu_kv_capacity_bytes), data) {}

void GpuOffloadFirmware::store_layer(hwif::Hal& hal, uint32_t layer) {
  hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
  offload_.store_prompt(hal, layer);
  hal.wait_copies();
}

void GpuOffloadFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  const ModelDims& model = workload_.model;
  const uint32_t length = workload_.context_tokens + step + 1;
  std::vector<float> fetched;
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_.store_token(hal, layer, length - 1);
    hal.wait_copies();
    fetched = offload_.fetch(hal, layer, length);
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    hal.gpu_launch(attention_work(model, workload_.batch, 1, length, false));
    hal.gpu_wait();
  }
  if (!functional()) return;
  // fp16 attention over the GPU-resident tokens and the ones that came back over PCIe.
  const uint32_t dim = model.head_dim, resident = std::min(length, offload_.first_token());
  std::vector<float> keys(size_t(length) * dim), values(size_t(length) * dim);
  for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence)
    for (uint32_t kv_head = 0; kv_head < model.kv_heads; ++kv_head) {
      for (uint32_t token = 0; token < resident; ++token) {
        const size_t source = (size_t(token) * model.kv_heads + kv_head) * dim;
        std::memcpy(&keys[size_t(token) * dim], data_->keys(sequence, layer) + source, dim * 4);
        std::memcpy(&values[size_t(token) * dim], data_->values(sequence, layer) + source, dim * 4);
      }
      for (uint32_t token = resident; token < length; ++token) {
        const float* row = offload_.fetched_row(fetched, token, sequence, kv_head);
        std::memcpy(&keys[size_t(token) * dim], row, dim * 4);
        std::memcpy(&values[size_t(token) * dim], row + dim, dim * 4);
      }
      for (uint32_t g = 0; g < group(); ++g) {
        const uint32_t head = kv_head * group() + g;
        const float* query = data_->decode_queries(sequence, layer) + (size_t(step) * model.heads + head) * dim;
        core::reference_head_attention(query, keys.data(), values.data(), length, dim, dim,
                                       1.0f / std::sqrt(float(dim)), output(step, sequence, layer, head));
      }
    }
}

}  // namespace aqpim::firmware
