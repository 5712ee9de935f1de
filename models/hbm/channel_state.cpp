#include "models/hbm/channel_state.h"

namespace aqpim::models::hbm {

ChannelState::ChannelState(const hwif::HbmGeometry& geometry)
    : banks(geometry.banks()),
      groups(geometry.bank_groups),
      group_read_not_before(geometry.bank_groups, kNever),
      group_shift_(0) {
  while ((1u << group_shift_) < geometry.banks_per_group) ++group_shift_;
}

uint64_t ChannelState::groups_of(uint64_t bank_mask) const {
  uint64_t groups_mask = 0;
  for_each_bit(bank_mask, [&](unsigned bank) { groups_mask |= uint64_t(1) << (bank >> group_shift_); });
  return groups_mask;
}

void ChannelState::save_words(std::vector<int64_t>& words) const {
  words.clear();
  words.reserve(banks.size() * 6 + groups.size() * 3 + 9);
  for (const BankState& bank : banks)
    words.insert(words.end(), {bank.open_row, bank.epoch, bank.act_time, bank.earliest_act, bank.earliest_pre,
                               bank.busy_until});
  for (const BankGroupState& group : groups) words.insert(words.end(), {group.last_act, group.last_col});
  words.insert(words.end(), group_read_not_before.begin(), group_read_not_before.end());
  words.insert(words.end(), {last_act, last_col, bus_free, read_not_before, write_not_before});
  for (unsigned i = 0; i < 4; ++i) words.push_back(recent_acts[i]);
}

void ChannelState::load_words(const std::vector<int64_t>& words) {
  const int64_t* word = words.data();
  for (BankState& bank : banks) {
    bank.open_row = *word++;
    bank.epoch = *word++;
    bank.act_time = *word++;
    bank.earliest_act = *word++;
    bank.earliest_pre = *word++;
    bank.busy_until = *word++;
  }
  for (BankGroupState& group : groups) {
    group.last_act = *word++;
    group.last_col = *word++;
  }
  for (int64_t& bound : group_read_not_before) bound = *word++;
  last_act = *word++;
  last_col = *word++;
  bus_free = *word++;
  read_not_before = *word++;
  write_not_before = *word++;
  const int64_t acts[4] = {word[0], word[1], word[2], word[3]};
  recent_acts.assign(acts);
}

bool ChannelState::operator==(const ChannelState& other) const {
  return banks == other.banks && groups == other.groups && recent_acts == other.recent_acts &&
         last_act == other.last_act && last_col == other.last_col && bus_free == other.bus_free &&
         read_not_before == other.read_not_before && write_not_before == other.write_not_before &&
         group_read_not_before == other.group_read_not_before && stream_acts == other.stream_acts;
}

}  // namespace aqpim::models::hbm
