// Counters of an HBM3 pseudo-channel's timing engine: per bank (host and bank-side traffic, busy time)
// and per channel.
#pragma once

#include <cstdint>
#include <vector>

namespace aqpim::models {

struct HbmBankStats {
  // Host side (through the external data bus); reads and writes count column accesses.
  uint64_t activations = 0;
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t row_hits = 0;
  uint64_t row_misses = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  // Bank side (PIM streams through BankAccessExtension).
  uint64_t pim_activations = 0;
  uint64_t pim_reads = 0;
  uint64_t pim_writes = 0;
  uint64_t pim_bytes_read = 0;
  uint64_t pim_bytes_written = 0;
  // Union of the intervals from a request's first command on this bank to its last data beat.
  uint64_t busy_ps = 0;

  HbmBankStats& operator+=(const HbmBankStats& other);
  // Row hits / (hits + misses) of host column accesses; 0 when there were none.
  double row_hit_rate() const;
};

struct HbmStats {
  std::vector<HbmBankStats> banks;  // flat bank index = bank_group x banks_per_group + bank
  uint64_t host_requests = 0;
  uint64_t pim_requests = 0;
  uint64_t bus_busy_ps = 0;  // data-bus occupancy: host column accesses x burst time

  HbmBankStats total() const;
};

namespace hbm {

// Every counter of HbmBankStats: what sums, differences and the shared memo's content hash walk, so that
// a new counter cannot be forgotten by one of them.
inline constexpr uint64_t HbmBankStats::*kBankCounters[] = {
    &HbmBankStats::activations,     &HbmBankStats::reads,          &HbmBankStats::writes,
    &HbmBankStats::row_hits,        &HbmBankStats::row_misses,     &HbmBankStats::bytes_read,
    &HbmBankStats::bytes_written,   &HbmBankStats::pim_activations, &HbmBankStats::pim_reads,
    &HbmBankStats::pim_writes,      &HbmBankStats::pim_bytes_read, &HbmBankStats::pim_bytes_written,
    &HbmBankStats::busy_ps};
static_assert(sizeof(HbmBankStats) == sizeof(kBankCounters) / sizeof(kBankCounters[0]) * sizeof(uint64_t),
              "HbmBankStats gained a field: add it to kBankCounters");

// into += times x (to - from), counter by counter: what `times` repetitions of a step from `from` to `to` add.
// Loops over kBankCounters are unrolled: the member pointers then fold into plain offsets, as cheap as
// thirteen written-out statements (the lockstep write-back runs this for every bank of every stream).
inline void add_repeated(HbmBankStats& into, const HbmBankStats& to, const HbmBankStats& from, uint64_t times) {
#pragma GCC unroll 16
  for (uint64_t HbmBankStats::*counter : kBankCounters) into.*counter += times * (to.*counter - from.*counter);
}
// into += after - before, for every bank and channel counter.
void add_difference(HbmStats& into, const HbmStats& after, const HbmStats& before);

}  // namespace hbm

inline HbmBankStats& HbmBankStats::operator+=(const HbmBankStats& other) {
#pragma GCC unroll 16
  for (uint64_t HbmBankStats::*counter : hbm::kBankCounters) this->*counter += other.*counter;
  return *this;
}

}  // namespace aqpim::models
