// Shared by the HBM timing tests that compare a fast path with the step-by-step reference: counter and
// state comparison, random valid configurations and random requests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <random>
#include <string>

#include "models/hbm_timing.h"

namespace aqpim::models::timing_test {
using namespace hwif;

inline ::testing::AssertionResult same_stats(const HbmStats& a, const HbmStats& b) {
  if (a.host_requests != b.host_requests || a.pim_requests != b.pim_requests || a.bus_busy_ps != b.bus_busy_ps)
    return ::testing::AssertionFailure() << "channel counters differ: requests " << a.host_requests << "/"
                                         << b.host_requests << ", pim " << a.pim_requests << "/" << b.pim_requests
                                         << ", bus " << a.bus_busy_ps << "/" << b.bus_busy_ps;
  for (size_t i = 0; i < a.banks.size(); ++i) {
    const HbmBankStats& x = a.banks[i];
    const HbmBankStats& y = b.banks[i];
    const uint64_t xs[] = {x.activations, x.reads,      x.writes,         x.row_hits,       x.row_misses,
                           x.bytes_read,  x.bytes_written, x.pim_activations, x.pim_reads,  x.pim_writes,
                           x.pim_bytes_read, x.pim_bytes_written, x.busy_ps};
    const uint64_t ys[] = {y.activations, y.reads,      y.writes,         y.row_hits,       y.row_misses,
                           y.bytes_read,  y.bytes_written, y.pim_activations, y.pim_reads,  y.pim_writes,
                           y.pim_bytes_read, y.pim_bytes_written, y.busy_ps};
    for (size_t f = 0; f < sizeof xs / sizeof xs[0]; ++f)
      if (xs[f] != ys[f])
        return ::testing::AssertionFailure() << "bank " << i << " counter #" << f << ": " << xs[f] << " vs " << ys[f];
  }
  return ::testing::AssertionSuccess();
}

template <class T>
T pick(std::mt19937_64& random, std::initializer_list<T> values) {
  return *(values.begin() + random() % values.size());
}

inline uint64_t between(std::mt19937_64& random, uint64_t lo, uint64_t hi) { return lo + random() % (hi - lo + 1); }

// A bit-list mapping: the named one's letters shuffled (the row kept on top when rows are not a power of
// two, as they must be).
inline std::string random_address_bits(std::mt19937_64& random, const HbmTimingConfig& config) {
  std::string bits = HbmAddressMap(config.mapping, config.geometry).bits();
  const uint64_t rows = config.geometry.rows_per_bank;
  const size_t fixed = (rows & (rows - 1)) == 0 ? 0 : bits.find_first_not_of('R');
  std::shuffle(bits.begin() + std::min(fixed, bits.size()), bits.end(), random);
  return bits;
}

inline HbmTimingConfig random_config(std::mt19937_64& random) {
  HbmTimingConfig config;
  config.geometry.bank_groups = pick<unsigned>(random, {1, 2, 4, 4, 8});
  config.geometry.banks_per_group = pick<unsigned>(random, {1, 2, 4, 4});
  config.geometry.rows_per_bank = pick<uint64_t>(random, {300, 4096, 32768});
  config.geometry.row_bytes = pick<uint64_t>(random, {256, 1024, 1024, 2048});
  config.mapping = pick(random, {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh,
                                 HbmAddressMapping::ChRoBaBgCo, HbmAddressMapping::RoBgBaCoCh});
  if (random() % 4 == 0) config.address_bits = random_address_bits(random, config);
  config.page_policy = random() % 3 == 0 ? HbmPagePolicy::Closed : HbmPagePolicy::Open;
  config.refresh = random() % 5 != 0;
  if (random() % 2) {  // a random, valid speed bin
    HbmTimingCycles& c = config.cycles;
    c.nCL = unsigned(between(random, 8, 30));
    c.nCWL = unsigned(between(random, 2, 12));
    c.nRCDRD = unsigned(between(random, 8, 35));
    c.nRCDWR = unsigned(between(random, 6, 35));
    c.nRP = unsigned(between(random, 8, 30));
    c.nRAS = unsigned(between(random, 20, 60));
    c.nRC = c.nRAS + c.nRP + unsigned(between(random, 0, 12));
    c.nWR = unsigned(between(random, 4, 40));
    c.nRTP = unsigned(between(random, 1, 12));
    c.nCCDS = unsigned(between(random, 1, 4));
    c.nCCDL = c.nCCDS + unsigned(between(random, 0, 4));
    c.nRRDS = unsigned(between(random, 1, 6));
    c.nRRDL = c.nRRDS + unsigned(between(random, 0, 4));
    c.nFAW = unsigned(between(random, 4, 80));
    c.nRFC = unsigned(between(random, 40, 400));
    c.nREFI = c.nRFC + unsigned(between(random, 700, 7000));
    c.nWTRS = unsigned(between(random, 0, 12));
    c.nWTRL = c.nWTRS + unsigned(between(random, 0, 8));
    c.nRTW = unsigned(between(random, 0, 30));
    config.burst_ps = pick<uint64_t>(random, {1250, 1250, 2500, 3100});
  }
  return config;
}

// A random request, applied identically to both engines (short ones go through the public API on both).
struct Op {
  bool stream = false;
  bool write = false;
  uint64_t arrival = 0, a = 0, b = 0, mask = 0;
};

inline Op random_op(std::mt19937_64& random, const HbmTimingConfig& config, uint64_t now, bool long_op) {
  const HbmGeometry& g = config.geometry;
  const uint64_t refi = uint64_t(config.cycles.nREFI) * config.tck_ps;
  Op op;
  op.stream = random() % 2;
  op.write = random() % 2;
  switch (random() % 5) {
    case 0: op.arrival = 0; break;                                             // late caller
    case 1: op.arrival = (now / refi + 1) * refi + random() % (refi / 8); break;  // at / inside a refresh
    default: op.arrival = now + random() % 200'000; break;
  }
  if (op.stream) {
    const uint64_t bank_bytes = g.bank_bytes();
    const uint64_t rows = long_op ? between(random, 4, std::min<uint64_t>(g.rows_per_bank - 1, 160)) : between(random, 0, 2);
    const uint64_t bytes = std::max<uint64_t>(1, rows * g.row_bytes + random() % g.row_bytes);
    op.b = std::min(bytes, bank_bytes);
    op.a = random() % (bank_bytes - op.b + 1);
    if (random() % 2) op.a -= op.a % g.row_bytes;  // row aligned
    const uint64_t all = g.banks() == 64 ? ~uint64_t(0) : (uint64_t(1) << g.banks()) - 1;
    op.mask = random() % 3 == 0 ? all : (random() & all);
    if (op.mask == 0) op.mask = 1;
  } else {
    const uint64_t address_row = g.row_bytes * g.banks();
    const uint64_t capacity = g.capacity_bytes();
    const uint64_t rows = long_op ? between(random, 4, std::min<uint64_t>(g.rows_per_bank - 1, 24)) : 0;
    op.b = std::min(capacity, std::max<uint64_t>(1, rows * address_row + random() % (long_op ? address_row : 300)));
    op.a = random() % (capacity - op.b + 1);
    if (random() % 2) op.a -= op.a % address_row;
  }
  return op;
}

inline uint64_t apply(HbmTimingEngine& engine, const Op& op, bool reference) {
  if (op.stream)
    return reference ? engine.bank_stream_reference(op.arrival, op.mask, op.a, op.b, op.write)
                     : engine.bank_stream(op.arrival, op.mask, op.a, op.b, op.write);
  return reference ? engine.access_reference(op.arrival, op.a, op.b, op.write) : engine.access(op.arrival, op.a, op.b, op.write);
}

inline std::string describe(const HbmTimingConfig& c, const Op& op, int seed, int step) {
  return "seed " + std::to_string(seed) + " step " + std::to_string(step) + ": " + to_string(c.mapping) + " " +
         (c.address_bits.empty() ? "" : "bits " + c.address_bits + " ") +
         std::to_string(c.geometry.bank_groups) + "x" + std::to_string(c.geometry.banks_per_group) + " banks, " +
         std::to_string(c.geometry.row_bytes) + " B rows, " + (c.page_policy == HbmPagePolicy::Closed ? "closed" : "open") +
         (c.refresh ? ", refresh" : ", no refresh") + "; " + (op.stream ? "stream" : "host") + (op.write ? " write" : " read") +
         " arrival " + std::to_string(op.arrival) + " a " + std::to_string(op.a) + " b " + std::to_string(op.b) +
         " mask " + std::to_string(op.mask);
}

}  // namespace aqpim::models::timing_test
