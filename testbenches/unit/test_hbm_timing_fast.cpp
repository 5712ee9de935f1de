// The periodic fast path of the timing engine (bank streams and host requests over many address rows)
// against the step-by-step reference it replaces: completion time, every statistic and the whole state
// left behind must be identical, over randomized geometries, timings, mappings, page policies, refresh
// on/off, warm states (open rows, pending constraints, late callers) and streams across refresh windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "models/hbm_timing.h"
#include "unit/hbm_timing_test_support.h"

namespace aqpim::models {
using namespace hwif;
namespace {

using namespace timing_test;

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

TEST(HbmTimingFastPath, IntervalMemoTellsReadsFromWrites) {
  // A long write queued right behind a long read (both arriving at 0) starts in a state the read's
  // intervals were recorded from; replaying them would time the write as reads (found in review).
  for (auto mapping : {HbmAddressMapping::RoCoBaBgCh, HbmAddressMapping::RoBaBgCoCh}) {
    HbmTimingConfig config;
    config.mapping = mapping;
    HbmTimingEngine fast(config), reference(config);
    const struct {
      uint64_t address, bytes;
      bool write;
    } requests[] = {{0, 8 << 20, false}, {8 << 20, 1024, false}, {(8 << 20) + 1024, 4 << 20, true},
                    {12 << 20, 4 << 20, false}};
    for (const auto& r : requests) {
      const std::string what = std::string(to_string(mapping)) + (r.write ? " write at " : " read at ") +
                               std::to_string(r.address);
      ASSERT_EQ(fast.access(0, r.address, r.bytes, r.write), reference.access_reference(0, r.address, r.bytes, r.write))
          << what;
      ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << what;
      ASSERT_TRUE(fast.same_state(reference)) << what;
    }
  }
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
      // Now and then the next request queues right behind this one (arrival 0), in either direction.
      now = random() % 3 == 0 ? 0 : done + random() % 3 * (random() % 20'000);
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
