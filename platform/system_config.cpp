#include "platform/system_config.h"

#include "firmware/attacc_firmware.h"
#include "firmware/gpu_offload_firmware.h"

namespace aqpim::platform {

SystemConfig make_system_config(const PlatformParams& p) {
  const bool functional = p.sim.mode == "functional";
  SystemConfig config;
  auto& stack = config.stack;
  stack.pseudo_channels = uint32_t(p.hbm.pim_stacks * p.hbm.channels_per_stack * p.hbm.pseudo_channels);

  auto& channel = stack.channel;
  channel.bank_groups = unsigned(p.hbm.bank_groups);
  channel.banks_per_group = unsigned(p.hbm.banks_per_group);
  channel.rows_per_bank = uint64_t(p.hbm.rows_per_bank);
  channel.row_bytes = uint64_t(p.hbm.row_bytes);
  channel.data_width_bits = unsigned(p.hbm.data_width_bits);
  channel.burst_length = unsigned(p.hbm.burst_length);
  channel.data_rate_gbps = p.hbm.data_rate_gbps;
  channel.page_policy = p.hbm.page_policy == "open" ? models::HbmPagePolicy::Open : models::HbmPagePolicy::Closed;
  channel.address_mapping = hwif::parse_hbm_address_mapping(p.hbm.address_mapping);
  channel.tCK = sc_core::sc_time(p.hbm.timing.tck_ns, sc_core::SC_NS);
  const auto& t = p.hbm.timing;
  auto& cycles = channel.timing;
  cycles.nCL = unsigned(t.nCL), cycles.nRCDRD = unsigned(t.nRCDRD), cycles.nRCDWR = unsigned(t.nRCDWR);
  cycles.nRP = unsigned(t.nRP), cycles.nRAS = unsigned(t.nRAS), cycles.nRC = unsigned(t.nRC);
  cycles.nWR = unsigned(t.nWR), cycles.nCCDS = unsigned(t.nCCDS), cycles.nCCDL = unsigned(t.nCCDL);
  cycles.nRRDS = unsigned(t.nRRDS), cycles.nRRDL = unsigned(t.nRRDL), cycles.nFAW = unsigned(t.nFAW);
  cycles.nRFC = unsigned(t.nRFC), cycles.nREFI = unsigned(t.nREFI);
  channel.store_data = functional;

  auto& unit = stack.unit;
  unit.placement = p.pim.placement == "bank" ? models::PimPlacement::bank : models::PimPlacement::bank_group;
  unit.bank_groups = uint32_t(p.hbm.bank_groups);
  unit.banks_per_group = uint32_t(p.hbm.banks_per_group);
  unit.clock_period = channel.tCK;
  unit.macs_per_unit = uint32_t(p.pim.macs_per_unit);
  unit.buffer_macs = uint32_t(p.pim.buffer_macs);
  unit.codebook_sram_bytes = uint64_t(p.pim.codebook_sram_kib) * 1024;
  unit.lut_sram_bytes = uint64_t(p.pim.lut_sram_kib) * 1024;
  unit.histogram_entries = uint64_t(p.pim.accumulator_entries);
  unit.buffer_accumulator_entries = uint64_t(p.pim.buffer_accumulator_entries);
  unit.io_buffer_bytes = uint64_t(p.pim.io_buffer_kib) * 1024;
  unit.functional = functional;

  auto& host = config.host;
  host.gpu_peak_flops = p.gpu.peak_tflops * 1e12;
  host.gpu_memory_bandwidth = p.gpu.hbm_bandwidth_gbps * 1e9;
  host.gpu_compute_efficiency = p.gpu.compute_efficiency;
  host.gpu_memory_efficiency = p.gpu.memory_efficiency;
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
  config.value_path = p.pq.value_path == "histogram" ? core::ValuePath::kHistogram : core::ValuePath::kReconstruct;
  config.seed = uint64_t(p.workload.seed);
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
  shape.seed = uint64_t(p.workload.seed);
  return shape;
}

double hbm_stack_bytes(const PlatformParams& p) {
  return double(p.hbm.channels_per_stack) * p.hbm.pseudo_channels * p.hbm.bank_groups * p.hbm.banks_per_group *
         double(p.hbm.rows_per_bank) * double(p.hbm.row_bytes);
}

double weight_bytes(const PlatformParams& p) {
  const auto dims = make_firmware_config(p).model;
  return 2.0 * (double(dims.layers) * firmware::layer_parameters(dims) + 2.0 * double(dims.vocab) * dims.hidden);
}

std::unique_ptr<firmware::AttentionFirmware> make_firmware(const PlatformParams& p, const hwif::PlatformView& view,
                                                           const firmware::WorkloadData* data) {
  const auto config = make_firmware_config(p);
  if (p.sim.design == "gpu_offload")
    return std::make_unique<firmware::GpuOffloadFirmware>(config.workload(), view,
                                                          p.hbm.stacks * hbm_stack_bytes(p) - weight_bytes(p), data);
  const double gpu_side = double(p.hbm.stacks - p.hbm.pim_stacks) * hbm_stack_bytes(p);
  if (weight_bytes(p) > gpu_side)
    throw ParamError("the model's weights (" + std::to_string(int64_t(weight_bytes(p) / (1 << 20))) +
                     " MiB) do not fit the GPU's own HBM: (hbm.stacks - hbm.pim_stacks) x stack = " +
                     std::to_string(int64_t(gpu_side / (1 << 20))) + " MiB");
  if (p.sim.design == "attacc") return std::make_unique<firmware::AttAccFirmware>(config.workload(), view, data);
  return std::make_unique<firmware::AqpimFirmware>(config, view, data);
}

}  // namespace aqpim::platform
