// Timing engine against independent formulas. Every expected figure is written out from the HBM3 6400
// numbers below (never read back from the engine), so a wrong default or a wrong rule fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "models/hbm_timing.h"

namespace aqpim::models {
using namespace hwif;
namespace {

// The HBM3 6400 Mbps bin, in tCK, plus the two assumed values (nRTP, nCWL).
constexpr int64_t kTck = 625;  // ps
constexpr int64_t nCL = 20, nRCDRD = 31, nRCDWR = 15, nRP = 26, nRAS = 45, nRC = 72, nWR = 26, nCCDS = 2, nCCDL = 4,
                  nRRDS = 4, nRRDL = 5, nFAW = 24, nRFC = 320, nREFI = 6240, nRTP = 4, nCWL = 8;
// 32-bit pseudo-channel at 6.4 Gbit/s per pin: 25.6 GB/s = 0.0256 bytes per ps; a 32-byte burst = 1250 ps.
constexpr double kPeakBytesPerPs = 32 * 6.4 / 8 / 1000;
constexpr int64_t kBurst = 1250;
constexpr uint64_t kAccess = 32;

HbmTimingConfig config_with(HbmAddressMapping mapping, HbmPagePolicy policy = HbmPagePolicy::Open,
                            bool refresh = false) {
  HbmTimingConfig config;
  config.mapping = mapping;
  config.page_policy = policy;
  config.refresh = refresh;
  return config;
}

// RoBaBgCoCh: row x 16 KiB + bank x 4 KiB + bank_group x 1 KiB + column x 32.
uint64_t ro_ba_bg_co(uint64_t row, unsigned bank_group, unsigned bank, uint64_t column = 0) {
  return row * 16384 + bank * 4096 + bank_group * 1024 + column * 32;
}

TEST(HbmTiming, DefaultsAreTheHbm3_6400SpeedBin) {
  const HbmTimingConfig config;
  const HbmTimingCycles& c = config.cycles;
  EXPECT_EQ(config.tck_ps, uint64_t(kTck));
  EXPECT_EQ(config.burst_ps, uint64_t(kBurst));
  EXPECT_EQ(c.nCL, nCL);
  EXPECT_EQ(c.nRCDRD, nRCDRD);
  EXPECT_EQ(c.nRCDWR, nRCDWR);
  EXPECT_EQ(c.nRP, nRP);
  EXPECT_EQ(c.nRAS, nRAS);
  EXPECT_EQ(c.nRC, nRC);
  EXPECT_EQ(c.nCCDS, nCCDS);
  EXPECT_EQ(c.nCCDL, nCCDL);
  EXPECT_EQ(c.nRRDS, nRRDS);
  EXPECT_EQ(c.nRRDL, nRRDL);
  EXPECT_EQ(c.nFAW, nFAW);
  EXPECT_EQ(c.nRFC, nRFC);
  EXPECT_EQ(c.nREFI, nREFI);
  EXPECT_EQ(config.geometry.capacity_bytes(), uint64_t(32768) * 1024 * 16);
}

TEST(HbmTiming, UnloadedLatencies) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  // Idle (precharged) bank: ACT, tRCD, CL, one burst.
  EXPECT_EQ(engine.access(0, ro_ba_bg_co(0, 0, 0), 32, false), uint64_t((nRCDRD + nCL) * kTck + kBurst));
  // Another row open in the bank: PRE first, (nRP + nRCD + nCL) x tCK, then the burst.
  const uint64_t later = 1'000'000;
  EXPECT_EQ(engine.access(later, ro_ba_bg_co(1, 0, 0), 32, false) - later, uint64_t((nRP + nRCDRD + nCL) * kTck + kBurst));
  // Row hit.
  EXPECT_EQ(engine.access(2 * later, ro_ba_bg_co(1, 0, 0, 5), 32, false) - 2 * later, uint64_t(nCL * kTck + kBurst));
  // Write to an idle bank: tRCD(WR), write latency, burst.
  EXPECT_EQ(engine.access(3 * later, ro_ba_bg_co(0, 2, 1), 32, true) - 3 * later, uint64_t((nRCDWR + nCWL) * kTck + kBurst));
}

TEST(HbmTiming, ClosedPagePolicyPrechargesBehindEveryAccess) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh, HbmPagePolicy::Closed));
  engine.access(0, ro_ba_bg_co(0, 0, 0), 64, false);
  const uint64_t later = 1'000'000;
  // The precharge happened long ago: no tRP in the path, and no row hit either.
  EXPECT_EQ(engine.access(later, ro_ba_bg_co(1, 0, 0), 32, false) - later, uint64_t((nRCDRD + nCL) * kTck + kBurst));
  EXPECT_EQ(engine.access(2 * later, ro_ba_bg_co(1, 0, 0), 32, false) - 2 * later, uint64_t((nRCDRD + nCL) * kTck + kBurst));
  EXPECT_EQ(engine.stats().total().row_hits, 1u);  // only the second half of the first 64-byte request
  EXPECT_EQ(engine.stats().total().activations, 3u);
}

