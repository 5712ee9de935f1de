// Cross-field rules of the parameters (divisibility, capacities, orderings). Single-field ranges are the
// table's (param_table.cpp) and are checked when a value is assigned.
#include <cmath>

#include "platform/params.h"

#include <algorithm>

namespace aqpim::platform {
namespace {

double tck_ns(const models::Hbm3PseudoChannelConfig& channel) {
  return channel.tCK / sc_core::sc_time(1, sc_core::SC_PS) / 1000.0;
}

template <class Require, class Value>
void validate_mapping(const PlatformParams& p, Require&& require, Value&& value) {
  const bool subvector = p.pim.mapping == PimMapping::subvector;
  require(!p.pq.windowed_clustering || subvector,
          "pq.windowed_clustering = true needs pim.mapping=subvector (the token mapping keeps one codebook per head)");
  if (subvector) {
    require(p.pim.unit.placement == models::PimPlacement::bank,
            "pim.mapping=subvector puts each sub-vector in a bank of its own: it needs pim.placement=bank");
    const int64_t table_bytes = p.pq.centroids_per_window() * 2;
    require(p.pim.codebook_store == firmware::CodebookStore::sram ||
                table_bytes <= int64_t(p.hbm.channel.row_bytes),
            "an inner-product table of pq.centroids per window x 2 bytes = " + std::to_string(table_bytes) +
                " bytes does not fit " + value("hbm.row_bytes", int64_t(p.hbm.channel.row_bytes)) +
                " with pim.codebook_store=dram: turn pq.windowed_clustering on with a smaller pq.window_centroids, or "
                "use pim.codebook_store=sram");
    require(!(p.pq.value_path == ValuePathSetting::reconstruct && p.pim.codebook_store == firmware::CodebookStore::sram),
            "pq.value_path=reconstruct looks values up in DRAM rows: it needs pim.codebook_store=dram");
  }
  const PimSramNeeds needs = pim_sram_needs(p);
  const auto& unit = p.pim.unit;
  require(needs.codebook_bytes <= int64_t(unit.codebook_sram_bytes),
          needs.codebook_what + " = " + std::to_string(needs.codebook_bytes) + " bytes) does not fit " +
              value("pim.codebook_sram_kib", int64_t(unit.codebook_sram_bytes / 1024)) + " KiB");
  require(needs.lut_bytes <= int64_t(unit.lut_sram_bytes),
          needs.lut_what + " = " + std::to_string(needs.lut_bytes) + " bytes) does not fit " +
              value("pim.lut_sram_kib", int64_t(unit.lut_sram_bytes / 1024)) + " KiB");
  require(needs.accumulator_entries <= int64_t(unit.histogram_entries),
          needs.accumulator_what + " = " + std::to_string(needs.accumulator_entries) + ") exceed " +
              value("pim.accumulator_entries", int64_t(unit.histogram_entries)));
  require(needs.buffer_accumulator_entries <= int64_t(unit.buffer_accumulator_entries),
          needs.buffer_accumulator_what + " = " + std::to_string(needs.buffer_accumulator_entries) + ") exceed " +
              value("pim.buffer_accumulator_entries", int64_t(unit.buffer_accumulator_entries)));
}

// The GPU-side baselines' own settings; checked only for the design that reads them.
template <class Require, class Value>
void validate_gpu_baselines(const PlatformParams& p, Require&& require, Value&& value) {
  if (p.sim.design == Design::pqcache) {
    // Tokens between the sink and recent ones at the last decode step: more could never be selected.
    const int64_t candidates =
        p.workload.context_tokens + p.workload.decode_steps - p.pq.sink_tokens - p.pq.recent_tokens;
    require(p.pqcache.resolved_top_k(p.workload.context_tokens) <= candidates,
            value("pqcache.top_k", p.pqcache.resolved_top_k(p.workload.context_tokens)) +
                " must be at most workload.context_tokens + workload.decode_steps - pq.sink_tokens - "
                "pq.recent_tokens (" + std::to_string(candidates) + ")");
  }
  if (p.sim.design == Design::snapkv)
    require(p.snapkv.window < p.snapkv.token_budget,
            value("snapkv.window", p.snapkv.window) + " must be below " + value("snapkv.token_budget", p.snapkv.token_budget));
  if (p.sim.design == Design::skvq) {
    require(p.skvq.bits == 2 || p.skvq.bits == 4, value("skvq.bits", p.skvq.bits) + " must be 2 or 4");
    require(p.model.head_dim % p.skvq.group_size == 0,
            value("skvq.group_size", p.skvq.group_size) + " must divide " + value("model.head_dim", p.model.head_dim));
  }
}

}  // namespace

PimSramNeeds pim_sram_needs(const PlatformParams& p) {
  const int64_t m = p.pq.sub_vectors, d = p.model.head_dim / m;
  PimSramNeeds needs;
  if (p.pim.mapping == PimMapping::token) {
    // Each PE keeps one head's codebook, LUT and k-means sums while it works on that head.
    const int64_t k = p.pq.centroids;
    needs.codebook_bytes = m * k * d * 2;
    needs.codebook_what = "one head's codebook (pq.sub_vectors x pq.centroids x sub_dim x 2 bytes";
    needs.lut_bytes = m * k * 4;
    needs.lut_what = "one query's LUT (pq.sub_vectors x pq.centroids x 4 bytes";
    needs.accumulator_entries = needs.buffer_accumulator_entries = m * k * (d + 1);
    needs.accumulator_what = needs.buffer_accumulator_what = "k-means sums (pq.sub_vectors x pq.centroids x (sub_dim + 1)";
    return needs;
  }
  // A PE holds its bank's sub-vectors of one head: codebooks and tables only with the SRAM store.
  const auto organised = p.hbm.organised_channel();
  const int64_t banks = int64_t(organised.bank_groups) * organised.banks_per_group;
  const int64_t per_bank = std::max<int64_t>(1, m / std::min(m, banks)), k = p.pq.centroids_per_window();
  const int64_t heads = p.pim.gqa_one_pass ? p.model.heads / p.model.kv_heads : 1;
  const bool sram = p.pim.codebook_store == firmware::CodebookStore::sram;
  needs.codebook_bytes = sram ? per_bank * k * d * 2 : 0;
  needs.codebook_what = "a bank's sub-vector codebooks (sub-vectors per bank x centroids per window x sub_dim x 2 bytes";
  needs.lut_bytes = sram ? heads * per_bank * k * 4 : 0;
  needs.lut_what = "a pass's LUTs (query heads x sub-vectors per bank x centroids per window x 4 bytes";
  needs.accumulator_entries = std::max(per_bank * k * (d + 1), heads * per_bank * (k + d));
  needs.accumulator_what =
      "a bank's k-means sums or value histograms and outputs (max(sub-vectors per bank x K x (sub_dim + 1), query heads "
      "x sub-vectors per bank x (K + sub_dim))";
  needs.buffer_accumulator_entries = 0;
  needs.buffer_accumulator_what = "buffer accumulators (unused";
  return needs;
}

void validate(const PlatformParams& p) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw ParamError(message);
  };
  auto value = [](const char* key, int64_t v) { return std::string("'") + key + "' (" + std::to_string(v) + ")"; };

  require(p.model.heads % p.model.kv_heads == 0,
          value("model.kv_heads", p.model.kv_heads) + " must divide " + value("model.heads", p.model.heads));
  require(p.model.head_dim % p.pq.sub_vectors == 0,
          value("pq.sub_vectors", p.pq.sub_vectors) + " must divide " + value("model.head_dim", p.model.head_dim));
  const int64_t sub_dim = p.model.head_dim / p.pq.sub_vectors;
  require(sub_dim >= 1 && sub_dim <= 16, "sub-vector width model.head_dim / pq.sub_vectors = " +
                                             std::to_string(sub_dim) + " must be in [1, 16]");
  require(p.pq.window_centroids >= p.pq.centroids || p.pq.windowed_clustering,
          value("pq.window_centroids", p.pq.window_centroids) + " is below " +
              value("pq.centroids", p.pq.centroids) + " but pq.windowed_clustering is off");
  require(p.hbm.pim_stacks <= p.hbm.stacks,
          value("hbm.pim_stacks", p.hbm.pim_stacks) + " must be at most " + value("hbm.stacks", p.hbm.stacks));
  const auto& channel = p.hbm.channel;
  const auto& t = channel.timing;
  require(t.nRC >= t.nRAS + t.nRP, value("hbm.timing.nRC", t.nRC) + " must be at least nRAS + nRP (" +
                                       std::to_string(t.nRAS + t.nRP) + ")");
  require(t.nCCDL >= t.nCCDS, value("hbm.timing.nCCDL", t.nCCDL) + " must be at least " +
                                  value("hbm.timing.nCCDS", t.nCCDS));
  require(t.nRRDL >= t.nRRDS, value("hbm.timing.nRRDL", t.nRRDL) + " must be at least " +
                                  value("hbm.timing.nRRDS", t.nRRDS));
  require(t.nWTRL >= t.nWTRS, value("hbm.timing.nWTRL", t.nWTRL) + " must be at least " +
                                  value("hbm.timing.nWTRS", t.nWTRS));
  require(t.nREFI > t.nRFC, value("hbm.timing.nREFI", t.nREFI) + " must exceed " + value("hbm.timing.nRFC", t.nRFC));
  // A burst must fit in the column-to-column gap, or back-to-back reads would overlap on the bus.
  const double burst_tck = double(channel.burst_length) / (channel.data_rate_gbps * tck_ns(channel));
  require(burst_tck <= double(t.nCCDS) + 1e-9,
          "a burst of hbm.burst_length / (hbm.data_rate_gbps x hbm.timing.tck_ns) = " + format_real(burst_tck) +
              " tCK does not fit in " + value("hbm.timing.nCCDS", t.nCCDS));
  if (channel.scheduler == models::HbmScheduler::BankParallel)
    require(std::fabs(burst_tck - std::round(burst_tck)) < 1e-9,
            "hbm.scheduler = bank_parallel books whole command clock cycles, but a burst lasts " + format_real(burst_tck) +
                " tCK (hbm.burst_length / (hbm.data_rate_gbps x hbm.timing.tck_ns))");
  require(int64_t(channel.rows_per_bank) % p.hbm.stack_ids == 0,
          value("hbm.rows_per_bank", int64_t(channel.rows_per_bank)) + " must be a multiple of " +
              value("hbm.stack_ids", p.hbm.stack_ids) + " (each stack ID holds its share of the rows)");
  require(int64_t(channel.bank_groups) * channel.banks_per_group * p.hbm.stack_ids <= 64,
          "hbm.bank_groups x hbm.banks_per_group x hbm.stack_ids = " +
              std::to_string(int64_t(channel.bank_groups) * channel.banks_per_group * p.hbm.stack_ids) +
              " banks per pseudo-channel must be at most 64 (a 64-bit bank mask)");
  if (!channel.address_bits.empty()) {
    const auto organised = p.hbm.organised_channel();
    hwif::HbmGeometry geometry;
    geometry.bank_groups = organised.bank_groups;
    geometry.banks_per_group = organised.banks_per_group;
    geometry.rows_per_bank = organised.rows_per_bank;
    geometry.row_bytes = channel.row_bytes;
    geometry.access_bytes = channel.access_bytes();
    try {
      hwif::HbmAddressMap(channel.address_mapping, geometry, channel.address_bits);
    } catch (const std::invalid_argument& error) {
      throw ParamError(std::string("hbm.address_bits: ") + error.what());
    }
  }
  const int64_t access_bytes = int64_t(channel.access_bytes());
  require(int64_t(channel.row_bytes) % access_bytes == 0,
          value("hbm.row_bytes", int64_t(channel.row_bytes)) + " must be a multiple of one burst (" +
              std::to_string(access_bytes) + " bytes = data_width_bits x burst_length / 8)");
  validate_mapping(p, require, value);
  validate_gpu_baselines(p, require, value);
  if (p.sim.design == Design::attacc) {
    // A decode pass keeps a GQA group's queries, every PE's softmax partials and fp32 outputs in the IO buffer.
    const auto organised = p.hbm.organised_channel();
    const int64_t pes = int64_t(organised.bank_groups) *
                        (p.pim.unit.placement == models::PimPlacement::bank ? organised.banks_per_group : 1);
    const int64_t group = p.model.heads / p.model.kv_heads;
    const int64_t io_bytes = group * p.model.head_dim * 4 * (1 + pes) + group * pes * 8;
    require(io_bytes <= int64_t(p.pim.unit.io_buffer_bytes),
            "sim.design=attacc keeps a GQA group's queries, softmax partials and per-PE outputs (" +
                std::to_string(io_bytes) + " bytes) in the IO buffer: raise " +
                value("pim.io_buffer_kib", int64_t(p.pim.unit.io_buffer_bytes / 1024)) + " to at least " +
                std::to_string((io_bytes + 1023) / 1024));
  }
  require(p.sim.decode_micro_batches <= p.workload.batch,
          value("sim.decode_micro_batches", p.sim.decode_micro_batches) + " must be at most " +
              value("workload.batch", p.workload.batch));
  require(p.sim.decode_micro_batches == 1 ||
              (p.sim.design == Design::aqpim && p.pim.mapping == PimMapping::subvector),
          "sim.decode_micro_batches > 1 (decode pipelining) needs sim.design=aqpim with pim.mapping=subvector");
  if (p.pq.importance_weighting)
    require(p.pq.importance_queries <= p.workload.context_tokens,
            value("pq.importance_queries", p.pq.importance_queries) + " exceeds " +
                value("workload.context_tokens", p.workload.context_tokens));
}


}  // namespace aqpim::platform
