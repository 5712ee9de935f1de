// The periodic fast path of the timing engine (bank streams and host requests over many address rows)
// against the step-by-step reference it replaces: completion time, every statistic and the whole state
// left behind must be identical, over randomized geometries, timings, mappings, page policies, refresh
// on/off, warm states (open rows, pending constraints, late callers) and streams across refresh windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "models/hbm_timing.h"

namespace aqpim::models {
namespace {

::testing::AssertionResult same_stats(const HbmStats& a, const HbmStats& b) {
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

uint64_t between(std::mt19937_64& random, uint64_t lo, uint64_t hi) { return lo + random() % (hi - lo + 1); }

HbmTimingConfig random_config(std::mt19937_64& random) {
  HbmTimingConfig config;
  config.geometry.bank_groups = pick<unsigned>(random, {1, 2, 4, 4, 8});
  config.geometry.banks_per_group = pick<unsigned>(random, {1, 2, 4, 4});
  config.geometry.rows_per_bank = pick<uint64_t>(random, {300, 4096, 32768});
  config.geometry.row_bytes = pick<uint64_t>(random, {256, 1024, 1024, 2048});
  config.mapping = pick(random, {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh,
                                 HbmAddressMapping::ChRoBaBgCo, HbmAddressMapping::RoBgBaCoCh});
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

Op random_op(std::mt19937_64& random, const HbmTimingConfig& config, uint64_t now, bool long_op) {
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

uint64_t apply(HbmTimingEngine& engine, const Op& op, bool reference) {
  if (op.stream)
    return reference ? engine.bank_stream_reference(op.arrival, op.mask, op.a, op.b, op.write)
                     : engine.bank_stream(op.arrival, op.mask, op.a, op.b, op.write);
  return reference ? engine.access_reference(op.arrival, op.a, op.b, op.write) : engine.access(op.arrival, op.a, op.b, op.write);
}

std::string describe(const HbmTimingConfig& c, const Op& op, int seed, int step) {
  return "seed " + std::to_string(seed) + " step " + std::to_string(step) + ": " + to_string(c.mapping) + " " +
         std::to_string(c.geometry.bank_groups) + "x" + std::to_string(c.geometry.banks_per_group) + " banks, " +
         std::to_string(c.geometry.row_bytes) + " B rows, " + (c.page_policy == HbmPagePolicy::Closed ? "closed" : "open") +
         (c.refresh ? ", refresh" : ", no refresh") + "; " + (op.stream ? "stream" : "host") + (op.write ? " write" : " read") +
         " arrival " + std::to_string(op.arrival) + " a " + std::to_string(op.a) + " b " + std::to_string(op.b) +
         " mask " + std::to_string(op.mask);
}

TEST(HbmTimingFastPath, RandomizedCasesEqualTheStepByStepReferenceExactly) {
  uint64_t skipped = 0, long_accesses = 0;
  for (int seed = 0; seed < 400; ++seed) {
    std::mt19937_64 random(uint64_t(seed) * 7919 + 1);
    const HbmTimingConfig config = random_config(random);
    HbmTimingEngine fast(config), reference(config);
    uint64_t now = random() % (uint64_t(config.cycles.nREFI) * config.tck_ps * 3);
    for (int step = 0; step < 12; ++step) {
      const bool long_op = step % 3 == 2;
      const Op op = random_op(random, config, now, long_op);
      const std::string what = describe(config, op, seed, step);
      const uint64_t fast_done = apply(fast, op, false);
      const uint64_t reference_done = apply(reference, op, true);
      ASSERT_EQ(fast_done, reference_done) << what;
      ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << what;
      ASSERT_TRUE(fast.same_state(reference)) << what;
      if (long_op) long_accesses += (op.b + 31) / 32;  // per bank for streams, as skipped_accesses() counts
      now = std::max(now, fast_done) + random() % 50'000;
    }
    skipped += fast.skipped_accesses();
  }
  // The comparison means something only if the fast path really jumped, over a good part of the work.
  EXPECT_GT(skipped, long_accesses / 4);
  RecordProperty("skipped_fraction", std::to_string(double(skipped) / double(long_accesses)));
}

TEST(HbmTimingFastPath, PlatformShapedStreamsSkipAlmostEverythingAndStayExact) {
  // Default HBM3 channel with the platform's mapping: all-bank PIM streams of ~500 rows and 8 MiB host
  // writes, back to back, as the platform issues them; both cross many refresh windows.
  HbmTimingConfig config;
  config.mapping = HbmAddressMapping::RoCoBaBgCh;
  HbmTimingEngine fast(config), reference(config);
  uint64_t now = 0;
  for (int i = 0; i < 6; ++i) {
    const bool write = i % 2;
    const uint64_t offset = uint64_t(i) * 512 * 1024 + (i == 3 ? 96 : 0);
    uint64_t done = fast.bank_stream(now, 0xffff, offset, 500 * 1024 + 64 * i, write);
    ASSERT_EQ(done, reference.bank_stream_reference(now, 0xffff, offset, 500 * 1024 + 64 * i, write)) << i;
    now = done;
    const uint64_t address = uint64_t(i) * (8 << 20) + (i == 5 ? 4096 + 32 : 0);
    done = fast.access(now, address, 8 << 20, !write);
    ASSERT_EQ(done, reference.access_reference(now, address, 8 << 20, !write)) << i;
    now = done;
    ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << i;
    ASSERT_TRUE(fast.same_state(reference)) << i;
  }
  // Nearly all of the 6 x 500 rows and 6 x 8 MiB were jumped over.
  const uint64_t accesses = 6 * (500 * 1024 + (8 << 20)) / 32;
  EXPECT_GT(fast.skipped_accesses(), uint64_t(0.8 * double(accesses)));
  RecordProperty("skipped_fraction", std::to_string(double(fast.skipped_accesses()) / double(accesses)));
}

TEST(HbmTimingFastPath, IntervalMemoReplaysRepeatedHostWritesExactly) {
  // The platform's prefill writes the same shapes again and again: 8 MiB, 2 MiB and 128 KiB per request,
  // each starting where the previous one left the channel, with reads and idle gaps in between.
  HbmTimingConfig config;
  config.mapping = HbmAddressMapping::RoCoBaBgCh;
  HbmTimingEngine fast(config), reference(config);
  const uint64_t sizes[] = {8 << 20, 2 << 20, 128 << 10};
  uint64_t now = 5000, address = 0;
  for (int i = 0; i < 30; ++i) {
    const uint64_t bytes = sizes[i % 3];
    const bool write = i % 7 != 3;
    const uint64_t done = fast.access(now, address, bytes, write);
    ASSERT_EQ(done, reference.access_reference(now, address, bytes, write)) << i;
    ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << i;
    ASSERT_TRUE(fast.same_state(reference)) << i;
    address = (address + bytes + (i % 4) * 16384) % (config.geometry.capacity_bytes() - (8 << 20));
    now = done + uint64_t(i % 5) * 1111;
  }
  // Replays must have happened for the comparison to cover them: each 8 MiB write spans ~85 intervals.
  EXPECT_GT(fast.interval_memo_hits(), 500u);
  RecordProperty("interval_memo_hits", std::to_string(fast.interval_memo_hits()));
}

TEST(HbmTimingFastPath, IntervalMemoIsExactOverRandomizedConfigurations) {
  uint64_t hits = 0;
  for (int seed = 0; seed < 120; ++seed) {
    std::mt19937_64 random(uint64_t(seed) * 104729 + 3);
    HbmTimingConfig config = random_config(random);
    config.refresh = true;
    const HbmGeometry& g = config.geometry;
    HbmTimingEngine fast(config), reference(config);
    const uint64_t address_row = g.row_bytes * g.banks();
    const uint64_t rows = between(random, 8, std::min<uint64_t>(g.rows_per_bank - 1, 48));
    const uint64_t bytes = std::min(g.capacity_bytes(), rows * address_row + (random() % 2) * address_row / 2);
    uint64_t now = random() % (uint64_t(config.cycles.nREFI) * config.tck_ps * 3);
    for (int step = 0; step < 8; ++step) {
      const uint64_t address = (random() % (g.capacity_bytes() - bytes + 1)) / address_row * address_row;
      const bool write = random() % 4 != 0;
      const std::string what = "seed " + std::to_string(seed) + " step " + std::to_string(step) + ": " +
                               to_string(config.mapping) + ", " + std::to_string(bytes) + " bytes at " + std::to_string(address);
      const uint64_t done = fast.access(now, address, bytes, write);
      ASSERT_EQ(done, reference.access_reference(now, address, bytes, write)) << what;
      ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << what;
      ASSERT_TRUE(fast.same_state(reference)) << what;
      now = done + random() % 3 * (random() % 20'000);
    }
    hits += fast.interval_memo_hits();
  }
  EXPECT_GT(hits, 100u);
  RecordProperty("interval_memo_hits", std::to_string(hits));
}

TEST(HbmTimingFastPath, EveryMappingAndPolicyOverManyRefreshWindows) {
  for (auto mapping : {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh, HbmAddressMapping::ChRoBaBgCo,
                       HbmAddressMapping::RoBgBaCoCh})
    for (auto policy : {HbmPagePolicy::Open, HbmPagePolicy::Closed})
      for (bool refresh : {true, false})
        for (bool write : {false, true}) {
          HbmTimingConfig config;
          config.mapping = mapping;
          config.page_policy = policy;
          config.refresh = refresh;
          HbmTimingEngine fast(config), reference(config);
          const std::string what = std::string(to_string(mapping)) + (policy == HbmPagePolicy::Open ? " open" : " closed") +
                                   (refresh ? " refresh" : "") + (write ? " write" : " read");
          // A warm state: a row open in some banks, the ACT ring and bus busy just before the requests.
          for (auto* engine : {&fast, &reference}) {
            engine->access(1000, 7 * 16384 + 64, 96, false);
            engine->bank_stream(2000, 0x0f0f, 100, 700, true);
          }
          EXPECT_EQ(fast.access(3000, 12345 * 32, 3 << 20, write), reference.access_reference(3000, 12345 * 32, 3 << 20, write)) << what;
          EXPECT_EQ(fast.bank_stream(0, 0xfffe, 2048 + 64, 300 * 1024, write),
                    reference.bank_stream_reference(0, 0xfffe, 2048 + 64, 300 * 1024, write)) << what;
          EXPECT_TRUE(same_stats(fast.stats(), reference.stats())) << what;
          EXPECT_TRUE(fast.same_state(reference)) << what;
        }
}

}  // namespace
}  // namespace aqpim::models
