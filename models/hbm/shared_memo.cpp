#include "models/hbm/shared_memo.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "models/hbm/word_hash.h"

namespace aqpim::models {

HbmTimingMemo::HbmTimingMemo(size_t slots)
    : slots_((std::max<size_t>(slots, kWays) + kWays - 1) / kWays * kWays), next_way_(slots_.size() / kWays, 0) {}

uint64_t HbmTimingMemo::State::hash_content() const {
  hbm::WordHash hash;
  for (int64_t word : words) hash.mix(uint64_t(word));
  for (const HbmBankStats& bank : totals.banks) {
#pragma GCC unroll 16
    for (uint64_t HbmBankStats::*counter : hbm::kBankCounters) hash.mix(bank.*counter);
  }
  for (uint64_t counter : {totals.host_requests, totals.pim_requests, totals.bus_busy_ps, stream_acts})
    hash.mix(counter);
  return hash.hash;
}

bool HbmTimingMemo::State::same_content(const State& other) const {
  if (words != other.words || stream_acts != other.stream_acts ||
      totals.host_requests != other.totals.host_requests || totals.pim_requests != other.totals.pim_requests ||
      totals.bus_busy_ps != other.totals.bus_busy_ps || totals.banks.size() != other.totals.banks.size())
    return false;
  // HbmBankStats is uint64_t counters without padding (timing_stats.h asserts it).
  return std::memcmp(totals.banks.data(), other.totals.banks.data(), totals.banks.size() * sizeof(HbmBankStats)) == 0;
}

namespace hbm {
namespace {

std::vector<int64_t> config_words(const HbmTimingConfig& c) {
  const hwif::HbmGeometry& g = c.geometry;
  const HbmTimingCycles& t = c.cycles;
  std::vector<int64_t> words = {g.bank_groups, g.banks_per_group, int64_t(g.rows_per_bank), int64_t(g.row_bytes), int64_t(g.access_bytes),
          int64_t(c.mapping), int64_t(c.page_policy), int64_t(c.tck_ps), int64_t(c.burst_ps), c.refresh,
          int64_t(c.scheduler), c.queue_depth,
          t.nCL, t.nRCDRD, t.nRCDWR, t.nRP, t.nRAS, t.nRC, t.nWR, t.nCCDS, t.nCCDL, t.nRRDS, t.nRRDL, t.nFAW,
          t.nRFC, t.nREFI, t.nRTP, t.nCWL, t.nWTRS, t.nWTRL, t.nRTW};
  words.insert(words.end(), c.address_bits.begin(), c.address_bits.end());
  return words;
}

}  // namespace

void SharedMemoCursor::join(Channel& channel, std::shared_ptr<HbmTimingMemo> memo, bool pristine) {
  catch_up(channel);
  if (memo) {
    const std::vector<int64_t> mine = config_words(channel.config);
    if (memo->config_words_.empty()) {
      memo->config_words_ = mine;
      auto initial = std::make_shared<HbmTimingMemo::State>();
      channel.state.save_words(initial->words);
      initial->totals.banks.resize(channel.stats.banks.size());
      memo->initial_ = std::move(initial);
    } else if (memo->config_words_ != mine) {
      throw std::invalid_argument("HbmTimingMemo is shared by channels with different timing configurations");
    }
  }
  memo_ = std::move(memo);
  // Only a new engine is in the memo's initial state (its counters are all zero, as the state's are).
  at_ = fields_ = memo_ && pristine ? memo_->initial_ : nullptr;
}

void SharedMemoCursor::leave(Channel& channel) {
  catch_up(channel);
  at_.reset();
  fields_.reset();
}

void SharedMemoCursor::catch_up(Channel& channel) {
  if (fields_ == at_) return;
  channel.state.load_words(at_->words);
  add_difference(channel.stats, at_->totals, fields_->totals);
  channel.state.stream_acts += at_->stream_acts - fields_->stream_acts;
  fields_ = at_;
}

SharedMemoCursor::Recording SharedMemoCursor::start_recording(Channel& channel, uint64_t parent, size_t set) {
  catch_up(channel);
  Recording recording;
  recording.state = std::make_shared<HbmTimingMemo::State>();
  // Totals from the initial state: the parent's, plus what this request adds.
  recording.state->totals = at_->totals;
  recording.state->stream_acts = at_->stream_acts;
  recording.stats_before = channel.stats;
  recording.stream_acts_before = channel.state.stream_acts;
  recording.parent = parent;
  recording.set = set;
  return recording;
}

void SharedMemoCursor::finish_recording(const Channel& channel, const HbmTimingMemo::Request& request,
                                        uint64_t completion, Recording& recording) {
  HbmTimingMemo& memo = *memo_;
  std::shared_ptr<HbmTimingMemo::State>& state = recording.state;
  add_difference(state->totals, channel.stats, recording.stats_before);
  state->stream_acts += channel.state.stream_acts - recording.stream_acts_before;
  channel.state.save_words(state->words);
  state->content_hash = state->hash_content();

  std::shared_ptr<const HbmTimingMemo::State> reached;
  const auto known = memo.by_content_.find(state->content_hash);
  if (known != memo.by_content_.end()) {
    reached = known->second.lock();
    if (reached && !reached->same_content(*state)) reached.reset();
  }
  if (!reached) {
    state->id = memo.next_id_++;
    if (memo.by_content_.size() >= 4 * memo.slots_.size()) memo.by_content_.clear();  // only recent states rejoin
    memo.by_content_[state->content_hash] = state;
    reached = std::move(state);
  }
  // The set's oldest transition makes room.
  uint8_t& next = memo.next_way_[recording.set];
  memo.slots_[recording.set * HbmTimingMemo::kWays + next] = {recording.parent, request, completion, reached};
  next = uint8_t((next + 1) % HbmTimingMemo::kWays);
  at_ = reached;
  fields_ = std::move(reached);
}

}  // namespace hbm
}  // namespace aqpim::models
