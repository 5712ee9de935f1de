// The lockstep closed form of all-bank PIM streams (bank_stream()) against the row-by-row reference
// (bank_stream_reference()): completion, every statistic and the whole engine state must be identical after
// every stream, over thousands of random cases (masks, offsets, lengths with partial first and last rows,
// reads and writes, refresh on/off, page policies, warm random states with open rows and recent ACTs,
// streams across several refresh windows, back-to-back streams of one unit and interleaved host traffic).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "models/hbm_timing.h"
#include "unit/hbm_timing_test_support.h"

namespace aqpim::models {
using namespace hwif;
namespace {

using timing_test::between;
using timing_test::same_stats;

// Timings from wider ranges than the other randomized tests: tFAW sometimes binds an all-bank row stream.
HbmTimingConfig random_config(std::mt19937_64& random) {
  HbmTimingConfig config;
  const unsigned groups[] = {1, 2, 4, 4, 8};
  const unsigned per_group[] = {1, 2, 4, 4};
  const uint64_t row_bytes[] = {256, 1024, 1024, 2048};
  config.geometry.bank_groups = groups[random() % 5];
  config.geometry.banks_per_group = per_group[random() % 4];
  config.geometry.rows_per_bank = 4096;
  config.geometry.row_bytes = row_bytes[random() % 4];
  config.mapping = random() % 2 ? HbmAddressMapping::RoCoBaBgCh : HbmAddressMapping::RoBaBgCoCh;
  config.page_policy = random() % 3 == 0 ? HbmPagePolicy::Closed : HbmPagePolicy::Open;
  config.refresh = random() % 4 != 0;
  if (random() % 2) {  // a random, valid speed bin; tFAW sometimes binds an all-bank row stream
    HbmTimingCycles& c = config.cycles;
    c.nCL = unsigned(between(random, 8, 30));
    c.nCWL = unsigned(between(random, 2, 12));
    c.nRCDRD = unsigned(between(random, 4, 35));
    c.nRCDWR = unsigned(between(random, 4, 35));
    c.nRP = unsigned(between(random, 2, 30));
    c.nRAS = unsigned(between(random, 4, 60));
    c.nRC = c.nRAS + c.nRP + unsigned(between(random, 0, 12));
    c.nWR = unsigned(between(random, 1, 40));
    c.nRTP = unsigned(between(random, 1, 12));
    c.nCCDS = unsigned(between(random, 1, 4));
    c.nCCDL = c.nCCDS + unsigned(between(random, 0, 8));
    c.nRRDS = unsigned(between(random, 1, 8));
    c.nRRDL = c.nRRDS + unsigned(between(random, 0, 8));
    c.nFAW = unsigned(between(random, 4, 300));
    c.nRFC = unsigned(between(random, 20, 400));
    c.nREFI = c.nRFC + unsigned(between(random, 300, 5000));
    const uint64_t bursts[] = {1250, 2500, 3100};
    config.burst_ps = bursts[random() % 3];
  }
  return config;
}

struct Op {
  bool stream = true;
  bool write = false;
  uint64_t arrival = 0, offset = 0, bytes = 0, mask = 0;
};

std::string describe(const HbmTimingConfig& c, const Op& op, int seed, int step) {
  return "seed " + std::to_string(seed) + " step " + std::to_string(step) + ": " + std::to_string(c.geometry.bank_groups) +
         "x" + std::to_string(c.geometry.banks_per_group) + " banks, " + std::to_string(c.geometry.row_bytes) + " B rows, " +
         (c.page_policy == HbmPagePolicy::Closed ? "closed" : "open") + (c.refresh ? ", refresh" : ", no refresh") + "; " +
         (op.stream ? "stream" : "host") + (op.write ? " write" : " read") + " arrival " + std::to_string(op.arrival) +
         " offset " + std::to_string(op.offset) + " bytes " + std::to_string(op.bytes) + " mask " + std::to_string(op.mask);
}

// One random case: a warm engine (random host traffic and short streams first), then back-to-back
// streams, mostly by one "unit" (same mask, consecutive offsets, as the PIM units issue them).
::testing::AssertionResult run_case(int seed, uint64_t* lockstep_rows) {
  std::mt19937_64 random(uint64_t(seed) * 104729 + 17);
  const HbmTimingConfig config = random_config(random);
  const HbmGeometry& g = config.geometry;
  HbmTimingEngine fast(config), reference(config);
  const uint64_t refi = uint64_t(config.cycles.nREFI) * config.tck_ps;
  const uint64_t all = g.banks() == 64 ? ~uint64_t(0) : (uint64_t(1) << g.banks()) - 1;
  const uint64_t bank_bytes = g.bank_bytes();
  uint64_t now = random() % (refi * 3);
  uint64_t unit_mask = random() % 2 ? all : std::max<uint64_t>(1, random() & all);
  uint64_t unit_offset = random() % (bank_bytes / 2);
  for (int step = 0; step < 14; ++step) {
    Op op;
    const unsigned kind = unsigned(random() % 10);
    op.write = random() % 2;
    switch (random() % 6) {
      case 0: op.arrival = 0; break;                                                  // late caller
      case 1: op.arrival = (now / refi + 1) * refi + random() % (refi / 6); break;     // at / inside a window
      case 2: op.arrival = now; break;                                                // back to back
      default: op.arrival = now + random() % 100'000; break;
    }
    if (kind == 0) {  // host traffic: opens rows in some banks, pushes ACTs, moves the bus
      op.stream = false;
      op.bytes = 1 + random() % (g.row_bytes * 3);
      op.offset = random() % (g.capacity_bytes() - op.bytes + 1);
    } else {
      const uint64_t rows = kind <= 2 ? between(random, 0, 2) : kind <= 7 ? between(random, 3, 40) : between(random, 40, 400);
      op.bytes = std::min(bank_bytes, std::max<uint64_t>(1, rows * g.row_bytes + random() % g.row_bytes));
      if (kind % 3 == 0) {  // another unit somewhere else
        op.mask = random() % 3 == 0 ? all : std::max<uint64_t>(1, random() & all);
        op.offset = random() % (bank_bytes - op.bytes + 1);
        if (random() % 2) op.offset -= op.offset % g.row_bytes;
      } else {  // the same unit, continuing where it stopped (rows left open by its previous stream)
        op.mask = unit_mask;
        if (unit_offset + op.bytes > bank_bytes) unit_offset = random() % 4 * g.row_bytes;
        op.offset = unit_offset;
        unit_offset += op.bytes;
      }
    }
    const std::string what = describe(config, op, seed, step);
    uint64_t fast_done, reference_done;
    if (op.stream) {
      const uint64_t skipped = fast.skipped_accesses();
      fast_done = fast.bank_stream(op.arrival, op.mask, op.offset, op.bytes, op.write);
      reference_done = reference.bank_stream_reference(op.arrival, op.mask, op.offset, op.bytes, op.write);
      *lockstep_rows += (fast.skipped_accesses() - skipped) / g.columns_per_row();
    } else {
      fast_done = fast.access(op.arrival, op.offset, op.bytes, op.write);
      reference_done = reference.access_reference(op.arrival, op.offset, op.bytes, op.write);
    }
    if (fast_done != reference_done)
      return ::testing::AssertionFailure() << what << ": completion " << fast_done << " vs " << reference_done;
    if (auto same = same_stats(fast.stats(), reference.stats()); !same) return same << " (" << what << ")";
    if (!fast.same_state(reference)) return ::testing::AssertionFailure() << what << ": state differs";
    now = std::max(now, fast_done) + (random() % 3 == 0 ? random() % 20'000 : 0);
  }
  return ::testing::AssertionSuccess();
}

TEST(HbmTimingStream, LockstepClosedFormEqualsTheRowByRowReferenceExactly) {
  uint64_t lockstep_rows = 0;
  for (int seed = 0; seed < 3000; ++seed) ASSERT_TRUE(run_case(seed, &lockstep_rows));
  // The comparison means something only if the closed form really jumped over many rows.
  EXPECT_GT(lockstep_rows, uint64_t(100'000));
  RecordProperty("rows_in_closed_form", std::to_string(lockstep_rows));
}

TEST(HbmTimingStream, DefaultChannelShortUnitStreamsAcrossRefreshWindows) {
  // The platform's decode shape: 16 banks in lockstep, 8-130 rows per stream, back to back, reads and
  // writes alternating, for several refresh intervals.
  for (bool refresh : {true, false})
    for (auto policy : {HbmPagePolicy::Open, HbmPagePolicy::Closed}) {
      HbmTimingConfig config;
      config.mapping = HbmAddressMapping::RoCoBaBgCh;
      config.refresh = refresh;
      config.page_policy = policy;
      HbmTimingEngine fast(config), reference(config);
      uint64_t now = 0, offset = 0;
      std::mt19937_64 random(refresh * 2 + (policy == HbmPagePolicy::Open));
      for (int i = 0; i < 400; ++i) {
        const bool write = i % 5 == 4;
        const uint64_t bytes = between(random, 8, 130) * 1024 + (i % 7 == 0 ? 96 : 0);
        if (offset + bytes > config.geometry.bank_bytes()) offset = 0;
        const uint64_t done = fast.bank_stream(now, 0xffff, offset, bytes, write);
        ASSERT_EQ(done, reference.bank_stream_reference(now, 0xffff, offset, bytes, write)) << i;
        ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << i;
        ASSERT_TRUE(fast.same_state(reference)) << i;
        offset += bytes;
        now = done;
      }
      // Nearly every row was computed in closed form, not row by row.
      EXPECT_GT(fast.skipped_accesses(), fast.stats().banks[0].pim_reads / 2);
    }
}

TEST(HbmTimingStream, ReadAndWriteRowsOfEqualTimingKeepTheirOwnCounters) {
  // A speed bin where a read row and a write row have the same timing (tRCDRD = tRCDWR, tCL = tCWL, tRAS
  // covering both recoveries): their row end states are equal, only the counters tell them apart.
  HbmTimingConfig config;
  config.cycles.nRCDWR = config.cycles.nRCDRD;
  config.cycles.nCWL = config.cycles.nCL;
  config.cycles.nWR = 1;
  config.cycles.nRAS = 200;
  config.cycles.nRC = config.cycles.nRAS + config.cycles.nRP;
  HbmTimingEngine fast(config), reference(config);
  uint64_t now = 0;
  for (int i = 0; i < 40; ++i) {
    const bool write = i % 2;
    const uint64_t offset = uint64_t(i) * 24 * 1024;
    const uint64_t done = fast.bank_stream(now, 0xffff, offset, 24 * 1024, write);
    ASSERT_EQ(done, reference.bank_stream_reference(now, 0xffff, offset, 24 * 1024, write)) << i;
    ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << i;
    ASSERT_TRUE(fast.same_state(reference)) << i;
    now = done;
  }
  EXPECT_GT(fast.skipped_accesses(), uint64_t(40 * 24 * 32 / 2));
}

}  // namespace
}  // namespace aqpim::models
