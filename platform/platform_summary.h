// Derived figures of a parameter set that need no simulation: unit counts, capacities and the KV cache
// footprint the workload asks for. The simulated report (issue: platform and firmware) builds on these.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/params.h"

namespace aqpim::platform {

struct PlatformSummary {
  PlatformParams params;
  int64_t pseudo_channels_total = 0;  // over all stacks
  int64_t pim_pseudo_channels = 0;
  int64_t banks_per_pseudo_channel = 0;
  int64_t pim_units = 0;          // bank or bank-group units over all PIM stacks
  int64_t buffer_units = 0;       // one buffer-die unit per PIM pseudo-channel
  double pseudo_channel_bytes = 0;
  double pim_capacity_bytes = 0;
  double pseudo_channel_peak_gbps = 0;  // external bus, GB/s
  double kv_fp16_bytes = 0;             // whole batch, all layers, context + decoded tokens
};

PlatformSummary summarize(const PlatformParams& params);
std::string format_summary(const PlatformSummary& summary);
nlohmann::json summary_json(const PlatformSummary& summary);

}  // namespace aqpim::platform
