// The parameter table: every user parameter once, with its key, unit, documentation, accepted range and
// the field it reads and writes. Adding a parameter is one row here (plus the field, and any cross-field
// rule in param_rules.cpp); the loader, `aqpim params`, the JSON dump and docs/parameters.md follow.
#include <limits>

#include "platform/params.h"

namespace aqpim::platform {
namespace {

// A size given in KiB, held in bytes by the model.
template <class Integer>
IntRange kibibytes(Integer& field, int64_t min, int64_t max) {
  return {[&field] { return int64_t(field / 1024); }, [&field](int64_t value) { field = Integer(value) * 1024; }, min,
          max};
}
// A duration given in ns, held as an sc_time (whole picoseconds at the default resolution).
RealRange nanoseconds(sc_core::sc_time& field, double min, double max) {
  return {[&field] { return field / sc_core::sc_time(1, sc_core::SC_PS) / 1000.0; },
          [&field](double value) { field = sc_core::sc_time(value, sc_core::SC_NS); }, min, max};
}
}  // namespace

std::vector<ParamSpec> parameter_table(PlatformParams& p) {
  constexpr int64_t kMaxTokens = int64_t(1) << 24;
  std::vector<std::string> preset_names;
  for (const auto& preset : model_presets()) preset_names.push_back(preset.name);
  preset_names.push_back("custom");
  auto& t = p.hbm.channel.timing;
  std::vector<ParamSpec> table = {
      {"model.preset", "", "Model shape preset applied before any other model.* value; 'custom' keeps the given fields.",
       choice(p.model.preset, preset_names)},
      {"model.layers", "", "Transformer decoder layers.", integer(p.model.layers, 1, 256)},
      {"model.hidden", "", "Hidden (embedding) width.", integer(p.model.hidden, 16, 65536)},
      {"model.heads", "", "Query attention heads per layer.", integer(p.model.heads, 1, 256)},
      {"model.kv_heads", "", "Key/value heads per layer (fewer than heads means grouped-query attention).",
       integer(p.model.kv_heads, 1, 256)},
      {"model.head_dim", "", "Width of one attention head.", integer(p.model.head_dim, 4, 1024)},
      {"model.ffn_hidden", "", "Feed-forward inner width.", integer(p.model.ffn_hidden, 16, 262144)},
      {"model.vocab", "", "Vocabulary size (LM head GEMV).", integer(p.model.vocab, 16, 1048576)},

      {"workload.context_tokens", "tokens", "Context length: prompt tokens prefilled before decoding.",
       integer(p.workload.context_tokens, 1, kMaxTokens)},
      {"workload.batch", "sequences", "Sequences decoded together.", integer(p.workload.batch, 1, 1024)},
      {"workload.decode_steps", "tokens", "Tokens generated per sequence after the prefill.",
       integer(p.workload.decode_steps, 0, 1 << 20)},
      {"workload.seed", "", "Seed of the synthetic KV data and of k-means initialisation (functional mode).",
       integer(p.workload.seed, 0, std::numeric_limits<int32_t>::max())},
      {"workload.source", "",
       "Where functional mode's K, V and queries come from: the synthetic generator, or a llama2.c model's fp32 forward "
       "pass over workload.text_file (model.* must equal the checkpoint's shape; model.preset=stories260k does).",
       choice(p.workload.source, kWorkloadSourceNames)},
      {"workload.model_file", "", "llama2.c checkpoint of workload.source=llama2c.", file_path(p.workload.model_file)},
      {"workload.tokenizer_file", "", "Its tokenizer (tokenizer.bin format).", file_path(p.workload.tokenizer_file)},
      {"workload.text_file", "",
       "Text teacher-forced through the model: sequence b reads its b-th run of context + decode tokens after BOS.",
       file_path(p.workload.text_file)},

      {"pq.sub_vectors", "", "m: sub-vectors each KV head vector is split into (sub-vector width = head_dim / m).",
       integer(p.pq.sub_vectors, 1, 1024)},
      {"pq.centroids", "", "K: centroids per sub-space codebook; codes take ceil(log2 K) bits.",
       integer(p.pq.centroids, 2, 4096)},
      {"pq.sink_tokens", "tokens", "First tokens kept in fp16 (attention sinks).", integer(p.pq.sink_tokens, 0, 4096)},
      {"pq.recent_tokens", "tokens", "Most recent tokens kept in fp16 before they are quantized.",
       integer(p.pq.recent_tokens, 0, 65536)},
      {"pq.kmeans_iterations", "", "In-memory k-means iterations during prefill.",
       integer(p.pq.kmeans_iterations, 1, 100)},
      {"pq.importance_weighting", "", "Weight k-means updates by the attention the last prefill queries paid each token.",
       Flag{&p.pq.importance_weighting}},
      {"pq.importance_queries", "queries", "t: last prefill queries whose attention probabilities weight k-means.",
       integer(p.pq.importance_queries, 1, 4096)},
      {"pq.channel_presort", "", "Permute channels offline so similar channels share a sub-vector.",
       Flag{&p.pq.channel_presort}},
      {"pq.windowed_clustering", "", "Page-aware windowed clustering: pq.centroids in windows of at most pq.window_centroids (one DRAM row of products), each window's codebook starting from the previous one's (pim.mapping=subvector).",
       Flag{&p.pq.windowed_clustering}},
      {"pq.window_centroids", "", "K_row: most centroids one DRAM row window holds (1 KB row / 2-byte products = 512).",
       integer(p.pq.window_centroids, 2, 4096)},
      {"pq.value_path", "", "How PIM aggregates values: per-centroid softmax histogram x codebook, or reconstruct V from the codebook then weight; auto: what the mapping's hardware does (token: histogram; subvector: reconstruct by lookups with pim.codebook_store=dram, histogram with sram).",
       choice(p.pq.value_path, kValuePathSettingNames)},

      {"hbm.stacks", "", "HBM stacks attached to the GPU.", integer(p.hbm.stacks, 1, 16)},
      {"hbm.pim_stacks", "", "Of those, stacks replaced by HBM-PIM.", integer(p.hbm.pim_stacks, 0, 16)},
      {"hbm.channels_per_stack", "", "Independent channels per stack.", integer(p.hbm.channels_per_stack, 1, 64)},
      {"hbm.pseudo_channels", "", "Pseudo-channels per channel.", integer(p.hbm.pseudo_channels, 1, 4)},
      {"hbm.preset", "", "Standard speed bin applied before any other hbm.* value: organisation, data rate, clock and timings (docs/models-hbm.md, Standard presets cites the sources); none keeps the platform's HBM3 6400 bin.",
       choice(p.hbm.preset, models::kHbmPresetNames)},
      {"hbm.bank_groups", "", "Bank groups per pseudo-channel.", integer(p.hbm.channel.bank_groups, 1, 16)},
      {"hbm.banks_per_group", "", "Banks per bank group.", integer(p.hbm.channel.banks_per_group, 1, 16)},
      {"hbm.rows_per_bank", "", "Rows per bank.", integer(p.hbm.channel.rows_per_bank, 1, 1 << 24)},
      {"hbm.row_bytes", "bytes", "Row (page) size of one bank.", integer(p.hbm.channel.row_bytes, 64, 65536)},
      {"hbm.data_width_bits", "bits", "Data bus width of one pseudo-channel.", integer(p.hbm.channel.data_width_bits, 8, 1024)},
      {"hbm.burst_length", "beats", "Beats per burst.", integer(p.hbm.channel.burst_length, 1, 64)},
      {"hbm.data_rate_gbps", "Gbit/s/pin", "Data rate per pin.", real(p.hbm.channel.data_rate_gbps, 0.1, 64.0)},
      {"hbm.page_policy", "", "Row buffer policy: keep rows open after access, or precharge immediately.",
       choice(p.hbm.channel.page_policy, models::kHbmPagePolicyNames)},
      {"hbm.address_mapping", "", "Physical address bit order, most significant field first (Ro row, Ba bank, Bg bank group, Co column, Ch channel).",
       choice(p.hbm.channel.address_mapping, hwif::kHbmAddressMappingNames)},
      {"hbm.scheduler", "", "Host request order: in_order serves requests in call order (every command kind in order); bank_parallel keeps per-bank queues, so a request whose bank is ready goes ahead of one waiting on another bank (docs/models-hbm.md, Scheduling).",
       choice(p.hbm.channel.scheduler, models::kHbmSchedulerNames)},
      {"hbm.queue_depth", "runs", "Bank-parallel only: requests (runs to one row) each bank's queue holds; a full queue holds up every later request.",
       integer(p.hbm.channel.queue_depth, 1, 1024)},
      {"hbm.address_bits", "", "A mapping as a bit list, replacing hbm.address_mapping when not empty: one letter per address bit above the byte in an access, most significant first (R row, B bank, G bank group, C column), e.g. GGBBRRRRRRRRRRRRRRRCCCCC for bank bits above the row.",
       Text{[&p] { return p.hbm.channel.address_bits; },
            [&p](const std::string& bits) { p.hbm.channel.address_bits = bits; },
            "empty, or one R/B/G/C letter per address bit (counts fixed by the geometry)", true}},
      {"hbm.timing.tck_ns", "ns", "Command clock period.", nanoseconds(p.hbm.channel.tCK, 0.1, 10.0)},
      {"hbm.timing.nCL", "tCK", "Read latency (CAS).", integer(t.nCL, 1, 1000)},
      {"hbm.timing.nRCDRD", "tCK", "Activate to read.", integer(t.nRCDRD, 1, 1000)},
      {"hbm.timing.nRCDWR", "tCK", "Activate to write.", integer(t.nRCDWR, 1, 1000)},
      {"hbm.timing.nRP", "tCK", "Precharge period.", integer(t.nRP, 1, 1000)},
      {"hbm.timing.nRAS", "tCK", "Activate to precharge, minimum.", integer(t.nRAS, 1, 1000)},
      {"hbm.timing.nRC", "tCK", "Activate to activate, same bank.", integer(t.nRC, 1, 2000)},
      {"hbm.timing.nWR", "tCK", "Write recovery before precharge.", integer(t.nWR, 1, 1000)},
      {"hbm.timing.nCCDS", "tCK", "Column to column, different bank group.", integer(t.nCCDS, 1, 100)},
      {"hbm.timing.nCCDL", "tCK", "Column to column, same bank group.", integer(t.nCCDL, 1, 100)},
      {"hbm.timing.nRRDS", "tCK", "Activate to activate, different bank group.", integer(t.nRRDS, 1, 100)},
      {"hbm.timing.nRRDL", "tCK", "Activate to activate, same bank group.", integer(t.nRRDL, 1, 100)},
      {"hbm.timing.nFAW", "tCK", "Window holding at most four activates.", integer(t.nFAW, 1, 1000)},
      {"hbm.timing.nRFC", "tCK", "Refresh cycle time.", integer(t.nRFC, 1, 10000)},
      {"hbm.timing.nREFI", "tCK", "Average refresh interval.", integer(t.nREFI, 1, 1000000)},
      {"hbm.timing.nRTP", "tCK", "Read to precharge.", integer(t.nRTP, 1, 1000)},
      {"hbm.timing.nCWL", "tCK", "Write latency: write command to its first data beat.", integer(t.nCWL, 1, 1000)},
      {"hbm.timing.nWTRS", "tCK", "Write to read turnaround, different bank group: the read waits nCWL + burst + nWTRS after the write (0: the data bus only).",
       integer(t.nWTRS, 0, 1000)},
      {"hbm.timing.nWTRL", "tCK", "Write to read turnaround, same bank group (as nWTRS).", integer(t.nWTRL, 0, 1000)},
      {"hbm.timing.nRTW", "tCK", "Read to write turnaround: read command to the next write command (0: the data bus only).",
       integer(t.nRTW, 0, 1000)},

      {"pim.mapping", "", "How AQPIM places a head's KV cache: subvector (the paper's: a head per pseudo-channel, each sub-vector in its own bank with its own codebook) or token (tokens dealt over the banks, a full codebook per processing unit).",
       choice(p.pim.mapping, kPimMappingNames)},
      {"pim.codebook_store", "", "Where the subvector mapping keeps codebooks and inner-product tables: dram (rows of the banks, lookups by intra-row indirection, the paper's) or sram (the processing unit's codebook and LUT SRAMs).",
       choice(p.pim.codebook_store, kCodebookStoreNames)},
      {"pim.gqa_one_pass", "", "Subvector mapping: one pass over a KV head's codes scores (and weighs values for) its whole query group; false: one pass per query head.",
       Flag{&p.pim.gqa_one_pass}},
      {"pim.buffer_assignment", "", "Subvector mapping: the k-means assignment (MIN over K distances) runs on the buffer-die unit, distances crossing the link (the paper's Table I); false: on the bank units.",
       Flag{&p.pim.buffer_assignment}},
      {"pim.coalesced_lookups", "", "Subvector mapping with pim.codebook_store=dram, a what-if beyond the paper: each table row serves a register-file load of indices in one sweep of its columns (each column read at most once) instead of one column access per index.",
       Flag{&p.pim.coalesced_lookups}},
      {"pim.placement", "", "Where processing units sit: one per bank or one per bank group.",
       choice(p.pim.unit.placement, models::kPimPlacementNames)},
      {"pim.macs_per_unit", "MACs/tCK", "FP16 multiply-accumulate lanes per processing unit.",
       integer(p.pim.unit.macs_per_unit, 1, 1024)},
      {"pim.codebook_sram_kib", "KiB", "Codebook SRAM per processing unit.", kibibytes(p.pim.unit.codebook_sram_bytes, 1, 65536)},
      {"pim.lut_sram_kib", "KiB", "Score lookup-table SRAM per processing unit.", kibibytes(p.pim.unit.lut_sram_bytes, 1, 65536)},
      {"pim.accumulator_entries", "", "fp32 accumulators per processing unit: value histograms (m x K) and k-means sums (m x K x (sub_dim + 1)).",
       integer(p.pim.unit.histogram_entries, 1, 1 << 24)},
      {"pim.buffer_accumulator_entries", "", "fp32 accumulators of the buffer-die unit (reduction of k-means sums).",
       integer(p.pim.unit.buffer_accumulator_entries, 1, 1 << 24)},
      {"pim.io_buffer_kib", "KiB", "Buffer-die IO buffer per pseudo-channel (queries in, partial results out).",
       kibibytes(p.pim.unit.io_buffer_bytes, 1, 65536)},
      {"pim.buffer_macs", "MACs/tCK", "Multiply-accumulate lanes of the buffer-die unit of each pseudo-channel.",
       integer(p.pim.unit.buffer_macs, 1, 4096)},
      {"pim.grf_entries", "lanes", "16-bit lanes of a processing unit's register file: the code indices (and fp32 weights, two lanes each) one intra-row indirection chunk holds (HBM-PIM: 16 x 256-bit registers = 256).",
       integer(p.pim.unit.grf_entries, 1, 1 << 20)},

      {"gpu.peak_tflops", "TFLOP/s", "Dense fp16 peak of the host GPU (H100 SXM: 989).",
       real(p.gpu.peak_tflops, 0.1, 100000.0)},
      {"gpu.hbm_bandwidth_gbps", "GB/s", "GPU memory bandwidth for weights (H100 SXM: 3350).",
       real(p.gpu.hbm_bandwidth_gbps, 1.0, 100000.0)},
      {"gpu.compute_efficiency", "", "Fraction of peak FLOP/s dense kernels reach (1 = ideal roofline).",
       real(p.gpu.compute_efficiency, 0.01, 1.0)},
      {"gpu.memory_efficiency", "", "Fraction of peak bandwidth dense kernels reach (1 = ideal roofline).",
       real(p.gpu.memory_efficiency, 0.01, 1.0)},

      {"pcie.bandwidth_gbps", "GB/s", "GPU<->CPU link bandwidth per direction (PCIe 5.0 x16: 64).",
       real(p.pcie.bandwidth_gbps, 0.1, 10000.0)},
      {"pcie.latency_ns", "ns", "Fixed cost of one DMA transfer over the link.", real(p.pcie.latency_ns, 0.0, 1e7)},
      {"cpu.memory_bandwidth_gbps", "GB/s", "Host CPU DRAM bandwidth for offloaded KV.",
       real(p.cpu.memory_bandwidth_gbps, 0.1, 100000.0)},
      {"cpu.memory_latency_ns", "ns", "Host CPU DRAM access latency (overlaps the link's own streaming).",
       real(p.cpu.memory_latency_ns, 0.0, 1e6)},
      {"cpu.memory_capacity_gib", "GiB", "Host CPU DRAM capacity for offloaded KV.",
       integer(p.cpu.memory_capacity_gib, 1, 1 << 20)},

      {"sim.design", "", "The system simulated: aqpim (PQ KV cache in HBM-PIM); attacc (AttAcc-like PIM on an fp16 KV cache, overflow to CPU memory); gpu_offload (GPU only, fp16 KV overflowing its HBM to CPU memory over PCIe; every hbm.stacks is plain HBM).",
       choice(p.sim.design, kDesignNames)},
      {"sim.mode", "", "functional: real data through the platform (small models); timing: sizes only, same timing.",
       choice(p.sim.mode, kSimModeNames)},
      {"sim.quantum_ns", "ns", "Temporal-decoupling quantum of the initiators.", real(p.sim.quantum_ns, 1.0, 1e9)},
      {"sim.decode_micro_batches", "groups", "Decode pipelining (aqpim, pim.mapping=subvector): the batch's sequences in this many groups, the GPU's dense work of one group overlapping PIM's attention of another, each group reading the weights again; 1: the whole batch at once; workload.batch: sequence by sequence, as the paper pipelines.",
       integer(p.sim.decode_micro_batches, 1, 1024)},
  };
  add_energy_and_area_parameters(table, p);
  return table;
}

}  // namespace aqpim::platform
