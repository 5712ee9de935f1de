#include "apps/hbm_trace_player.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "models/hbm_timing.h"

namespace aqpim::apps {
namespace {

// Time of [from, to) inside all-bank refresh windows [k x tREFI, k x tREFI + tRFC), k >= 1.
uint64_t refresh_overlap(const models::HbmTimingConfig& config, uint64_t from, uint64_t to) {
  if (!config.refresh || to <= from) return 0;
  const uint64_t refi = uint64_t(config.cycles.nREFI) * config.tck_ps, rfc = uint64_t(config.cycles.nRFC) * config.tck_ps;
  uint64_t overlap = 0;
  for (uint64_t k = std::max<uint64_t>(1, from / refi); k * refi < to; ++k) {
    const uint64_t start = std::max(from, k * refi), end = std::min(to, k * refi + rfc);
    if (end > start) overlap += end - start;
  }
  return overlap;
}

}  // namespace

TracePlayer::TracePlayer(const models::Hbm3PseudoChannelConfig& channel, const StackLayout& layout)
    : layout_(layout) {
  models::Hbm3PseudoChannelConfig own = channel;
  if (!layout.address_bits().empty()) own.address_bits = layout.address_bits();
  config_ = own.timing_config();
  if (config_.geometry.capacity_bytes() != layout.capacity() / layout.channels())
    throw std::invalid_argument("the address mapping covers " + std::to_string(layout.capacity() / layout.channels()) +
                                " bytes per pseudo-channel, the channel has " +
                                std::to_string(config_.geometry.capacity_bytes()));
  for (unsigned i = 0; i < layout.channels(); ++i) engines_.push_back(std::make_unique<models::HbmTimingEngine>(config_));
  totals_.channels = layout.channels();
  totals_.scheduler = std::string(core::enum_name(models::kHbmSchedulerNames, config_.scheduler));
}

TracePlayer::~TracePlayer() = default;

void TracePlayer::play(const TraceRequest& request) {
  const uint64_t capacity = layout_.capacity();
  if (request.address >= capacity || request.bytes > capacity - request.address) {
    char message[160];
    std::snprintf(message, sizeof message, "address 0x%" PRIx64 " + %" PRIu64 " bytes runs past the device's %" PRIu64
                  " bytes", request.address, request.bytes, capacity);
    throw TraceError(request.line, message);
  }
  uint64_t completion = request.arrival_ps;
  for (uint64_t done = 0; done < request.bytes;) {
    const uint64_t address = request.address + done;
    const uint64_t piece = std::min(request.bytes - done, layout_.contiguous_bytes(address));
    models::HbmTimingEngine& engine = *engines_[layout_.channel_of(address)];
    completion = std::max(completion, engine.access(request.arrival_ps, layout_.local_address(address), piece,
                                                    request.is_write));
    done += piece;
  }
  if (totals_.requests == 0 || request.arrival_ps < totals_.first_arrival_ps) totals_.first_arrival_ps = request.arrival_ps;
  totals_.last_completion_ps = std::max(totals_.last_completion_ps, completion);
  ++totals_.requests;
  ++(request.is_write ? totals_.writes : totals_.reads);
  totals_.bytes += request.bytes;
  latencies_ps_.push_back(completion - request.arrival_ps);
}

TraceSummary TracePlayer::summary() const {
  TraceSummary summary = totals_;
  if (summary.requests == 0) return summary;
  const double span_ps = double(summary.last_completion_ps - summary.first_arrival_ps);
  summary.bandwidth_gbps = span_ps > 0 ? double(summary.bytes) / span_ps * 1000 : 0;
  std::vector<uint64_t> sorted = latencies_ps_;
  const size_t p99 = (sorted.size() * 99 + 99) / 100 - 1;  // the smallest latency at or above 99% of them
  std::nth_element(sorted.begin(), sorted.begin() + ptrdiff_t(p99), sorted.end());
  summary.latency_p99_ns = double(sorted[p99]) / 1000;
  summary.latency_min_ns = double(*std::min_element(sorted.begin(), sorted.end())) / 1000;
  summary.latency_max_ns = double(*std::max_element(sorted.begin(), sorted.end())) / 1000;
  double total = 0;
  for (uint64_t latency : sorted) total += double(latency);
  summary.latency_mean_ns = total / double(sorted.size()) / 1000;
  models::HbmBankStats banks;
  for (const auto& engine : engines_) banks += engine->stats().total();
  summary.row_hit_rate = banks.row_hit_rate();
  summary.refresh_share =
      span_ps > 0 ? double(refresh_overlap(config_, summary.first_arrival_ps, summary.last_completion_ps)) / span_ps : 0;
  return summary;
}

nlohmann::json to_json(const TraceSummary& s) {
  return {{"pseudo_channels", s.channels},
          {"scheduler", s.scheduler},
          {"requests", s.requests},
          {"reads", s.reads},
          {"writes", s.writes},
          {"bytes", s.bytes},
          {"first_arrival_ns", double(s.first_arrival_ps) / 1000},
          {"last_completion_ns", double(s.last_completion_ps) / 1000},
          {"bandwidth_gbps", s.bandwidth_gbps},
          {"latency_ns", {{"min", s.latency_min_ns}, {"mean", s.latency_mean_ns}, {"p99", s.latency_p99_ns},
                          {"max", s.latency_max_ns}}},
          {"row_hit_rate", s.row_hit_rate},
          {"refresh_share", s.refresh_share}};
}

std::string format_summary(const TraceSummary& s) {
  char text[1024];
  std::snprintf(text, sizeof text,
                "HBM trace: %" PRIu64 " requests (%" PRIu64 " reads, %" PRIu64 " writes), %" PRIu64
                " bytes, %u pseudo-channel(s), %s scheduling\n"
                "  time            %.3f ns to %.3f ns\n"
                "  bandwidth       %.3f GB/s\n"
                "  latency         min %.3f ns, mean %.3f ns, p99 %.3f ns, max %.3f ns\n"
                "  row-hit rate    %.4f\n"
                "  refresh share   %.4f\n",
                s.requests, s.reads, s.writes, s.bytes, s.channels, s.scheduler.c_str(), double(s.first_arrival_ps) / 1000,
                double(s.last_completion_ps) / 1000, s.bandwidth_gbps, s.latency_min_ns, s.latency_mean_ns,
                s.latency_p99_ns, s.latency_max_ns, s.row_hit_rate, s.refresh_share);
  return text;
}

}  // namespace aqpim::apps