TEST(HbmTiming, RowHitStreamAcrossBankGroupsRunsAtPeakBandwidth) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoCoBaBgCh));
  engine.access(0, 0, 16 * kAccess, false);  // opens row 0 in all 16 banks
  const uint64_t start = 1'000'000;
  const uint64_t bytes = 16384 - 16 * kAccess;  // the rest of row 0 everywhere: all hits
  const uint64_t done = engine.access(start, 16 * kAccess, bytes, false);
  const double data_time = double(done - start - nCL * kTck);
  EXPECT_DOUBLE_EQ(double(bytes) / data_time, kPeakBytesPerPs);
}

double stream_bandwidth(HbmAddressMapping mapping, uint64_t total_bytes, uint64_t request_bytes) {
  HbmTimingEngine engine(config_with(mapping, HbmPagePolicy::Open, true));
  uint64_t done = 0;
  for (uint64_t address = 0; address < total_bytes; address += request_bytes)
    done = std::max(done, engine.access(0, address, request_bytes, false));
  return double(total_bytes) / double(done);
}

TEST(HbmTiming, LongSequentialStreamReachesNinetyPercentOfPeakLessRefresh) {
  const double ceiling = kPeakBytesPerPs * (1.0 - double(nRFC) / double(nREFI));
  const double achieved = stream_bandwidth(HbmAddressMapping::RoCoBaBgCh, 8 << 20, 64);
  EXPECT_GE(achieved, 0.9 * ceiling);
  EXPECT_LE(achieved, ceiling);
  RecordProperty("bank_group_interleaved_fraction_of_peak", std::to_string(achieved / kPeakBytesPerPs));
  // Column-lowest mappings keep a sequential stream in one bank for a whole row: tCCD_L, not the bus,
  // paces it, except for the tCCD_S step into the next bank group: 32 bursts per 31 x nCCDL + nCCDS.
  const double same_group = stream_bandwidth(HbmAddressMapping::RoBaBgCoCh, 8 << 20, 64);
  const double same_group_ceiling = ceiling * double(32 * kBurst) / double((31 * nCCDL + nCCDS) * kTck);
  EXPECT_GE(same_group, 0.9 * same_group_ceiling);
  EXPECT_LE(same_group, same_group_ceiling);
}

TEST(HbmTiming, RowMissesInOneBankArePacedByTRC) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  uint64_t done = 0;
  const int requests = 64;
  for (int row = 0; row < requests; ++row) done = std::max(done, engine.access(0, ro_ba_bg_co(row, 0, 0), 32, false));
  // nRAS + nRP = 71 < nRC = 72, so tRC is the period.
  EXPECT_EQ(done, uint64_t((requests - 1) * nRC * kTck + (nRCDRD + nCL) * kTck + kBurst));
}

TEST(HbmTiming, RowMissesAcrossBankGroupsArePacedByTFAW) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  uint64_t done = 0;
  const int requests = 64;
  for (int i = 0; i < requests; ++i)  // bank group fastest, a new row each time
    done = std::max(done, engine.access(0, ro_ba_bg_co(i, i % 4, (i / 4) % 4), 32, false));
  // Four ACTs tRRD_S apart, then the fifth waits for tFAW after the first.
  const int64_t last_act = ((requests - 1) / 4) * nFAW + ((requests - 1) % 4) * nRRDS;
  EXPECT_EQ(done, uint64_t((last_act + nRCDRD + nCL) * kTck + kBurst));
}

