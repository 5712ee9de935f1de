#include "models/hbm_timing.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace aqpim::models {
namespace {

std::string field_value(const char* field, uint64_t value) { return std::string(field) + " = " + std::to_string(value); }

void require(bool condition, const std::string& message) {
  if (!condition) throw std::invalid_argument(message);
}

}  // namespace

void HbmTimingConfig::validate() const {
  geometry.validate();
  require(tck_ps > 0, "tCK = 0: the clock period must be positive");
  require(burst_ps > 0, "burst time (burst_length / data rate) must be positive");
  const HbmTimingCycles& c = cycles;
  const std::pair<const char*, unsigned> positive[] = {
      {"nCL", c.nCL},     {"nRCDRD", c.nRCDRD}, {"nRCDWR", c.nRCDWR}, {"nRP", c.nRP},     {"nRAS", c.nRAS},
      {"nRC", c.nRC},     {"nWR", c.nWR},       {"nCCDS", c.nCCDS},   {"nCCDL", c.nCCDL}, {"nRRDS", c.nRRDS},
      {"nRRDL", c.nRRDL}, {"nFAW", c.nFAW},     {"nRFC", c.nRFC},     {"nREFI", c.nREFI}, {"nRTP", c.nRTP}};
  for (const auto& [field, value] : positive) require(value > 0, field_value(field, value) + ": must be at least 1 tCK");
  require(c.nRC >= c.nRAS + c.nRP, field_value("nRC", c.nRC) + ": must be >= nRAS + nRP = " + std::to_string(c.nRAS + c.nRP));
  require(c.nCCDL >= c.nCCDS, field_value("nCCDL", c.nCCDL) + ": must be >= nCCDS = " + std::to_string(c.nCCDS));
  require(c.nRRDL >= c.nRRDS, field_value("nRRDL", c.nRRDL) + ": must be >= nRRDS = " + std::to_string(c.nRRDS));
  if (refresh)
    require(c.nREFI > c.nRFC, field_value("nREFI", c.nREFI) + ": must exceed nRFC = " + std::to_string(c.nRFC));
}

HbmBankStats& HbmBankStats::operator+=(const HbmBankStats& other) {
  activations += other.activations;
  reads += other.reads;
  writes += other.writes;
  row_hits += other.row_hits;
  row_misses += other.row_misses;
  bytes_read += other.bytes_read;
  bytes_written += other.bytes_written;
  pim_activations += other.pim_activations;
  pim_reads += other.pim_reads;
  pim_writes += other.pim_writes;
  pim_bytes_read += other.pim_bytes_read;
  pim_bytes_written += other.pim_bytes_written;
  busy_ps += other.busy_ps;
  return *this;
}

double HbmBankStats::row_hit_rate() const {
  const uint64_t accesses = row_hits + row_misses;
  return accesses ? double(row_hits) / double(accesses) : 0.0;
}

HbmBankStats HbmStats::total() const {
  HbmBankStats sum;
  for (const auto& bank : banks) sum += bank;
  return sum;
}

HbmTimingEngine::HbmTimingEngine(const HbmTimingConfig& config)
    : config_((config.validate(), config)), map_(config.mapping, config.geometry), access_shift_(0) {
  while ((uint64_t(1) << access_shift_) < config.geometry.access_bytes) ++access_shift_;
  const HbmTimingCycles& c = config.cycles;
  const auto ps = [&](unsigned cycles) { return int64_t(cycles) * int64_t(config.tck_ps); };
  cl_ = ps(c.nCL);
  rcdrd_ = ps(c.nRCDRD);
  rcdwr_ = ps(c.nRCDWR);
  rp_ = ps(c.nRP);
  ras_ = ps(c.nRAS);
  rc_ = ps(c.nRC);
  wr_ = ps(c.nWR);
  ccds_ = ps(c.nCCDS);
  ccdl_ = ps(c.nCCDL);
  rrds_ = ps(c.nRRDS);
  rrdl_ = ps(c.nRRDL);
  faw_ = ps(c.nFAW);
  rfc_ = ps(c.nRFC);
  refi_ = ps(c.nREFI);
  rtp_ = ps(c.nRTP);
  cwl_ = ps(c.nCWL);
  burst_ = int64_t(config.burst_ps);
  banks_.resize(config.geometry.banks());
  groups_.resize(config.geometry.bank_groups);
  stats_.banks.resize(config.geometry.banks());
}

void HbmTimingEngine::reset_stats() {
  const size_t banks = stats_.banks.size();
  stats_ = HbmStats();
  stats_.banks.resize(banks);
}

int64_t HbmTimingEngine::outside_refresh(int64_t t) const {
  if (!config_.refresh) return t;
  const int64_t window = epoch_of(t);
  const int64_t window_start = window * refi_;
  return (window >= 1 && t - window_start < rfc_) ? window_start + rfc_ : t;
}

