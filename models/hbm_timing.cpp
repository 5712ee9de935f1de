#include "models/hbm_timing.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace aqpim::models {
namespace {

// FNV-1a over 64-bit words: the memos' keys and state contents.
struct WordHash {
  uint64_t hash = 1469598103934665603ull;
  void mix(uint64_t word) { hash = (hash ^ word) * 1099511628211ull; }
};

template <class Body>
void for_each_bit(uint64_t mask, Body&& body) {
  for (; mask != 0; mask &= mask - 1) body(unsigned(__builtin_ctzll(mask)));
}

}  // namespace

HbmTimingEngine::HbmTimingEngine(const HbmTimingConfig& config)
    : config_((config.validate(), config)), map_(config.mapping, config.geometry), access_shift_(0) {
  while ((uint64_t(1) << access_shift_) < config.geometry.access_bytes) ++access_shift_;
  group_shift_ = 0;
  while ((1u << group_shift_) < config.geometry.banks_per_group) ++group_shift_;
  row_units_ = config.geometry.columns_per_row() * config.geometry.banks();
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
  materialize();
  const size_t banks = stats_.banks.size();
  stats_ = HbmStats();
  stats_.banks.resize(banks);
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

inline uint64_t HbmTimingEngine::access_runs(uint64_t arrival_ps, uint64_t unit_address, uint64_t remaining,
                                            bool is_write) {
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

namespace {
// Below this many whole steps (address rows, bank-stream rows) the periodic path cannot win back its
// snapshots: it needs two clean steps to prove a period and one more to jump over.
constexpr uint64_t kPeriodicMinSteps = 4;
// Boundaries without a jump after which a request stops looking for a period (the rest is then timed
// step by step, as by the reference): a pattern that never settles between two refresh windows (a few
// address rows per window) must not pay for snapshots all along.
constexpr unsigned kPeriodGiveUp = 48;
}  // namespace

// Inlined into access(), the path of every host request (and into the memo's timing callback).
[[gnu::always_inline]] inline uint64_t HbmTimingEngine::access_fast(uint64_t arrival_ps, uint64_t address,
                                                                    uint64_t length, bool is_write) {
  ++stats_.host_requests;
  const uint64_t unit_address = (address >> access_shift_) << access_shift_;
  const uint64_t units = ((address + length - 1) >> access_shift_) - (address >> access_shift_) + 1;
  if (units >= kPeriodicMinSteps * row_units_) return access_periodic(arrival_ps, unit_address, units, is_write);
  return access_runs(arrival_ps, unit_address, units, is_write);
}

uint64_t HbmTimingEngine::access(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write) {
  if (!in_memo_) {  // the short-request path: no detour
    pristine_ = false;
    return access_fast(arrival_ps, address, length, is_write);
  }
  return through_memo({0, int64_t(arrival_ps), int64_t(address), int64_t(length), 0, is_write},
                      [&] { return access_fast(arrival_ps, address, length, is_write); });
}

uint64_t HbmTimingEngine::access_reference(uint64_t arrival_ps, uint64_t address, uint64_t length, bool is_write) {
  leave_memo();
  pristine_ = false;
  ++stats_.host_requests;
  const uint64_t unit_address = (address >> access_shift_) << access_shift_;
  const uint64_t units = ((address + length - 1) >> access_shift_) - (address >> access_shift_) + 1;
  return access_runs(arrival_ps, unit_address, units, is_write);
}

// Steps are whole address rows (every bank's row r, in the mapping's order): the row is the top address
// field, so every step visits the banks and columns in the same order, one row further on. With the column
// field above the banks (RoCoBaBgCh, one run per column access) a column across all banks is a step too,
// within a row: that is where such a stream spends its time between refresh windows.
uint64_t HbmTimingEngine::access_periodic(uint64_t arrival_ps, uint64_t unit_address, uint64_t remaining,
                                          bool is_write) {
  const HbmGeometry& geometry = config_.geometry;
  const uint64_t row_units = geometry.columns_per_row() * geometry.banks();
  const bool column_lowest = map_.accesses_left_in_row(map_.decode(0)) == geometry.columns_per_row();
  PeriodScope scope;
  const unsigned banks = geometry.banks();
  scope.banks = banks == 64 ? ~uint64_t(0) : (uint64_t(1) << banks) - 1;
  scope.groups = (uint64_t(1) << geometry.bank_groups) - 1;
  scope.host = true;
  scope.t_eff = outside_refresh(int64_t(arrival_ps));
  scope.is_write = is_write;
  scope.block_units = row_units;
  scope.inner_units = column_lowest ? 0 : banks;
  const uint64_t step_units = column_lowest ? row_units : banks;

  uint64_t completion = arrival_ps;
  const uint64_t head = (step_units - (unit_address >> access_shift_) % step_units) % step_units;
  if (head > 0) {
    completion = std::max(completion, access_runs(arrival_ps, unit_address, head, is_write));
    unit_address += head << access_shift_;
    remaining -= head;
  }
  start_period(scope);
  while (remaining >= step_units) {
    const uint64_t unit = unit_address >> access_shift_;
    int64_t shift = 0;
    const uint64_t jumped = period_boundary(scope, unit, int64_t(unit / row_units), 0, remaining, &shift);
    if (jumped > 0) {
      unit_address += jumped << access_shift_;
      remaining -= jumped;
      completion = std::max(completion, uint64_t(bus_free_));  // bus_free_ only grows within a request
      continue;
    }
    if (period_.misses > kPeriodGiveUp) break;
    completion = std::max(completion, access_runs(arrival_ps, unit_address, step_units, is_write));
    unit_address += step_units << access_shift_;
    remaining -= step_units;
  }
  if (remaining > 0) completion = std::max(completion, access_runs(arrival_ps, unit_address, remaining, is_write));
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
  return through_memo({1, int64_t(arrival_ps), int64_t(bank_mask), int64_t(bank_offset), int64_t(bytes_per_bank), is_write},
                      [&] {
                        return bank_stream_impl(arrival_ps, bank_mask, bank_offset, bytes_per_bank, is_write,
                                                StreamMode::Lockstep);
                      });
}

// ---- shared memo ---------------------------------------------------------------------------------------

HbmTimingMemo::HbmTimingMemo(size_t slots)
    : slots_((std::max<size_t>(slots, kWays) + kWays - 1) / kWays * kWays), next_way_(slots_.size() / kWays, 0) {}

namespace {

std::vector<int64_t> config_words(const HbmTimingConfig& c) {
  const HbmGeometry& g = c.geometry;
  const HbmTimingCycles& t = c.cycles;
  return {g.bank_groups, g.banks_per_group, int64_t(g.rows_per_bank), int64_t(g.row_bytes), int64_t(g.access_bytes),
          int64_t(c.mapping), int64_t(c.page_policy), int64_t(c.tck_ps), int64_t(c.burst_ps), c.refresh,
          t.nCL, t.nRCDRD, t.nRCDWR, t.nRP, t.nRAS, t.nRC, t.nWR, t.nCCDS, t.nCCDL, t.nRRDS, t.nRRDL, t.nFAW,
          t.nRFC, t.nREFI, t.nRTP, t.nCWL};
}

size_t set_of(uint64_t parent, const HbmTimingMemo::Request& request, size_t sets) {
  uint64_t hash = (parent + 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
  for (int64_t word : request) hash = (hash ^ uint64_t(word)) * 0xc4ceb9fe1a85ec53ull;
  return size_t((hash ^ (hash >> 32)) % sets);
}

}  // namespace

uint64_t HbmTimingMemo::State::hash_content() const {
  WordHash hash;
  for (int64_t word : words) hash.mix(uint64_t(word));
  for (const HbmBankStats& bank : totals.banks)
    for (uint64_t HbmBankStats::*counter : hbm::kBankCounters) hash.mix(bank.*counter);
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

void HbmTimingEngine::share_memo(std::shared_ptr<HbmTimingMemo> memo) {
  materialize();
  if (memo) {
    const std::vector<int64_t> mine = config_words(config_);
    if (memo->config_words_.empty()) {
      memo->config_words_ = mine;
      auto initial = std::make_shared<HbmTimingMemo::State>();
      state_words(initial->words);
      initial->totals.banks.resize(stats_.banks.size());
      memo->initial_ = std::move(initial);
    } else if (memo->config_words_ != mine) {
      throw std::invalid_argument("HbmTimingMemo is shared by channels with different timing configurations");
    }
  }
  memo_ = std::move(memo);
  // Only a new engine is in the memo's initial state (its counters are all zero, as the state's are).
  in_memo_ = memo_ && pristine_;
  memo_at_ = memo_fields_ = in_memo_ ? memo_->initial_ : nullptr;
}

void HbmTimingEngine::leave_memo() {
  materialize();
  in_memo_ = false;
  memo_at_.reset();
  memo_fields_.reset();
}

void HbmTimingEngine::state_words(std::vector<int64_t>& words) const {
  words.clear();
  words.reserve(banks_.size() * 6 + groups_.size() * 2 + 7);
  for (const Bank& bank : banks_)
    words.insert(words.end(), {bank.open_row, bank.epoch, bank.act_time, bank.earliest_act, bank.earliest_pre,
                               bank.busy_until});
  for (const Group& group : groups_) words.insert(words.end(), {group.last_act, group.last_col});
  words.insert(words.end(), {last_act_, last_col_, bus_free_});
  for (unsigned i = 0; i < 4; ++i) words.push_back(recent_acts_[(oldest_act_ + i) & 3]);
}

void HbmTimingEngine::restore_state(const std::vector<int64_t>& words) {
  const int64_t* word = words.data();
  for (Bank& bank : banks_) {
    bank.open_row = *word++;
    bank.epoch = *word++;
    bank.act_time = *word++;
    bank.earliest_act = *word++;
    bank.earliest_pre = *word++;
    bank.busy_until = *word++;
  }
  for (Group& group : groups_) {
    group.last_act = *word++;
    group.last_col = *word++;
  }
  last_act_ = *word++;
  last_col_ = *word++;
  bus_free_ = *word++;
  for (unsigned i = 0; i < 4; ++i) recent_acts_[i] = *word++;
  oldest_act_ = 0;
}

void HbmTimingEngine::materialize() const {
  if (memo_fields_ == memo_at_) return;
  // The engine is in memo_at_ already (see through_memo()); only its fields lag behind.
  auto& self = const_cast<HbmTimingEngine&>(*this);
  self.restore_state(memo_at_->words);
  hbm::add_difference(self.stats_, memo_at_->totals, memo_fields_->totals);
  self.stream_acts_ += memo_at_->stream_acts - memo_fields_->stream_acts;
  self.memo_fields_ = memo_at_;
}

template <class Time>
uint64_t HbmTimingEngine::through_memo(const HbmTimingMemo::Request& request, Time&& time) {
  pristine_ = false;
  if (!in_memo_) return time();
  HbmTimingMemo& memo = *memo_;
  const uint64_t parent = memo_at_->id;
  const size_t set = set_of(parent, request, memo.next_way_.size());
  HbmTimingMemo::Transition* ways = &memo.slots_[set * HbmTimingMemo::kWays];
  for (size_t way = 0; way < HbmTimingMemo::kWays; ++way) {
    const HbmTimingMemo::Transition& known = ways[way];
    if (known.state && known.parent == parent && known.request == request) {
      ++memo.hits_;
      memo_at_ = known.state;
      return known.completion;
    }
  }
  ++memo.misses_;
  materialize();
  auto state = std::make_shared<HbmTimingMemo::State>();
  // Totals from the initial state: the parent's, plus what this request adds.
  state->totals = memo_at_->totals;
  state->stream_acts = memo_at_->stream_acts;
  const HbmStats before = stats_;
  const uint64_t acts_before = stream_acts_;
  const uint64_t completion = time();
  hbm::add_difference(state->totals, stats_, before);
  state->stream_acts += stream_acts_ - acts_before;
  state_words(state->words);
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
  uint8_t& next = memo.next_way_[set];
  ways[next] = {parent, request, completion, reached};
  next = uint8_t((next + 1) % HbmTimingMemo::kWays);
  memo_at_ = reached;
  memo_fields_ = std::move(reached);
  return completion;
}

uint64_t HbmTimingEngine::bank_stream_reference(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                                uint64_t bytes_per_bank, bool is_write) {
  leave_memo();
  pristine_ = false;
  return bank_stream_impl(arrival_ps, bank_mask, bank_offset, bytes_per_bank, is_write, StreamMode::Reference);
}

bool HbmTimingEngine::lockstep_uniform(uint64_t bank_mask, uint64_t groups) const {
  // Bank is six int64_t without padding: comparing the bytes compares every field.
  static_assert(sizeof(Bank) == 6 * sizeof(int64_t), "Bank gained a field: extend lockstep_uniform()");
  const Bank& a = banks_[unsigned(__builtin_ctzll(bank_mask))];
  for (uint64_t mask = bank_mask & (bank_mask - 1); mask != 0; mask &= mask - 1)
    if (std::memcmp(&banks_[unsigned(__builtin_ctzll(mask))], &a, sizeof(Bank)) != 0) return false;
  const Group& g = groups_[unsigned(__builtin_ctzll(groups))];
  for (uint64_t mask = groups & (groups - 1); mask != 0; mask &= mask - 1) {
    const Group& h = groups_[unsigned(__builtin_ctzll(mask))];
    if (h.last_act != g.last_act || h.last_col != g.last_col) return false;
  }
  return true;
}

namespace {
// Row boundaries a lockstep stream waits for its banks to become uniform before it falls back to the
// periodic path: one all-bank row normally equalizes them (every bank gets the same ACT, PRE and data end).
constexpr unsigned kLockstepTries = 3;
}  // namespace

uint64_t HbmTimingEngine::bank_stream_impl(uint64_t arrival_ps, uint64_t bank_mask, uint64_t bank_offset,
                                           uint64_t bytes_per_bank, bool is_write, StreamMode mode) {
  ++stats_.pim_requests;
  int64_t t = int64_t(arrival_ps);
  int64_t completion = t;
  if (bank_mask == 0 || bytes_per_bank == 0) return arrival_ps;
  const unsigned banks = config_.geometry.banks();
  const unsigned banks_per_group = config_.geometry.banks_per_group;
  const uint64_t columns_per_row = config_.geometry.columns_per_row();
  const int64_t data_latency = is_write ? cwl_ : cl_;
  const int64_t rcd = is_write ? rcdwr_ : rcdrd_;
  // Lockstep: once every bank in the mask (and every group holding one) has the same state, the step
  // below does the same to each of them, so one representative bank, group and counter delta stand for all
  // of them until the end of the call, where they are written back.
  bool uniform = false;
  Bank rep_bank;
  Group rep_group;
  HbmBankStats rep_stats;
  const auto for_each_bank = [&](auto&& body) {
    if (uniform) {
      body(rep_bank, rep_group, rep_stats);
      return;
    }
    for (unsigned b = 0; b < banks; ++b)
      if (bank_mask >> b & 1) body(banks_[b], groups_[b / banks_per_group], stats_.banks[b]);
  };

  uint64_t unit = bank_offset >> access_shift_;
  const uint64_t last_unit = (bank_offset + bytes_per_bank - 1) >> access_shift_;
  // Steps are whole rows; the banks in the mask and their groups are all the stream touches.
  PeriodScope scope;
  scope.banks = bank_mask;
  scope.block_units = columns_per_row;
  for (uint64_t mask = bank_mask; mask != 0; mask &= mask - 1)
    scope.groups |= uint64_t(1) << (unsigned(__builtin_ctzll(mask)) >> group_shift_);
  bool lockstep = mode == StreamMode::Lockstep;
  unsigned lockstep_tries = 0;
  bool periodic = mode == StreamMode::Periodic && last_unit - unit + 1 >= kPeriodicMinSteps * columns_per_row;
  if (periodic) start_period(scope);

  // Lockstep row boundaries: t and every time the next row reads (representative bank and group, channel,
  // tFAW ring oldest first), relative to nothing; two consecutive ones a row apart whose times all moved by
  // the same P prove the row periodic (see the jump below).
  struct Boundary {
    bool valid = false;
    uint64_t unit = 0;
    int64_t times[13] = {};
    int64_t open_row = 0, epoch = 0;
    uint64_t acts = 0;
    HbmBankStats stats;
  };
  constexpr unsigned kRing = 9;  // index of the first tFAW-ring entry in Boundary::times
  Boundary boundaries[2];
  unsigned newest = 0;

  while (unit <= last_unit) {
    if (lockstep && !uniform) {
      if (lockstep_uniform(bank_mask, scope.groups)) {
        uniform = true;
        rep_bank = banks_[unsigned(__builtin_ctzll(bank_mask))];
        rep_group = groups_[unsigned(__builtin_ctzll(scope.groups))];
      } else if (++lockstep_tries > kLockstepTries) {
        lockstep = false;
        periodic = last_unit - unit + 1 >= kPeriodicMinSteps * columns_per_row;
        if (periodic) start_period(scope);
      }
    }
    if (uniform && unit % columns_per_row == 0 && last_unit - unit + 1 >= columns_per_row) {
      Boundary& to = boundaries[newest ^ 1];
      const Boundary& from = boundaries[newest];
      const int64_t values[13] = {t,
                                  rep_bank.act_time,
                                  rep_bank.earliest_act,
                                  rep_bank.earliest_pre,
                                  rep_bank.busy_until,
                                  rep_group.last_act,
                                  rep_group.last_col,
                                  last_act_,
                                  last_col_,
                                  recent_acts_[oldest_act_],
                                  recent_acts_[(oldest_act_ + 1) & 3],
                                  recent_acts_[(oldest_act_ + 2) & 3],
                                  recent_acts_[(oldest_act_ + 3) & 3]};
      to.valid = true;
      to.unit = unit;
      std::copy(values, values + 13, to.times);
      to.open_row = rep_bank.open_row;
      to.epoch = rep_bank.epoch;
      to.acts = stream_acts_;
      to.stats = rep_stats;
      newest ^= 1;
      // The row from `from` to `to` is a function of `from`'s times built from max() and additions, plus
      // the refresh rules. With the row closed at both ends (so it issued one all-bank ACT, its columns and
      // its PRE, whatever the row number) and every time moved by P, the next rows repeat it shifted by P
      // for as long as the refresh rules act as the identity on their commands: all of a row's commands lie
      // in [its starting t, its ending max time], inside one refresh interval and after that interval's
      // window. tFAW-ring entries that tRRD_S already dominates at both ends cannot bind and may differ
      // (as in try_jump()).
      const auto shifted = [&](const int64_t* a, const int64_t* b, int64_t shift) {
        for (unsigned i = 0; i < kRing; ++i)
          if (b[i] - a[i] != shift) return false;
        for (unsigned i = kRing; i < 13; ++i) {
          const bool stale = a[i] + faw_ <= a[7] + rrds_ && b[i] + faw_ <= b[7] + rrds_;
          if (!stale && b[i] - a[i] != shift) return false;
        }
        return true;
      };
      // Commands in [lo, hi] are untouched by the refresh rules, and the banks' interval is theirs.
      const auto refresh_free = [&](int64_t lo, int64_t hi) {
        return !config_.refresh ||
               (lo >= 0 && outside_refresh(lo) == lo && epoch_of(hi) == epoch_of(lo) && to.epoch == epoch_of(lo));
      };
      const int64_t to_hi = *std::max_element(to.times, to.times + kRing);
      int64_t period = to.times[8] - from.times[8];
      HbmBankStats per_row;
      bool periodic_row = from.valid && to.unit - from.unit == columns_per_row && period > 0 && from.open_row < 0 &&
                          to.open_row < 0 && to.epoch == from.epoch && to.acts - from.acts == 1 &&
                          to.stats.pim_activations - from.stats.pim_activations == 1 &&
                          shifted(from.times, to.times, period) && refresh_free(from.times[0], to_hi);
      LockstepProof& proof = lockstep_proofs_[is_write];
      if (periodic_row) {
        per_row.pim_activations = 1;
        per_row.pim_reads = to.stats.pim_reads - from.stats.pim_reads;
        per_row.pim_writes = to.stats.pim_writes - from.stats.pim_writes;
        per_row.pim_bytes_read = to.stats.pim_bytes_read - from.stats.pim_bytes_read;
        per_row.pim_bytes_written = to.stats.pim_bytes_written - from.stats.pim_bytes_written;
        per_row.busy_ps = to.stats.busy_ps - from.stats.busy_ps;
        // Such a proof holds for any later state that is `to` shifted (the row depends on nothing else: not
        // on the row number, the mask or the call), also in later calls: keep it.
        proof.valid = true;
        proof.period = period;
        std::copy(to.times, to.times + 13, proof.times);
        proof.per_row = per_row;
      } else if (proof.valid && to.open_row < 0 && shifted(proof.times, to.times, to.times[8] - proof.times[8]) &&
                 refresh_free(to.times[0], to_hi)) {
        // `to` is the proof's end state shifted: its next row is the proof's row shifted, and so on.
        periodic_row = true;
        period = proof.period;
        per_row = proof.per_row;
      }
      uint64_t rows = (last_unit - unit + 1) / columns_per_row;
      if (periodic_row && config_.refresh)
        rows = std::min(rows, uint64_t(((epoch_of(to.times[0]) + 1) * refi_ - 1 - to_hi) / period));
      if (periodic_row && rows > 0) {
        const int64_t delta = int64_t(rows) * period;
        t += delta;
        for (int64_t* value : {&rep_bank.act_time, &rep_bank.earliest_act, &rep_bank.earliest_pre,
                               &rep_bank.busy_until, &rep_group.last_act, &rep_group.last_col, &last_col_})
          *value += delta;
        // The ring ends with the last rows' ACTs; push_activation() also moves last_act_.
        for (uint64_t row = rows > 3 ? rows - 3 : 1; row <= rows; ++row)
          push_activation(to.times[7] + int64_t(row) * period);
        rep_stats.pim_activations += rows * per_row.pim_activations;
        rep_stats.pim_reads += rows * per_row.pim_reads;
        rep_stats.pim_writes += rows * per_row.pim_writes;
        rep_stats.pim_bytes_read += rows * per_row.pim_bytes_read;
        rep_stats.pim_bytes_written += rows * per_row.pim_bytes_written;
        rep_stats.busy_ps += rows * per_row.busy_ps;
        stream_acts_ += rows;
        unit += rows * columns_per_row;
        skipped_accesses_ += rows * columns_per_row;
        completion = std::max(completion, last_col_ + data_latency + burst_);
        boundaries[0].valid = boundaries[1].valid = false;
        continue;
      }
    }
    if (periodic && unit % columns_per_row == 0 && last_unit - unit + 1 >= columns_per_row) {
      int64_t shift = 0;
      const uint64_t jumped = period_boundary(scope, unit, int64_t(unit / columns_per_row), t, last_unit - unit + 1, &shift);
      if (jumped > 0) {
        unit += jumped;
        t += shift;
        // Data ends only grow along a stream: the last row's is the latest.
        completion = std::max(completion, last_col_ + data_latency + burst_);
        continue;
      }
      periodic = period_.misses <= kPeriodGiveUp;
    }
    const int64_t row = int64_t(unit / columns_per_row);
    const uint64_t wanted = std::min(last_unit - unit + 1, columns_per_row - unit % columns_per_row);
    t = outside_refresh(t);
    int64_t first_command = INT64_MAX;
    // One all-bank ACT opens the row wherever it is not open yet; it is a single command, so it counts
    // once against tRRD and tFAW.
    int64_t act = kNever;
    for_each_bank([&](Bank& bank, Group& group, HbmBankStats&) {
      forget_row_if_refreshed(bank, t);
      if (bank.open_row == row) return;
      if (bank.open_row >= 0) first_command = std::min(first_command, precharge(bank, t));
      act = std::max(act, earliest_activate(bank, group, t));
    });
    if (act != kNever) {
      act = outside_refresh(act);
      first_command = std::min(first_command, act);
      for_each_bank([&](Bank& bank, Group& group, HbmBankStats& bank_stats) {
        if (bank.open_row == row) return;
        activate(bank, group, row, act);
        ++bank_stats.pim_activations;
      });
      push_activation(act);
      ++stream_acts_;
    }
    int64_t column = std::max(t, last_col_ + ccds_);
    for_each_bank([&](Bank& bank, Group& group, HbmBankStats&) {
      column = std::max({column, bank.act_time + rcd, group.last_col + ccdl_});
    });
    column = outside_refresh(column);
    bool refreshed = false;
    for_each_bank([&](Bank& bank, Group&, HbmBankStats&) { refreshed |= epoch_of(column) != bank.epoch; });
    if (refreshed) {  // a refresh closed the rows first: reopen after it
      for_each_bank([&](Bank& bank, Group&, HbmBankStats&) { forget_row_if_refreshed(bank, column); });
      t = std::max(t, refresh_end(column));
      continue;
    }
    const uint64_t issued = columns_before_refresh(column, ccdl_, wanted);
    const int64_t last_column = column + int64_t(issued - 1) * ccdl_;
    const int64_t data_end = last_column + data_latency + burst_;
    const uint64_t bytes = issued * config_.geometry.access_bytes;
    const bool row_done = issued == wanted;
    for_each_bank([&](Bank& bank, Group& group, HbmBankStats& bank_stats) {
      group.last_col = last_column;
      bank.earliest_pre = std::max(bank.earliest_pre, last_column + column_recovery(is_write));
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
  if (uniform) {
    for (uint64_t mask = bank_mask; mask != 0; mask &= mask - 1) {
      const unsigned b = unsigned(__builtin_ctzll(mask));
      banks_[b] = rep_bank;
      // A stream only moves these counters (and this runs for every bank of millions of streams).
      HbmBankStats& bank_stats = stats_.banks[b];
      bank_stats.pim_activations += rep_stats.pim_activations;
      bank_stats.pim_reads += rep_stats.pim_reads;
      bank_stats.pim_writes += rep_stats.pim_writes;
      bank_stats.pim_bytes_read += rep_stats.pim_bytes_read;
      bank_stats.pim_bytes_written += rep_stats.pim_bytes_written;
      bank_stats.busy_ps += rep_stats.busy_ps;
    }
    for (uint64_t mask = scope.groups; mask != 0; mask &= mask - 1) groups_[unsigned(__builtin_ctzll(mask))] = rep_group;
  }
  return uint64_t(completion);
}

bool HbmTimingEngine::same_state(const HbmTimingEngine& other) const {
  materialize();
  other.materialize();
  if (banks_.size() != other.banks_.size() || groups_.size() != other.groups_.size()) return false;
  for (size_t b = 0; b < banks_.size(); ++b) {
    const Bank &x = banks_[b], &y = other.banks_[b];
    if (x.open_row != y.open_row || x.epoch != y.epoch || x.act_time != y.act_time ||
        x.earliest_act != y.earliest_act || x.earliest_pre != y.earliest_pre || x.busy_until != y.busy_until)
      return false;
  }
  for (size_t g = 0; g < groups_.size(); ++g)
    if (groups_[g].last_act != other.groups_[g].last_act || groups_[g].last_col != other.groups_[g].last_col) return false;
  for (unsigned i = 0; i < 4; ++i)
    if (recent_acts_[(oldest_act_ + i) & 3] != other.recent_acts_[(other.oldest_act_ + i) & 3]) return false;
  return last_act_ == other.last_act_ && last_col_ == other.last_col_ && bus_free_ == other.bus_free_ &&
         stream_acts_ == other.stream_acts_;
}

void HbmTimingEngine::start_period(const PeriodScope& scope) {
  PeriodState& p = period_;
  p.prev.valid = false;
  p.block_prev.valid = false;
  p.anchor_count = 0;
  p.anchor_next = 0;
  p.anchor_epoch = INT64_MIN;
  p.misses = 0;
  p.memo_epoch = INT64_MIN;
  p.recording = false;
  if (p.anchors.size() != kAnchors) p.anchors.resize(kAnchors);
  // The field layout take_snapshot() writes, and what each field may do.
  std::vector<uint8_t>& kinds = p.kinds;
  kinds.clear();
  if (!scope.host) kinds.push_back(kMoves);  // t
  for_each_bit(scope.banks, [&](unsigned) {
    for (FieldKind kind : {kActTime, kActOnly, kMoves, kMoves, kRowOffset}) kinds.push_back(kind);
  });
  for_each_bit(scope.groups, [&](unsigned) {
    kinds.push_back(kActOnly);
    kinds.push_back(kMoves);
  });
  kinds.push_back(kActOnly);  // last_act_
  kinds.push_back(kMoves);    // last_col_
  if (scope.host) kinds.push_back(kMoves);  // bus_free_
}

void HbmTimingEngine::take_snapshot(const PeriodScope& scope, PeriodSnapshot& snapshot, uint64_t position,
                                    int64_t row_base, int64_t t) const {
  snapshot.valid = true;
  snapshot.position = position;
  snapshot.row_base = row_base;
  const int64_t ref = last_col_;
  snapshot.ref = ref;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  snapshot.fields.resize(period_.kinds.size());
  int64_t* field = snapshot.fields.data();
  const auto time = [&](int64_t value) {
    *field++ = value - ref;
    lo = std::min(lo, value);
    hi = std::max(hi, value);
  };
  if (!scope.host) time(t);
  snapshot.stats.resize(size_t(__builtin_popcountll(scope.banks)));
  HbmBankStats* stats = snapshot.stats.data();
  uint64_t activations = 0;
  for_each_bit(scope.banks, [&](unsigned b) {
    const Bank& bank = banks_[b];
    time(bank.act_time);
    time(bank.earliest_act);
    time(bank.earliest_pre);
    time(bank.busy_until);
    *field++ = bank.open_row >= 0 ? bank.open_row - row_base : INT64_MIN;
    *stats++ = stats_.banks[b];
    activations += stats_.banks[b].activations;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    time(groups_[g].last_act);
    time(groups_[g].last_col);
  });
  time(last_act_);
  time(last_col_);
  if (scope.host) time(bus_free_);
  snapshot.lo = lo;
  snapshot.hi = hi;
  snapshot.last_act = last_act_;
  // ACT commands so far: one per host activation; streams count their all-bank ACTs themselves (keeping
  // the host's hot path free of the bookkeeping).
  snapshot.pushes = scope.host ? activations : stream_acts_;
  snapshot.bus_busy_ps = stats_.bus_busy_ps;
  for (unsigned i = 0; i < 4; ++i) snapshot.ring[i] = recent_acts_[(oldest_act_ + i) & 3];
}

uint64_t HbmTimingEngine::period_boundary(const PeriodScope& scope, uint64_t position, int64_t row_base, int64_t t,
                                          uint64_t units_left, int64_t* shift) {
  PeriodState& p = period_;
  take_snapshot(scope, p.cur, position, row_base, t);
  uint64_t jumped = 0;
  if (scope.host && config_.refresh && epoch_of(p.cur.ref) != p.memo_epoch) {
    jumped = interval_boundary(scope, units_left, shift);
    if (jumped > 0) {
      p.prev.valid = false;
      p.block_prev.valid = false;
      p.misses = 0;
      return jumped;
    }
  }
  // Refresh windows break the pattern inside a refresh interval, but whole intervals often repeat (the
  // stream restarts at each window's end): compare the first boundary of each interval with those of the
  // last kAnchors intervals.
  const int64_t epoch = epoch_of(p.cur.ref);
  if (config_.refresh && epoch > p.anchor_epoch) {
    for (unsigned i = 0; i < p.anchor_count && jumped == 0; ++i)
      jumped = try_jump(scope, p.anchors[(p.anchor_next + kAnchors - 1 - i) % kAnchors], p.cur, units_left, shift);
    if (jumped == 0) {
      p.anchors[p.anchor_next] = p.cur;
      p.anchor_next = (p.anchor_next + 1) % kAnchors;
      p.anchor_count = std::min(p.anchor_count + 1, kAnchors);
      p.anchor_epoch = epoch;
    }
  }
  // With inner steps, whole blocks (address rows) can repeat too, crossings included.
  const bool block_boundary = scope.inner_units != 0 && position % scope.block_units == 0;
  if (jumped == 0 && block_boundary && p.block_prev.valid)
    jumped = try_jump(scope, p.block_prev, p.cur, units_left, shift);
  if (jumped == 0 && p.prev.valid) jumped = try_jump(scope, p.prev, p.cur, units_left, shift);
  if (block_boundary) {
    if (jumped == 0)
      p.block_prev = p.cur;
    else
      p.block_prev.valid = false;
  }
  if (jumped > 0) {
    p.prev.valid = false;
    p.misses = 0;
  } else {
    std::swap(p.prev, p.cur);
    ++p.misses;
  }
  return jumped;
}

namespace {
// Transitions one engine keeps in its interval memo (about 6 KiB each); a full memo starts over. The
// prefill's writes on the default channel meet between 128 and 256 phases: 100 x 8 MiB take 7.4 ms with
// 256 entries, 9.4 ms with 128 and 28 ms with 64.
constexpr size_t kIntervalMemoEntries = 256;
}  // namespace

size_t HbmTimingEngine::KeyHash::operator()(const std::vector<int64_t>& key) const {
  WordHash hash;
  for (int64_t value : key) hash.mix(uint64_t(value));
  return size_t(hash.hash ^ (hash.hash >> 29));
}

bool HbmTimingEngine::interval_keyable(const PeriodScope& scope, const PeriodSnapshot& snapshot) const {
  return snapshot.lo >= refi_ && scope.t_eff <= snapshot.lo && snapshot.ring[0] >= 0;
}

void HbmTimingEngine::interval_key(const PeriodScope& scope, const PeriodSnapshot& snapshot,
                                   std::vector<int64_t>& key) const {
  const int64_t epoch = epoch_of(snapshot.ref);
  key.clear();
  key.push_back(scope.is_write);
  key.push_back(int64_t(snapshot.position % scope.block_units));
  key.push_back(snapshot.ref - epoch * refi_);
  key.insert(key.end(), snapshot.fields.begin(), snapshot.fields.end());
  for (int64_t act : snapshot.ring) key.push_back(act - snapshot.ref);
  for_each_bit(scope.banks, [&](unsigned b) { key.push_back(banks_[b].epoch - epoch); });
}

uint64_t HbmTimingEngine::interval_boundary(const PeriodScope& scope, uint64_t units_left, int64_t* shift) {
  PeriodState& p = period_;
  p.memo_epoch = epoch_of(p.cur.ref);
  if (p.recording) {
    if (interval_memo_.size() >= kIntervalMemoEntries) interval_memo_.clear();
    IntervalTransition& interval = interval_memo_[p.recording_key];
    interval.from = p.recording_from;
    interval.to = p.cur;
    interval.to_epochs.clear();
    for_each_bit(scope.banks, [&](unsigned b) { interval.to_epochs.push_back(banks_[b].epoch); });
    p.recording = false;
  }
  if (!interval_keyable(scope, p.cur)) return 0;
  interval_key(scope, p.cur, p.key);
  const auto found = interval_memo_.find(p.key);
  if (found != interval_memo_.end() && found->second.to.position - found->second.from.position <= units_left)
    return replay_interval(scope, found->second, shift);
  std::swap(p.recording_key, p.key);
  p.recording_from = p.cur;
  p.recording = true;
  return 0;
}

// Sound for the reason try_jump() is, with the shift a multiple of tREFI: equal keys make the current
// state the recorded one shifted by whole refresh intervals (all times past the first window), and the
// rules of an interval, refresh included, commute with such a shift. Every field is set from the
// recorded end state, shifted: one that the interval left alone was equal to the start's, shifted alike.
uint64_t HbmTimingEngine::replay_interval(const PeriodScope& scope, const IntervalTransition& interval, int64_t* shift) {
  const PeriodSnapshot &from = interval.from, &to = interval.to, &now = period_.cur;
  const int64_t delta = now.ref - from.ref;
  const int64_t base = to.ref + delta;
  const int64_t rows = now.row_base - from.row_base;
  const int64_t epochs = delta / refi_;
  const int64_t* field = to.fields.data() + (scope.host ? 0 : 1);
  size_t index = 0;
  for_each_bit(scope.banks, [&](unsigned b) {
    Bank& bank = banks_[b];
    bank.act_time = *field++ + base;
    bank.earliest_act = *field++ + base;
    bank.earliest_pre = *field++ + base;
    bank.busy_until = *field++ + base;
    const int64_t open_row = *field++;
    bank.open_row = open_row == INT64_MIN ? -1 : open_row + to.row_base + rows;
    bank.epoch = interval.to_epochs[index] + epochs;
    hbm::add_repeated(stats_.banks[b], to.stats[index], from.stats[index], 1);
    ++index;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    groups_[g].last_act = *field++ + base;
    groups_[g].last_col = *field++ + base;
  });
  last_act_ = *field++ + base;
  last_col_ = *field++ + base;
  if (scope.host) bus_free_ = *field++ + base;
  for (unsigned i = 0; i < 4; ++i) recent_acts_[i] = to.ring[i] + delta;
  oldest_act_ = 0;
  stats_.bus_busy_ps += to.bus_busy_ps - from.bus_busy_ps;
  const uint64_t units = to.position - from.position;
  skipped_accesses_ += units;
  ++interval_memo_hits_;
  *shift = to.ref - from.ref;
  return units;
}

// Sound because a step is a deterministic function of the snapshot's state, built from max() and
// additions only, as long as every command time it evaluates is either (a) outside every refresh window
// and inside one refresh interval (then the refresh rules act as the identity and the step commutes with
// any time shift), or (b) the shift is a multiple of tREFI and all times are past the first window (the
// refresh rules commute with such shifts). Every command of the step lies in [from.lo, to.hi]: each one
// is bounded below by a field of `from` (PRE >= earliest_pre, ACT >= last_act_ + tRRD_S, column >=
// last_col_ + tCCD_S) and above by a field of `to`. ACT-ring entries older than what tRRD_S already
// imposes can never bind again and are allowed to differ; the rest must shift like everything else.
uint64_t HbmTimingEngine::try_jump(const PeriodScope& scope, const PeriodSnapshot& from, const PeriodSnapshot& to,
                                   uint64_t units_left, int64_t* shift) {
  const int64_t period = to.ref - from.ref;
  const uint64_t units = to.position - from.position;
  if (period <= 0 || units == 0) return 0;
  if (units % scope.block_units != 0) {
    const uint64_t block = from.position / scope.block_units;
    if (scope.inner_units == 0 || units % scope.inner_units != 0 || to.position / scope.block_units != block) return 0;
    units_left = std::min(units_left, (block + 1) * scope.block_units - to.position);
  }
  if (units_left < units) return 0;
  // A host request's runs all start at the arrival time; it must never be the binding term.
  if (scope.host && scope.t_eff > from.lo) return 0;
  uint64_t steps = units_left / units;
  int64_t epochs_per_step = 0;
  if (config_.refresh) {
    if (period % refi_ == 0 && from.lo >= refi_) {
      epochs_per_step = period / refi_;
    } else {
      const int64_t epoch = epoch_of(from.lo);
      if (from.lo < 0 || outside_refresh(from.lo) != from.lo || epoch_of(to.hi) != epoch) return 0;
      steps = std::min(steps, uint64_t(((epoch + 1) * refi_ - 1 - to.hi) / period));
    }
  }
  if (steps == 0) return 0;
  const uint64_t pushes = to.pushes - from.pushes;
  bool fixed_fields = false;
  for (size_t i = 0; i < to.fields.size(); ++i) {
    if (from.fields[i] == to.fields[i]) continue;
    const int64_t value = to.fields[i] + to.ref;
    const FieldKind kind = FieldKind(period_.kinds[i]);
    if (kind == kMoves || kind == kRowOffset || from.fields[i] + from.ref != value) return 0;
    // Every column of the step and later ones comes >= from's last_col_ + tCCD_S: an ACT time this old
    // cannot bind a column again, and without ACTs nobody reads the ACT-only fields.
    if (kind == kActOnly && pushes != 0) return 0;
    if (kind == kActTime && value + std::max(rcdrd_, rcdwr_) > from.ref + ccds_) return 0;
    fixed_fields = true;
  }
  // A field that stays put while the times move by whole refresh intervals would change its refresh epoch.
  if (fixed_fields && epochs_per_step != 0) return 0;
  if (pushes != 0)
    for (unsigned i = 0; i < 4; ++i) {
      const bool stale = from.ring[i] + faw_ <= from.last_act + rrds_ && to.ring[i] + faw_ <= to.last_act + rrds_;
      if (!stale && to.ring[i] - from.ring[i] != period) return 0;
    }

  const int64_t delta = int64_t(steps) * period;
  const int64_t rows = int64_t(steps) * (to.row_base - from.row_base);
  const int64_t epochs = int64_t(steps) * epochs_per_step;
  size_t index = 0, field = scope.host ? 0 : 1;  // fields in take_snapshot()'s order (t first for streams)
  const auto move = [&](int64_t& value) {
    if (from.fields[field] == to.fields[field]) value += delta;
    ++field;
  };
  for_each_bit(scope.banks, [&](unsigned b) {
    Bank& bank = banks_[b];
    move(bank.act_time);
    move(bank.earliest_act);
    move(bank.earliest_pre);
    move(bank.busy_until);
    ++field;
    bank.epoch += epochs;
    if (bank.open_row >= 0) bank.open_row += rows;
    hbm::add_repeated(stats_.banks[b], to.stats[index], from.stats[index], steps);
    ++index;
  });
  for_each_bit(scope.groups, [&](unsigned g) {
    move(groups_[g].last_act);
    move(groups_[g].last_col);
  });
  last_col_ += delta;
  if (scope.host) bus_free_ += delta;
  stats_.bus_busy_ps += steps * (to.bus_busy_ps - from.bus_busy_ps);
  // The ring ends with the last step's ACTs: those of `to`'s step, shifted. last_act_ follows.
  const unsigned kept = unsigned(std::min<uint64_t>(pushes, 4));
  for (uint64_t step = steps > 3 ? steps - 3 : 1; step <= steps && kept > 0; ++step)
    for (unsigned i = 4 - kept; i < 4; ++i) push_activation(to.ring[i] + int64_t(step) * period);
  if (!scope.host) stream_acts_ += steps * pushes;
  skipped_accesses_ += steps * units;
  *shift = delta;
  return steps * units;
}

}  // namespace aqpim::models