TEST(HbmTiming, ActivatesInOneBankGroupArePacedByTRRDL) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  uint64_t done = 0;
  for (unsigned bank = 0; bank < 4; ++bank) done = std::max(done, engine.access(0, ro_ba_bg_co(7, 0, bank), 32, false));
  EXPECT_EQ(done, uint64_t((3 * nRRDL + nRCDRD + nCL) * kTck + kBurst));
}

TEST(HbmTiming, RandomRowStreamIsBoundedByTRCTFAWAndTRRD) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh, HbmPagePolicy::Open, true));
  std::mt19937_64 random(42);
  const int requests = 4000;
  uint64_t done = 0;
  for (int i = 0; i < requests; ++i) {
    const uint64_t address = (random() % engine.config().geometry.capacity_bytes()) & ~uint64_t(31);
    done = std::max(done, engine.access(0, address, 32, false));
  }
  const HbmStats& stats = engine.stats();
  const uint64_t acts = stats.total().activations;
  EXPECT_GT(acts, uint64_t(requests * 0.99));  // random rows: almost every access misses
  const double elapsed_tck = double(done) / kTck;
  EXPECT_GE(elapsed_tck, double(acts - 1) * nRRDS);
  EXPECT_GE(elapsed_tck, double((acts - 1) / 4) * nFAW);
  for (const auto& bank : stats.banks) EXPECT_GE(elapsed_tck, double(bank.activations - 1) * nRC);
  // In-order service can do worse than the tFAW bound, but never worse than one bank's tRC per request
  // (plus refresh).
  EXPECT_LE(elapsed_tck, double(requests) * nRC / (1.0 - double(nRFC) / nREFI));
}

TEST(HbmTiming, AnalyticRunsEqualBurstByBurstReference) {
  for (auto mapping : {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh}) {
    for (bool is_write : {false, true}) {
      HbmTimingEngine analytic(config_with(mapping, HbmPagePolicy::Open, true));
      HbmTimingEngine reference(config_with(mapping, HbmPagePolicy::Open, true));
      // Starts 200 tCK before the first refresh window, so runs are cut by it.
      const uint64_t start = uint64_t((nREFI - 200) * kTck);
      const uint64_t bytes = 48 * 1024, base = 3 * 16384 + 96;
      const uint64_t analytic_done = analytic.access(start, base, bytes, is_write);
      uint64_t reference_done = 0;
      for (uint64_t offset = 0; offset < bytes; offset += kAccess)
        reference_done = std::max(reference_done, reference.access(start, base + offset, kAccess, is_write));
      const std::string what = std::string(to_string(mapping)) + (is_write ? " write" : " read");
      EXPECT_EQ(analytic_done, reference_done) << what;
      for (size_t b = 0; b < analytic.stats().banks.size(); ++b) {
        const HbmBankStats& a = analytic.stats().banks[b];
        const HbmBankStats& r = reference.stats().banks[b];
        EXPECT_EQ(a.activations, r.activations) << what << " bank " << b;
        EXPECT_EQ(a.reads + a.writes, r.reads + r.writes) << what << " bank " << b;
        EXPECT_EQ(a.row_hits, r.row_hits) << what << " bank " << b;
        EXPECT_EQ(a.row_misses, r.row_misses) << what << " bank " << b;
        EXPECT_EQ(a.busy_ps, r.busy_ps) << what << " bank " << b;
      }
      EXPECT_EQ(analytic.stats().bus_busy_ps, reference.stats().bus_busy_ps) << what;
      // Both leave the channel in the same state.
      EXPECT_EQ(analytic.access(start, base + 5, 64, false), reference.access(start, base + 5, 64, false)) << what;
    }
  }
}