int64_t HbmTimingEngine::refresh_end(int64_t t) const { return epoch_of(t) * refi_ + rfc_; }

int64_t HbmTimingEngine::next_refresh_start(int64_t t) const {
  return config_.refresh ? (epoch_of(t) + 1) * refi_ : INT64_MAX;
}

void HbmTimingEngine::forget_row_if_refreshed(Bank& bank, int64_t t) const {
  if (bank.open_row >= 0 && epoch_of(t) > bank.epoch) bank.open_row = -1;
}

int64_t HbmTimingEngine::precharge(Bank& bank, int64_t t) const {
  const int64_t pre = outside_refresh(std::max(t, bank.earliest_pre));
  // A refresh that starts before the PRE could issue closes the row itself; the next ACT then waits for it.
  bank.earliest_act = std::max(bank.earliest_act, epoch_of(pre) == bank.epoch ? pre + rp_ : pre);
  bank.open_row = -1;
  return pre;
}

int64_t HbmTimingEngine::earliest_activate(const Bank& bank, const Group& group, int64_t t) const {
  return std::max({t, bank.earliest_act, group.last_act + rrdl_, last_act_ + rrds_, recent_acts_[oldest_act_] + faw_});
}

void HbmTimingEngine::activate(Bank& bank, Group& group, int64_t row, int64_t act) const {
  bank.open_row = row;
  bank.epoch = epoch_of(act);
  bank.act_time = act;
  bank.earliest_pre = act + ras_;
  bank.earliest_act = act + rc_;
  group.last_act = act;
}

void HbmTimingEngine::push_activation(int64_t act) {
  last_act_ = act;
  recent_acts_[oldest_act_] = act;
  oldest_act_ = (oldest_act_ + 1) & 3;
}

uint64_t HbmTimingEngine::columns_before_refresh(int64_t first, int64_t spacing, uint64_t wanted) const {
  const int64_t refresh = next_refresh_start(first);
  if (first + int64_t(wanted - 1) * spacing < refresh) return wanted;  // the common case, without a division
  return std::min<uint64_t>(wanted, uint64_t((refresh - 1 - first) / spacing) + 1);
}

void HbmTimingEngine::add_busy(Bank& bank, HbmBankStats& stats, int64_t start, int64_t end) {
  const int64_t from = std::max(start, bank.busy_until);
  if (end > from) stats.busy_ps += uint64_t(end - from);
  bank.busy_until = std::max(bank.busy_until, end);
}

uint64_t HbmTimingEngine::access(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write) {
  ++stats_.host_requests;
  uint64_t unit_address = (address >> access_shift_) << access_shift_;
  uint64_t remaining = ((address + length - 1) >> access_shift_) - (address >> access_shift_) + 1;
  uint64_t completion = arrival_ps;
  while (remaining > 0) {
    const HbmLocation location = map_.decode(unit_address);
    const uint64_t count = std::min(remaining, map_.accesses_left_in_row(location));
    completion =
        std::max(completion, access_row(arrival_ps, map_.flat_bank(location), location.row, count, is_write));
    remaining -= count;
    unit_address += count << access_shift_;
  }
  return completion;
}

uint64_t HbmTimingEngine::access_row(uint64_t arrival_ps, unsigned flat_bank, uint64_t row, uint64_t count,
                                     bool is_write) {
  Bank& bank = banks_[flat_bank];
  Group& group = groups_[flat_bank / config_.geometry.banks_per_group];
  HbmBankStats& bank_stats = stats_.banks[flat_bank];
  const int64_t data_latency = is_write ? cwl_ : cl_;
  const int64_t rcd = is_write ? rcdwr_ : rcdrd_;
  // Same bank means same bank group: tCCD_L, and the bus must have carried the previous burst.
  const int64_t spacing = std::max(ccdl_, burst_);
  int64_t t = int64_t(arrival_ps);
  int64_t completion = t;
  while (count > 0) {
    t = outside_refresh(t);
    forget_row_if_refreshed(bank, t);
    const bool hit = bank.open_row == int64_t(row);
    int64_t first_command = INT64_MAX;
    if (!hit) {
      if (bank.open_row >= 0) first_command = precharge(bank, t);
      const int64_t act = outside_refresh(earliest_activate(bank, group, t));
      first_command = std::min(first_command, act);
      activate(bank, group, int64_t(row), act);
      push_activation(act);
      ++bank_stats.activations;
    }
    const int64_t column = outside_refresh(
        std::max({t, bank.act_time + rcd, group.last_col + ccdl_, last_col_ + ccds_, bus_free_ - data_latency}));
    if (epoch_of(column) != bank.epoch) {  // a refresh closed the row first: reopen right after it
      t = std::max(t, refresh_end(column));
      continue;
    }
    const uint64_t issued = columns_before_refresh(column, spacing, count);
    const int64_t last_column = column + int64_t(issued - 1) * spacing;
    group.last_col = last_column;
    last_col_ = last_column;
    bus_free_ = last_column + data_latency + burst_;
    bank.earliest_pre = std::max(bank.earliest_pre, last_column + column_recovery(is_write));
    completion = std::max(completion, bus_free_);

    bank_stats.row_hits += hit ? issued : issued - 1;
    bank_stats.row_misses += hit ? 0 : 1;
    const uint64_t bytes = issued * config_.geometry.access_bytes;
    (is_write ? bank_stats.writes : bank_stats.reads) += issued;
    (is_write ? bank_stats.bytes_written : bank_stats.bytes_read) += bytes;
    stats_.bus_busy_ps += issued * uint64_t(burst_);
    add_busy(bank, bank_stats, std::min(first_command, column), bus_free_);

    count -= issued;
    t = last_column + spacing;
  }
  if (config_.page_policy == HbmPagePolicy::Closed) precharge(bank, bank.earliest_pre);
  return uint64_t(completion);
}

