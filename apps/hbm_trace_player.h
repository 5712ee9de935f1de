// Replays a memory trace (hbm_trace_format.h) against one HBM pseudo-channel or a stack of them
// (hbm_stack_layout.h), each timed by its own HbmTimingEngine, and sums up what other DRAM simulators
// report: bandwidth, the latency distribution, the row-hit rate and the share of time lost to refresh.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/hbm_stack_layout.h"
#include "apps/hbm_trace_format.h"
#include "models/hbm3_pseudo_channel.h"

namespace aqpim::apps {

struct TraceSummary {
  unsigned channels = 0;
  std::string scheduler;
  uint64_t requests = 0, reads = 0, writes = 0, bytes = 0;
  uint64_t first_arrival_ps = 0, last_completion_ps = 0;
  double bandwidth_gbps = 0;  // bytes / (last completion - first arrival)
  double latency_min_ns = 0, latency_mean_ns = 0, latency_p99_ns = 0, latency_max_ns = 0;
  double row_hit_rate = 0;   // of host column accesses, all channels
  double refresh_share = 0;  // of [first arrival, last completion) inside refresh windows
};

class TracePlayer {
 public:
  // Throws std::invalid_argument for a channel configuration the engines refuse.
  TracePlayer(const models::Hbm3PseudoChannelConfig& channel, const StackLayout& layout);
  ~TracePlayer();

  // Times one request (split where it crosses from one channel into another). Throws TraceError when it
  // runs past the device.
  void play(const TraceRequest& request);
  TraceSummary summary() const;

 private:
  models::HbmTimingConfig config_;
  StackLayout layout_;
  std::vector<std::unique_ptr<models::HbmTimingEngine>> engines_;
  std::vector<uint64_t> latencies_ps_;
  TraceSummary totals_;
};

nlohmann::json to_json(const TraceSummary& summary);
std::string format_summary(const TraceSummary& summary);

}  // namespace aqpim::apps
