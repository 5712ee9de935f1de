// Both schedulers against the cycle-by-cycle reference controller (hbm_cycle_reference.h): every request's
// completion and the ACT count, on random configurations (speed bins with turnaround, geometries,
// mappings, page policies, refresh, queue depths) and random streams (reads, writes and mixes, hot rows
// and random rows, all at once, spread out and late callers). Plus the bank-parallel properties the
// issue asks for, against hand formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>

#include "models/hbm_timing.h"
#include "testbenches/unit/hbm_cycle_reference.h"
#include "testbenches/unit/hbm_timing_test_support.h"

namespace aqpim::models {
using namespace hwif;
using timing_test::between;
using timing_test::CycleReference;
using timing_test::pick;
namespace {

// A random valid configuration whose times all fall on the command clock (whole-cycle bursts), as the
// reference counts in cycles.
HbmTimingConfig random_cycle_config(std::mt19937_64& random, HbmScheduler scheduler) {
  HbmTimingConfig config = timing_test::random_config(random);
  config.geometry.rows_per_bank = pick<uint64_t>(random, {64, 4096});
  if (!config.address_bits.empty()) config.address_bits = timing_test::random_address_bits(random, config);
  config.burst_ps = config.tck_ps * between(random, 1, 3);
  if (config.cycles.nCCDS * config.tck_ps < config.burst_ps) config.cycles.nCCDS = unsigned(config.burst_ps / config.tck_ps);
  config.cycles.nCCDL = std::max(config.cycles.nCCDL, config.cycles.nCCDS);
  config.scheduler = scheduler;
  config.queue_depth = unsigned(pick<uint64_t>(random, {1, 2, 4, 8, 32}));
  return config;
}

struct Request {
  uint64_t arrival, address, length;
  bool write;
};

// Streams that make banks conflict: a few hot rows per bank or random rows, short requests.
Request random_request(std::mt19937_64& random, const HbmTimingConfig& config, uint64_t now, bool in_order) {
  const HbmGeometry& g = config.geometry;
  Request request;
  request.write = random() % 3 == 0;
  const uint64_t bank_row = g.row_bytes * g.banks();
  const uint64_t rows = std::min<uint64_t>(g.rows_per_bank, random() % 2 ? 3 : g.rows_per_bank);
  request.address = (random() % rows) * bank_row + random() % bank_row;
  request.length = pick<uint64_t>(random, {1, 32, 64, 64, 128, 200});
  request.address = std::min(request.address, g.capacity_bytes() - request.length);
  const uint64_t tck = config.tck_ps;
  switch (random() % (in_order ? 4 : 5)) {
    case 0: request.arrival = now; break;                            // together with the previous one
    case 1: request.arrival = now + tck * between(random, 1, 40); break;
    case 2: request.arrival = now + tck * between(random, 40, 400); break;
    case 3: request.arrival = now + tck * between(random, 0, 3); break;
    default: request.arrival = 0; break;  // a late caller (bank-parallel: admitted in call order anyway)
  }
  return request;
}

void expect_scheduler_matches_reference(HbmScheduler scheduler, int configs, int requests) {
  std::mt19937_64 random(scheduler == HbmScheduler::InOrder ? 11 : 13);
  for (int seed = 0; seed < configs; ++seed) {
    const HbmTimingConfig config = random_cycle_config(random, scheduler);
    HbmTimingEngine engine(config);
    CycleReference reference(config);
    uint64_t now = 0;
    for (int step = 0; step < requests; ++step) {
      const Request r = random_request(random, config, now, scheduler == HbmScheduler::InOrder);
      if (r.arrival > now) now = r.arrival;
      const uint64_t expected = reference.access(r.arrival, r.address, r.length, r.write);
      const uint64_t got = engine.access(r.arrival, r.address, r.length, r.write);
      ASSERT_EQ(got, expected) << "config " << seed << " request " << step << ": " << to_string(config.mapping)
                               << " " << config.geometry.bank_groups << "x" << config.geometry.banks_per_group
                               << (config.refresh ? " refresh" : "") << " depth " << config.queue_depth
                               << (r.write ? " write" : " read") << " at " << r.arrival << " address " << r.address
                               << " length " << r.length;
    }
    ASSERT_EQ(engine.stats().total().activations, reference.activations()) << "config " << seed;
  }
}

TEST(HbmScheduler, InOrderEqualsTheCycleByCycleReference) { expect_scheduler_matches_reference(HbmScheduler::InOrder, 150, 60); }

TEST(HbmScheduler, BankParallelEqualsTheCycleByCycleReference) {
  expect_scheduler_matches_reference(HbmScheduler::BankParallel, 150, 80);
}

// The HBM3 6400 defaults, in tCK.
constexpr int64_t kTck = 625, kBurst = 1250;
constexpr int64_t nCL = 20, nRCDRD = 31, nRP = 26, nRRDS = 4, nCCDS = 2;
constexpr uint64_t kLater = 1'000'000;  // on the clock: 1600 tCK

HbmTimingConfig no_refresh(HbmScheduler scheduler, unsigned queue_depth = 8) {
  HbmTimingConfig config;
  config.refresh = false;
  config.scheduler = scheduler;
  config.queue_depth = queue_depth;
  return config;
}
// RoBaBgCoCh: row x 16 KiB + bank x 4 KiB + bank_group x 1 KiB.
uint64_t address(uint64_t row, unsigned bank_group, unsigned bank) { return row * 16384 + bank * 4096 + bank_group * 1024; }

// One request waits on a bank conflict (PRE, tRP, then ACT); the next one is for an idle bank.
std::pair<uint64_t, uint64_t> conflict_then_idle_bank(HbmScheduler scheduler) {
  HbmTimingEngine engine(no_refresh(scheduler));
  engine.access(0, address(0, 0, 0), 32, false);  // row 0 open in bank 0 long before
  const uint64_t conflict = engine.access(kLater, address(1, 0, 0), 32, false) - kLater;
  const uint64_t idle = engine.access(kLater, address(0, 1, 0), 32, false) - kLater;
  return {conflict, idle};
}

TEST(HbmScheduler, InOrderHoldsAnIdleBankBehindAnEarlierConflict) {
  const auto [conflict, idle] = conflict_then_idle_bank(HbmScheduler::InOrder);
  EXPECT_EQ(conflict, uint64_t((nRP + nRCDRD + nCL) * kTck + kBurst));
  // Its ACT may not go before the earlier request's: tRRD_S after it.
  EXPECT_EQ(idle, uint64_t((nRP + nRRDS + nRCDRD + nCL) * kTck + kBurst));
}

TEST(HbmScheduler, BankParallelLetsAReadyBankGoAhead) {
  const auto [conflict, idle] = conflict_then_idle_bank(HbmScheduler::BankParallel);
  EXPECT_EQ(conflict, uint64_t((nRP + nRCDRD + nCL) * kTck + kBurst));
  EXPECT_EQ(idle, uint64_t((nRCDRD + nCL) * kTck + kBurst));  // ACT right away: nRP > tRRD_S before the other
}

// With one run per bank queue, a second request for the busy bank is admitted only once the first has
// issued its column access, and the request behind it (another bank) waits for that admission too.
TEST(HbmScheduler, AFullBankQueueHoldsUpTheRequestsBehindIt) {
  for (unsigned depth : {1u, 2u}) {
    HbmTimingEngine engine(no_refresh(HbmScheduler::BankParallel, depth));
    engine.access(0, address(0, 0, 0), 32, false);
    engine.access(kLater, address(1, 0, 0), 32, false);  // PRE at 0, ACT at nRP, column at nRP + nRCD
    engine.access(kLater, address(2, 0, 0), 32, false);  // the same bank again
    const uint64_t behind = engine.access(kLater, address(0, 1, 0), 32, false) - kLater;
    const int64_t admitted = depth == 1 ? nRP + nRCDRD : 0;
    EXPECT_EQ(behind, uint64_t((admitted + nRCDRD + nCL) * kTck + kBurst)) << "queue depth " << depth;
  }
}

// A bank stream is not in the timeline: host requests after it go after its commands.
TEST(HbmScheduler, BankParallelHostRequestsAfterABankStreamFollowIt) {
  HbmTimingEngine engine(no_refresh(HbmScheduler::BankParallel));
  for (unsigned group = 0; group < 4; ++group) engine.access(kLater, address(0, group, 1), 64, false);
  const uint64_t stream = engine.bank_stream(kLater, 0x1111, 0, 1024, false);  // bank 0 of each group
  const uint64_t host = engine.access(kLater, address(3, 2, 2), 32, false);
  EXPECT_GE(host, stream + uint64_t(nCCDS * kTck));  // its column >= the stream's last + tCCD_S
}

// A bank stream long after the last host request: the host timeline must not stretch across the gap
// (it did once: tens of GB for a stream ten seconds later).
TEST(HbmScheduler, BankParallelForgetsTheGapBeforeALateBankStream) {
  HbmTimingEngine engine(no_refresh(HbmScheduler::BankParallel));
  engine.access(0, address(0, 0, 0), 32, false);
  const uint64_t late = 10'000'000'000'000;  // 10 s
  const uint64_t stream = engine.bank_stream(late, 0xffff, 0, 1024, false);
  EXPECT_GE(engine.access(late, address(5, 1, 1), 32, false), stream + uint64_t(nCCDS * kTck));
}

}  // namespace
}  // namespace aqpim::models