uint64_t HbmTimingEngine::bank_stream(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                      uint64_t bytes_per_bank, bool is_write) {
  ++stats_.pim_requests;
  int64_t t = int64_t(arrival_ps);
  int64_t completion = t;
  if (bank_mask == 0 || bytes_per_bank == 0) return arrival_ps;
  const unsigned banks = config_.geometry.banks();
  const unsigned banks_per_group = config_.geometry.banks_per_group;
  const uint64_t columns_per_row = config_.geometry.columns_per_row();
  const int64_t data_latency = is_write ? cwl_ : cl_;
  const int64_t rcd = is_write ? rcdwr_ : rcdrd_;
  const auto for_each_bank = [&](auto&& body) {
    for (unsigned b = 0; b < banks; ++b)
      if (bank_mask >> b & 1) body(b, banks_[b], groups_[b / banks_per_group]);
  };

  uint64_t unit = bank_offset >> access_shift_;
  const uint64_t last_unit = (bank_offset + bytes_per_bank - 1) >> access_shift_;
  while (unit <= last_unit) {
    const int64_t row = int64_t(unit / columns_per_row);
    const uint64_t wanted = std::min(last_unit - unit + 1, columns_per_row - unit % columns_per_row);
    t = outside_refresh(t);
    int64_t first_command = INT64_MAX;
    // One all-bank ACT opens the row wherever it is not open yet; it is a single command, so it counts
    // once against tRRD and tFAW.
    int64_t act = kNever;
    for_each_bank([&](unsigned, Bank& bank, Group& group) {
      forget_row_if_refreshed(bank, t);
      if (bank.open_row == row) return;
      if (bank.open_row >= 0) first_command = std::min(first_command, precharge(bank, t));
      act = std::max(act, earliest_activate(bank, group, t));
    });
    if (act != kNever) {
      act = outside_refresh(act);
      first_command = std::min(first_command, act);
      for_each_bank([&](unsigned b, Bank& bank, Group& group) {
        if (bank.open_row == row) return;
        activate(bank, group, row, act);
        ++stats_.banks[b].pim_activations;
      });
      push_activation(act);
    }
    int64_t column = std::max(t, last_col_ + ccds_);
    for_each_bank([&](unsigned, Bank& bank, Group& group) {
      column = std::max({column, bank.act_time + rcd, group.last_col + ccdl_});
    });
    column = outside_refresh(column);
    bool refreshed = false;
    for_each_bank([&](unsigned, Bank& bank, Group&) { refreshed |= epoch_of(column) != bank.epoch; });
    if (refreshed) {  // a refresh closed the rows first: reopen after it
      for_each_bank([&](unsigned, Bank& bank, Group&) { forget_row_if_refreshed(bank, column); });
      t = std::max(t, refresh_end(column));
      continue;
    }
    const uint64_t issued = columns_before_refresh(column, ccdl_, wanted);
    const int64_t last_column = column + int64_t(issued - 1) * ccdl_;
    const int64_t data_end = last_column + data_latency + burst_;
    const uint64_t bytes = issued * config_.geometry.access_bytes;
    const bool row_done = issued == wanted;
    for_each_bank([&](unsigned b, Bank& bank, Group& group) {
      group.last_col = last_column;
      bank.earliest_pre = std::max(bank.earliest_pre, last_column + column_recovery(is_write));
      HbmBankStats& bank_stats = stats_.banks[b];
      (is_write ? bank_stats.pim_writes : bank_stats.pim_reads) += issued;
      (is_write ? bank_stats.pim_bytes_written : bank_stats.pim_bytes_read) += bytes;
      add_busy(bank, bank_stats, std::min(first_command, column), data_end);
      if (row_done) precharge(bank, bank.earliest_pre);
    });
    last_col_ = last_column;
    completion = std::max(completion, data_end);
    unit += issued;
    t = last_column + ccdl_;
  }
  return uint64_t(completion);
}

}  // namespace aqpim::models
