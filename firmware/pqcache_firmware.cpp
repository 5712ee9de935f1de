#include "firmware/pqcache_firmware.h"

#include <stdexcept>
#include <string>

#include "core/llm/pqcache_backend.h"

namespace aqpim::firmware {

namespace {

core::PqShape key_shape(const WorkloadConfig& workload, const PqCacheConfig& config) {
  return {workload.model.head_dim, config.sub_vectors, config.centroids};
}

KvBackendRunner::Factory backend(const WorkloadConfig& workload, const PqCacheConfig& config) {
  core::llm::PqCacheOptions options;
  options.sub_dim = workload.model.head_dim / config.sub_vectors;
  options.clusters = config.centroids;
  options.iterations = config.kmeans_iterations;
  options.seed = config.seed;
  options.sink_tokens = config.sink_tokens;
  options.recent_tokens = config.recent_tokens;
  options.top_k = config.top_k;
  return [options] { return std::make_unique<core::llm::PqCacheBackend>(options); };
}

}  // namespace

PqCacheFirmware::PqCacheFirmware(const WorkloadConfig& workload, const hwif::PlatformView& view,
                                 const PqCacheConfig& config, double gpu_kv_capacity_bytes, const WorkloadData* data)
    : GpuKvFirmware(workload, data, backend(workload, config)), config_(config), offload_(workload, view, 0, data) {
  if (config.top_k < 1 || config.top_k > coded(total_tokens()))
    throw std::invalid_argument("pqcache: top_k (" + std::to_string(config.top_k) + ") must be in [1, " +
                                std::to_string(coded(total_tokens())) +
                                "] (the tokens between the sink and recent ones at the last step)");
  if (gpu_resident_kv_bytes() > gpu_kv_capacity_bytes)
    throw std::invalid_argument("pqcache: the key codes, codebooks and fp16 sink/recent tokens need " +
                                std::to_string(uint64_t(gpu_resident_kv_bytes()) >> 20) + " MiB of GPU HBM but " +
                                std::to_string(int64_t(gpu_kv_capacity_bytes) >> 20) + " MiB are left for KV");
}

uint32_t PqCacheFirmware::coded(uint32_t length) const {
  const uint32_t exact = config_.sink_tokens + config_.recent_tokens;
  return length > exact ? length - exact : 0;
}

double PqCacheFirmware::gpu_head_bytes(uint32_t length) const {
  const uint32_t exact = length - coded(length);
  const core::KvBytes keys = core::kv_bytes(key_shape(workload_, config_), coded(length), exact);
  return double(keys.total() + core::fp16_kv_bytes(exact, workload_.model.head_dim));
}

hwif::GpuWork PqCacheFirmware::scoring_work(uint32_t length) const {
  // Per query head: a table of every centroid's partial product (K x head_dim MACs), then m lookups and
  // additions per coded token; reads every KV head's codes and codebooks once.
  const ModelDims& model = workload_.model;
  const core::KvBytes keys = core::kv_bytes(key_shape(workload_, config_), coded(length), 0);
  const double per_head = 2.0 * config_.centroids * model.head_dim + double(coded(length)) * config_.sub_vectors;
  // One thread block per sequence and query head, as the attention kernels (firmware/gpu_work.h).
  return {double(workload_.batch) * model.heads * per_head,
          double(workload_.batch) * model.kv_heads * double(keys.codes + keys.codebooks),
          double(workload_.batch) * model.heads, 0.0, 0.0};
}

void PqCacheFirmware::store_layer(hwif::Hal& hal, uint32_t layer) {
  hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
  offload_.store_prompt(hal, layer);
  hal.wait_copies();
}

void PqCacheFirmware::attend_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  const uint32_t length = workload_.context_tokens + step + 1;
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_.store_token(hal, layer, length - 1);
    hal.wait_copies();
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    hal.gpu_launch(scoring_work(length));
    hal.gpu_wait();  // the selection needs every score
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kTransfer);
    offload_.gather(hal, layer, fetched(length));
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuAttention);
    hal.gpu_launch(attention_work(workload_.model, workload_.batch, 1, length - coded(length) + fetched(length), false));
    hal.gpu_wait();
  }
  compute_outputs(layer, step);
}

}  // namespace aqpim::firmware