TEST(HbmTiming, RefreshBlocksTheChannelAndClosesRows) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh, HbmPagePolicy::Open, true));
  engine.access(0, ro_ba_bg_co(0, 0, 0), 32, false);  // row 0 open in bank 0
  // Arriving inside the first refresh window: wait for its end; the refresh closed row 0 (a miss, no tRP).
  const uint64_t inside = uint64_t(nREFI * kTck + 10);
  EXPECT_EQ(engine.access(inside, ro_ba_bg_co(0, 0, 0), 32, false), uint64_t((nREFI + nRFC + nRCDRD + nCL) * kTck + kBurst));
  EXPECT_EQ(engine.stats().total().row_hits, 0u);
}

TEST(HbmTiming, LateCallerWithEarlierArrivalQueuesBehindInCallOrder) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  const uint64_t first_arrival = 100'000;
  engine.access(first_arrival, ro_ba_bg_co(0, 0, 0), 32, false);
  // Arrives at 0 but is served second: its ACT follows the first ACT by tRRD_S.
  EXPECT_EQ(engine.access(0, ro_ba_bg_co(0, 1, 0), 32, false),
            first_arrival + uint64_t((nRRDS + nRCDRD + nCL) * kTck + kBurst));
}

TEST(HbmTiming, StatisticsCountAKnownMix) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  engine.access(0, ro_ba_bg_co(0, 0, 0), 64, false);     // bank 0: miss + hit
  engine.access(0, ro_ba_bg_co(0, 0, 0, 2), 32, true);   // bank 0: hit (write)
  engine.access(0, ro_ba_bg_co(1, 0, 0), 32, false);     // bank 0: miss
  engine.access(0, ro_ba_bg_co(0, 1, 0), 128, false);    // bank group 1 = flat bank 4: miss + 3 hits
  const HbmStats& stats = engine.stats();
  EXPECT_EQ(stats.host_requests, 4u);
  const HbmBankStats& bank0 = stats.banks[0];
  EXPECT_EQ(bank0.activations, 2u);
  EXPECT_EQ(bank0.reads, 3u);
  EXPECT_EQ(bank0.writes, 1u);
  EXPECT_EQ(bank0.row_hits, 2u);
  EXPECT_EQ(bank0.row_misses, 2u);
  EXPECT_EQ(bank0.bytes_read, 96u);
  EXPECT_EQ(bank0.bytes_written, 32u);
  const HbmBankStats& bank4 = stats.banks[4];
  EXPECT_EQ(bank4.activations, 1u);
  EXPECT_EQ(bank4.reads, 4u);
  EXPECT_EQ(bank4.row_hits, 3u);
  const HbmBankStats total = stats.total();
  EXPECT_EQ(total.activations, 3u);
  EXPECT_DOUBLE_EQ(total.row_hit_rate(), 5.0 / 8.0);
  EXPECT_EQ(stats.bus_busy_ps, uint64_t(8 * kBurst));
  EXPECT_EQ(total.pim_reads + total.pim_writes, 0u);
  for (size_t b = 0; b < stats.banks.size(); ++b)
    if (b != 0 && b != 4) {
      EXPECT_EQ(stats.banks[b].busy_ps, 0u);
    }
}

TEST(HbmTiming, BusyTimeOfAnIsolatedAccessRunsFromActToLastData) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  const uint64_t start = 5000;
  const uint64_t done = engine.access(start, ro_ba_bg_co(0, 3, 2), 32, false);
  EXPECT_EQ(engine.stats().banks[3 * 4 + 2].busy_ps, done - start);
  engine.reset_stats();
  EXPECT_EQ(engine.stats().total().busy_ps, 0u);
  EXPECT_EQ(engine.stats().banks.size(), 16u);
}

// Bank-side streams: per row one all-bank ACT, columns every tCCD_L, precharge; rows back to back.
int64_t pim_row_period(int64_t rcd, int64_t columns, int64_t recovery_tck_ps) {
  const int64_t precharge = std::max(nRAS * kTck, (rcd + (columns - 1) * nCCDL) * kTck + recovery_tck_ps);
  return std::max(nRC * kTck, precharge + nRP * kTck);
}

