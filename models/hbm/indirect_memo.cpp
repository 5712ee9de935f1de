#include "models/hbm/indirect_memo.h"

#include <algorithm>

namespace aqpim::models::hbm {
namespace {

// Words of the shape of chunk `chunk` of `pass`: where each index piece starts in its row and how many
// column units it takes, and the lookups per table row (the table rows' own numbers never matter: every
// chunk opens and closes them).
void append_shape(const IndirectPass& pass, uint64_t chunk, unsigned access_shift, uint64_t columns_per_row,
                  std::vector<int64_t>& words) {
  for (unsigned s = 0; s < 2; ++s) {
    if (pass.index[s].bits_per_token == 0) continue;
    const uint64_t first = pass.chunk_first_byte(s, chunk) >> access_shift;
    const uint64_t last = (pass.chunk_end_byte(s, chunk) - 1) >> access_shift;
    words.push_back(int64_t(first % columns_per_row));
    words.push_back(int64_t(last - first));
  }
  words.push_back(int64_t(pass.table_rows));
  words.push_back(int64_t(pass.lookups_per_row(chunk)));
}

}  // namespace

void IndirectChunkMemo::capture(const Channel& channel, const StreamBanks& banks, int64_t t,
                                std::vector<int64_t>& words) const {
  const BankState& bank = banks.bank;
  const ChannelState& state = channel.state;
  words.insert(words.end(), {bank.open_row, bank.epoch - channel.rules.refresh.epoch_of(t), bank.act_time - t,
                             bank.earliest_act - t, bank.earliest_pre - t, bank.busy_until - t,
                             banks.group.last_act - t, banks.group.last_col - t, state.last_act - t,
                             state.last_col - t});
  for (unsigned i = 0; i < 4; ++i) words.push_back(state.recent_acts[i] - t);
}

void IndirectChunkMemo::restore(Channel& channel, StreamBanks& banks, int64_t t,
                                const std::vector<int64_t>& words) const {
  BankState& bank = banks.bank;
  ChannelState& state = channel.state;
  bank.open_row = words[0];
  bank.epoch = words[1] + channel.rules.refresh.epoch_of(t);
  bank.act_time = words[2] + t;
  bank.earliest_act = words[3] + t;
  bank.earliest_pre = words[4] + t;
  bank.busy_until = words[5] + t;
  banks.group.last_act = words[6] + t;
  banks.group.last_col = words[7] + t;
  state.last_act = words[8] + t;
  state.last_col = words[9] + t;
  const int64_t acts[4] = {words[10] + t, words[11] + t, words[12] + t, words[13] + t};
  state.recent_acts.assign(acts);
}

bool IndirectChunkMemo::refresh_free(const Channel& channel, int64_t t, int64_t reach) const {
  const AllBankRefresh& refresh = channel.rules.refresh;
  return !refresh.enabled || (refresh.outside_window(t) == t && refresh.next_window_start(t) > t + reach);
}

bool IndirectChunkMemo::replay(Channel& channel, StreamBanks& banks, const IndirectPass& pass, uint64_t chunk,
                               int64_t& t, int64_t& completion) {
  recording_ = false;
  if (!banks.in_lockstep) return false;
  const auto& geometry = channel.config.geometry;
  unsigned access_shift = 0;
  while ((uint64_t(1) << access_shift) < geometry.access_bytes) ++access_shift;
  key_.clear();
  capture(channel, banks, t, key_);
  append_shape(pass, chunk, access_shift, geometry.columns_per_row(), key_);
  const HbmTimingRules& rules = channel.rules;
  // Every rule's reach: an earlier command binds a later one at most this far ahead.
  const int64_t reach = std::max({rules.tRC, rules.tRAS, rules.tFAW, rules.tCL + rules.tBL,
                                  rules.column_to_precharge(true)}) + rules.tRP + rules.tRCD_WR + rules.tRCD_RD;
  const auto found = outcomes_.find(key_);
  if (found != outcomes_.end() && refresh_free(channel, t, found->second.duration + reach)) {
    const Outcome& outcome = found->second;
    completion = std::max(completion, t + outcome.completion);
    t += outcome.duration;
    restore(channel, banks, t, outcome.end);
    banks.stats += outcome.per_bank;
    channel.state.stream_acts += outcome.stream_acts;
    ++replays_;
    return true;
  }
  if (!refresh_free(channel, t, 0)) return false;
  recording_ = true;
  recording_key_ = key_;
  recording_t_ = t;
  recording_stats_ = banks.stats;
  recording_acts_ = channel.state.stream_acts;
  return false;
}

void IndirectChunkMemo::record(const Channel& channel, const StreamBanks& banks, int64_t t, int64_t completion) {
  if (!recording_ || !banks.in_lockstep) return;
  recording_ = false;
  const HbmTimingRules& rules = channel.rules;
  const int64_t reach = std::max({rules.tRC, rules.tRAS, rules.tFAW, rules.tCL + rules.tBL,
                                  rules.column_to_precharge(true)}) + rules.tRP + rules.tRCD_WR + rules.tRCD_RD;
  // Only a chunk that ran well clear of refresh windows is the same wherever it lands.
  if (!refresh_free(channel, recording_t_, t - recording_t_ + reach)) return;
  if (outcomes_.size() >= kCapacity) outcomes_.clear();
  Outcome outcome;
  end_.clear();
  capture(channel, banks, t, end_);
  outcome.end = end_;
  outcome.duration = t - recording_t_;
  outcome.completion = completion - recording_t_;
  add_repeated(outcome.per_bank, banks.stats, recording_stats_, 1);
  outcome.stream_acts = channel.state.stream_acts - recording_acts_;
  outcomes_.emplace(std::move(recording_key_), std::move(outcome));
}

}  // namespace aqpim::models::hbm
