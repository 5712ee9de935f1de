#include "platform/system_config.h"

#include <algorithm>

#include "firmware/aqpim_subvector_firmware.h"
#include "firmware/attacc_firmware.h"
#include "firmware/gpu_offload_firmware.h"
#include "firmware/pqcache_firmware.h"
#include "firmware/skvq_firmware.h"
#include "firmware/snapkv_firmware.h"
#include "platform/gpu_memory.h"

namespace aqpim::platform {

SystemConfig make_system_config(const PlatformParams& p) {
  const bool functional = p.sim.functional();
  SystemConfig config;
  auto& stack = config.stack;
  stack.pseudo_channels = uint32_t(p.hbm.pim_stacks * p.hbm.channels_per_stack * p.hbm.pseudo_channels);
  stack.channel = p.hbm.organised_channel();
  stack.channel.store_data = functional;
  // The PEs sit in the channel they compute on: its banks and its clock.
  stack.unit = p.pim.unit;
  stack.unit.bank_groups = stack.channel.bank_groups;
  stack.unit.banks_per_group = stack.channel.banks_per_group;
  stack.unit.clock_period = stack.channel.tCK;
  stack.unit.row_bytes = stack.channel.row_bytes;
  stack.unit.column_bytes = stack.channel.access_bytes();
  stack.unit.functional = functional;
  if (p.sim.design == Design::attacc) stack.unit.bank_bandwidth_limit = attacc_bank_bandwidth_limit(p);

  auto& host = config.host;
  host.gpu_peak_flops = p.gpu.peak_tflops * 1e12;
  host.gpu_memory_bandwidth = p.gpu.hbm_bandwidth_gbps * 1e9;
  host.gpu_compute_efficiency = p.gpu.compute_efficiency;
  host.gpu_memory_efficiency = p.gpu.memory_efficiency;
  host.gpu_sms = uint32_t(p.gpu.sms);
  host.quantum = sc_core::sc_time(p.sim.quantum_ns, sc_core::SC_NS);
  host.functional = functional;

  config.pcie.bandwidth = p.pcie.bandwidth_gbps * 1e9;
  config.pcie.latency = sc_core::sc_time(p.pcie.latency_ns, sc_core::SC_NS);
  config.cpu_memory.capacity_bytes = uint64_t(p.cpu.memory_capacity_gib) << 30;
  config.cpu_memory.bandwidth = p.cpu.memory_bandwidth_gbps * 1e9;
  config.cpu_memory.latency = sc_core::sc_time(p.cpu.memory_latency_ns, sc_core::SC_NS);
  config.cpu_memory.functional = functional;
  return config;
}

firmware::AqpimFirmwareConfig make_firmware_config(const PlatformParams& p) {
  firmware::AqpimFirmwareConfig config;
  const auto& m = p.model;
  config.model = {uint32_t(m.layers), uint32_t(m.hidden),   uint32_t(m.heads), uint32_t(m.kv_heads),
                  uint32_t(m.head_dim), uint32_t(m.ffn_hidden), uint32_t(m.vocab)};
  config.batch = uint32_t(p.workload.batch);
  config.context_tokens = uint32_t(p.workload.context_tokens);
  config.decode_steps = uint32_t(p.workload.decode_steps);
  config.quant = {uint32_t(p.pq.sub_vectors), uint32_t(p.pq.centroids), uint32_t(p.pq.sink_tokens),
                  uint32_t(p.pq.recent_tokens)};
  config.kmeans_iterations = uint32_t(p.pq.kmeans_iterations);
  config.importance_weighting = p.pq.importance_weighting;
  config.importance_queries = uint32_t(p.pq.importance_queries);
  config.channel_presort = p.pq.channel_presort;
  config.value_path = resolved_value_path(p);
  config.seed = uint64_t(p.workload.seed);
  config.gpu = {uint32_t(p.gpu.sms), uint32_t(p.gpu.l1_kib * 1024),
                {p.gpu.norm_kernel_us * 1e-6, p.gpu.norm_bandwidth_fraction},
                {p.gpu.activation_kernel_us * 1e-6, p.gpu.activation_bandwidth_fraction}};
  return config;
}

core::ValuePath resolved_value_path(const PlatformParams& p) {
  switch (p.pq.value_path) {
    case ValuePathSetting::histogram: return core::ValuePath::kHistogram;
    case ValuePathSetting::reconstruct: return core::ValuePath::kReconstruct;
    case ValuePathSetting::automatic: break;
  }
  // What each mapping's hardware does: lookups in the value codebook's rows (the paper) where the codebooks
  // are DRAM rows, per-centroid histograms where they sit in SRAM beside the accumulators.
  const bool lookups = p.pim.mapping == PimMapping::subvector && p.pim.codebook_store == firmware::CodebookStore::dram;
  return lookups ? core::ValuePath::kReconstruct : core::ValuePath::kHistogram;
}

firmware::SubvectorFirmwareConfig make_subvector_config(const PlatformParams& p) {
  firmware::SubvectorFirmwareConfig config;
  config.aqpim = make_firmware_config(p);
  config.aqpim.quant.centroids = uint32_t(p.pq.centroids_per_window());
  config.codebook_store = p.pim.codebook_store;
  config.windows = uint32_t(p.pq.windows());
  config.gqa_one_pass = p.pim.gqa_one_pass;
  config.assignment_in_buffer = p.pim.buffer_assignment;
  config.coalesced_lookups = p.pim.coalesced_lookups;
  return config;
}

firmware::WorkloadShape make_workload_shape(const PlatformParams& p) {
  firmware::WorkloadShape shape;
  shape.batch = uint32_t(p.workload.batch);
  shape.layers = uint32_t(p.model.layers);
  shape.heads = uint32_t(p.model.heads);
  shape.kv_heads = uint32_t(p.model.kv_heads);
  shape.head_dim = uint32_t(p.model.head_dim);
  shape.context_tokens = uint32_t(p.workload.context_tokens);
  shape.decode_steps = uint32_t(p.workload.decode_steps);
  shape.prefill_queries = uint32_t(p.pq.importance_queries);
  // SnapKV's observation window votes with the prompt's last queries.
  if (p.sim.design == Design::snapkv) shape.prefill_queries = uint32_t(std::max(p.pq.importance_queries, p.snapkv.window));
  shape.seed = uint64_t(p.workload.seed);
  return shape;
}

double hbm_stack_bytes(const PlatformParams& p) {
  return double(p.hbm.channels_per_stack) * p.hbm.pseudo_channels * double(p.hbm.organised_channel().capacity_bytes());
}

double pseudo_channel_bandwidth(const PlatformParams& p) {
  return double(p.hbm.channel.data_width_bits) * p.hbm.channel.data_rate_gbps * 1e9 / 8.0;
}

double attacc_bank_bandwidth_limit(const PlatformParams& p) {
  return p.attacc.internal_bandwidth_scale * pseudo_channel_bandwidth(p);
}

double pim_internal_bandwidth(const PlatformParams& p) {
  const auto channel = p.hbm.organised_channel();
  // Every bank streams a column per tCCD_L (docs/models-hbm.md), unless the power limit binds first.
  const double peak = double(channel.bank_groups) * channel.banks_per_group * double(channel.access_bytes()) /
                      (double(channel.timing.nCCDL) * channel.tCK.to_seconds());
  const double limit = attacc_bank_bandwidth_limit(p);
  const double per_channel = limit > 0.0 ? std::min(peak, limit) : peak;
  return per_channel * double(p.hbm.pim_stacks * p.hbm.channels_per_stack * p.hbm.pseudo_channels);
}

firmware::AttAccOptions make_attacc_options(const PlatformParams& p) {
  firmware::AttAccOptions options;
  options.head_pipeline = p.attacc.pipeline == AttAccPipeline::head;
  if (p.attacc.ffn_split) {
    // AttAcc's _ff_parallel (memory-bound FFN): the GPU keeps GPU_bw / (GPU_bw + PIM_bw / batch) of it; the
    // PIM reads every weight once per sequence, hence its bandwidth shared by the batch.
    const double gpu = p.gpu.hbm_bandwidth_gbps * 1e9, pim = pim_internal_bandwidth(p) / double(p.workload.batch);
    options.ffn_gpu_share = gpu / (gpu + pim);
  }
  return options;
}

double weight_bytes(const PlatformParams& p) {
  const auto dims = make_firmware_config(p).model;
  return 2.0 * (double(dims.layers) * firmware::layer_parameters(dims) + 2.0 * double(dims.vocab) * dims.hidden);
}

namespace {

// The designs whose KV cache the GPU alone serves, each from its parameters and the GPU's HBM left for KV.
std::unique_ptr<firmware::AttentionFirmware> make_gpu_only_firmware(const PlatformParams& p,
                                                                    const hwif::PlatformView& view,
                                                                    const firmware::WorkloadData* data) {
  const auto workload = make_firmware_config(p).workload();
  const double capacity = gpu_kv_capacity_bytes(p);
  const auto& pq = p.pq;
  switch (p.sim.design) {
    case Design::pqcache: {
      const firmware::PqCacheConfig config{uint32_t(p.pqcache.resolved_top_k(p.workload.context_tokens)),
                                           uint32_t(pq.sub_vectors),   uint32_t(pq.centroids),
                                           uint32_t(pq.sink_tokens),   uint32_t(pq.recent_tokens),
                                           uint32_t(pq.kmeans_iterations), uint64_t(p.workload.seed)};
      return std::make_unique<firmware::PqCacheFirmware>(workload, view, config, capacity, data);
    }
    case Design::snapkv:
      return std::make_unique<firmware::SnapKvFirmware>(
          workload, firmware::SnapKvConfig{uint32_t(p.snapkv.token_budget), uint32_t(p.snapkv.window)}, capacity, data);
    case Design::skvq: {
      const firmware::SkvqConfig config{uint32_t(p.skvq.bits), uint32_t(p.skvq.group_size), uint32_t(pq.sink_tokens),
                                        uint32_t(pq.recent_tokens)};
      return std::make_unique<firmware::SkvqFirmware>(workload, view, config, capacity, data);
    }
    default: return std::make_unique<firmware::GpuOffloadFirmware>(workload, view, capacity, data);
  }
}

}  // namespace

std::unique_ptr<firmware::AttentionFirmware> make_firmware(const PlatformParams& p, const hwif::PlatformView& view,
                                                           const firmware::WorkloadData* data) {
  const auto config = make_firmware_config(p);
  if (gpu_only(p.sim.design)) return make_gpu_only_firmware(p, view, data);
  const GpuMemory gpu = gpu_memory(p);
  const auto mib = [](double bytes) { return std::to_string(int64_t(bytes / (1 << 20))); };
  if (gpu.kv_room() < 0)
    throw ParamError("the model's weights (" + mib(gpu.weights) + " MiB), reserve (" + mib(gpu.reserve) +
                     " MiB) and prefill workspace (" + mib(gpu.workspace) +
                     " MiB) do not fit the GPU's own HBM: (hbm.stacks - hbm.pim_stacks) x stack = " +
                     mib(gpu.capacity) + " MiB");
  if (p.sim.design == Design::attacc)
    return std::make_unique<firmware::AttAccFirmware>(config.workload(), view, data, make_attacc_options(p));
  if (p.pim.mapping == PimMapping::subvector) {
    auto firmware = std::make_unique<firmware::AqpimSubvectorFirmware>(make_subvector_config(p), view, data);
    firmware->set_decode_micro_batches(uint32_t(p.sim.decode_micro_batches));
    return firmware;
  }
  return std::make_unique<firmware::AqpimFirmware>(config, view, data);
}

}  // namespace aqpim::platform