TEST(HbmTiming, BankStreamMatchesTheRowByRowFormula) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  const int64_t rows = 4, columns = 32;
  const uint64_t done = engine.bank_stream(0, 0xffff, 0, rows * 1024, false);
  const int64_t period = pim_row_period(nRCDRD, columns, nRTP * kTck);
  // With the defaults nRTP = nCCDL, so this is rows x (nRCD + columns x nCCDL + nRP) - tail.
  EXPECT_EQ(period, (nRCDRD + columns * nCCDL + nRP) * kTck);
  EXPECT_EQ(done, uint64_t((rows - 1) * period + (nRCDRD + (columns - 1) * nCCDL + nCL) * kTck + kBurst));
  const HbmStats& stats = engine.stats();
  EXPECT_EQ(stats.pim_requests, 1u);
  for (const auto& bank : stats.banks) {
    EXPECT_EQ(bank.pim_activations, uint64_t(rows));
    EXPECT_EQ(bank.pim_reads, uint64_t(rows * columns));
    EXPECT_EQ(bank.pim_bytes_read, uint64_t(rows * 1024));
    EXPECT_EQ(bank.reads + bank.activations, 0u);
  }
  EXPECT_EQ(stats.bus_busy_ps, 0u);  // no external bus
}

TEST(HbmTiming, BankStreamWritesWaitForWriteRecoveryAndPartialRowsCount) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh));
  // Bytes 512..1535 of banks 1 and 6: columns 16..31 of row 0, then columns 0..15 of row 1.
  const uint64_t done = engine.bank_stream(0, (1u << 1) | (1u << 6), 512, 1024, true);
  const int64_t period = pim_row_period(nRCDWR, 16, (nCWL + nWR) * kTck + kBurst);
  EXPECT_EQ(done, uint64_t(period + (nRCDWR + 15 * nCCDL + nCWL) * kTck + kBurst));
  EXPECT_EQ(engine.stats().banks[1].pim_writes, 32u);
  EXPECT_EQ(engine.stats().banks[6].pim_bytes_written, 1024u);
  EXPECT_EQ(engine.stats().banks[0].pim_writes, 0u);
}

TEST(HbmTiming, RefreshInterruptsABankStream) {
  HbmTimingEngine engine(config_with(HbmAddressMapping::RoBaBgCoCh, HbmPagePolicy::Open, true));
  const int64_t rows = 64, columns = 32;
  const int64_t period = pim_row_period(nRCDRD, columns, nRTP * kTck);
  const int64_t without_refresh = (rows - 1) * period + (nRCDRD + (columns - 1) * nCCDL + nCL) * kTck + kBurst;
  ASSERT_GT(without_refresh, nREFI * kTck);
  ASSERT_LT(without_refresh, 2 * (nREFI - nRFC) * kTck);  // exactly one window falls inside
  const int64_t done = int64_t(engine.bank_stream(0, 0xffff, 0, rows * 1024, false));
  EXPECT_GE(done, without_refresh + nRFC * kTck - period);
  EXPECT_LE(done, without_refresh + nRFC * kTck + period);
  EXPECT_EQ(engine.stats().banks[0].pim_reads, uint64_t(rows * columns));
}

TEST(HbmTiming, BadConfigsAreRejectedNamingTheField) {
  const auto message_of = [](const HbmTimingConfig& config) -> std::string {
    try {
      HbmTimingEngine engine(config);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "accepted";
  };
  HbmTimingConfig config;
  config.geometry.bank_groups = 0;
  EXPECT_NE(message_of(config).find("bank_groups"), std::string::npos) << message_of(config);
  config = HbmTimingConfig();
  config.cycles.nRC = 70;
  EXPECT_NE(message_of(config).find("nRC"), std::string::npos) << message_of(config);
  config = HbmTimingConfig();
  config.cycles.nREFI = 100;
  EXPECT_NE(message_of(config).find("nREFI"), std::string::npos) << message_of(config);
  config = HbmTimingConfig();
  config.cycles.nCCDL = 0;
  EXPECT_NE(message_of(config).find("nCCDL"), std::string::npos) << message_of(config);
}

}  // namespace
}  // namespace aqpim::models
