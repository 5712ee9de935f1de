#include "platform/platform_summary.h"

#include <cstdio>
#include <sstream>

namespace aqpim::platform {

PlatformSummary summarize(const PlatformParams& p) {
  PlatformSummary s;
  s.params = p;
  const auto& h = p.hbm;
  const auto& channel = h.channel;
  s.banks_per_pseudo_channel = channel.bank_groups * channel.banks_per_group;
  s.pseudo_channels_total = h.stacks * h.channels_per_stack * h.pseudo_channels;
  s.pim_pseudo_channels = h.pim_stacks * h.channels_per_stack * h.pseudo_channels;
  const int64_t units_per_pc = p.pim.unit.placement == models::PimPlacement::bank ? s.banks_per_pseudo_channel
                                                                               : channel.bank_groups;
  s.pim_units = s.pim_pseudo_channels * units_per_pc;
  s.buffer_units = s.pim_pseudo_channels;
  s.pseudo_channel_bytes = double(s.banks_per_pseudo_channel) * double(channel.rows_per_bank) * double(channel.row_bytes);
  s.pim_capacity_bytes = s.pseudo_channel_bytes * double(s.pim_pseudo_channels);
  s.pseudo_channel_peak_gbps = double(channel.data_width_bits) * channel.data_rate_gbps / 8.0;
  const double tokens = double(p.workload.context_tokens + p.workload.decode_steps);
  s.kv_fp16_bytes = 2.0 /*K and V*/ * 2.0 /*fp16*/ * tokens * double(p.model.head_dim) * double(p.model.kv_heads) *
                    double(p.model.layers) * double(p.workload.batch);
  return s;
}

namespace {
std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GiB", bytes / double(1ull << 30));
  return text;
}
}  // namespace

std::string format_summary(const PlatformSummary& s) {
  const auto& p = s.params;
  std::ostringstream out;
  out << "AQPIM platform\n"
      << "  model      " << p.model.preset << ": " << p.model.layers << " layers, " << p.model.heads << " heads / "
      << p.model.kv_heads << " KV heads x " << p.model.head_dim << "\n"
      << "  workload   batch " << p.workload.batch << ", context " << p.workload.context_tokens << " tokens, "
      << p.workload.decode_steps << " decode steps, " << to_string(p.sim.mode) << " mode\n"
      << "  memory     " << p.hbm.stacks << " HBM3 stacks (" << p.hbm.pim_stacks << " HBM-PIM), "
      << s.pseudo_channels_total << " pseudo-channels of " << gib(s.pseudo_channel_bytes) << ", "
      << s.pseudo_channel_peak_gbps << " GB/s each\n"
      << "  PIM        " << s.pim_units << " " << core::enum_name(models::kPimPlacementNames, p.pim.unit.placement) << " units + " << s.buffer_units
      << " buffer-die units, PIM capacity " << gib(s.pim_capacity_bytes) << "\n"
      << "  PQ         m=" << p.pq.sub_vectors << " x " << p.model.head_dim / p.pq.sub_vectors << " dims, K="
      << p.pq.centroids << ", " << p.pq.sink_tokens << " sink + " << p.pq.recent_tokens << " recent fp16 tokens, "
      << p.pq.kmeans_iterations << " k-means iterations\n"
      << "  KV (fp16)  " << gib(s.kv_fp16_bytes) << (s.kv_fp16_bytes > s.pim_capacity_bytes ? " (exceeds" : " (fits")
      << " PIM capacity)\n";
  return out.str();
}

nlohmann::json summary_json(const PlatformSummary& s) {
  return {{"parameters", to_json(s.params)},
          {"derived",
           {{"pseudo_channels_total", s.pseudo_channels_total},
            {"pim_pseudo_channels", s.pim_pseudo_channels},
            {"pim_units", s.pim_units},
            {"buffer_units", s.buffer_units},
            {"pseudo_channel_bytes", s.pseudo_channel_bytes},
            {"pim_capacity_bytes", s.pim_capacity_bytes},
            {"pseudo_channel_peak_gbps", s.pseudo_channel_peak_gbps},
            {"kv_fp16_bytes", s.kv_fp16_bytes}}}};
}

}  // namespace aqpim::platform
