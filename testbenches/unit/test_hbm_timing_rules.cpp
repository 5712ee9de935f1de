// Each HBM timing constraint in isolation, on three speed bins: a request pattern that only that
// constraint paces, and its completion worked out by hand from the bin's cycles (docs/models-hbm.md,
// "Timing"). The fast-path tests compare the engine with its own reference, which shares these rules; these
// tests are what catches a wrong rule (an off-by-one in the tFAW window, a write recovery from the wrong
// beat). The bins are written out here, never read from the engine's defaults.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/hbm_timing.h"

namespace aqpim::models {
namespace {

using hwif::HbmAddressMapping;

struct SpeedBin {
  const char* name;
  int64_t tck, burst;  // ps
  int64_t nCL, nCWL, nRCDRD, nRCDWR, nRP, nRAS, nRC, nWR, nRTP, nCCDS, nCCDL, nRRDS, nRRDL, nFAW, nRFC, nREFI;
};

const SpeedBin kBins[] = {
    // HBM3 6400 Mbps (the platform's bin), 4800 Mbps and 2000 Mbps: tCK, a BL8 burst, then the cycles.
    {"hbm3_6400", 625, 1250, 20, 8, 31, 15, 26, 45, 72, 26, 4, 2, 4, 4, 5, 24, 320, 6240},
    {"hbm3_4800", 833, 1667, 15, 6, 23, 11, 20, 34, 54, 20, 3, 2, 3, 3, 4, 18, 240, 4680},
    {"hbm_2000", 1000, 4000, 7, 4, 7, 5, 7, 17, 24, 8, 3, 4, 4, 4, 5, 20, 160, 3900},
};

HbmTimingConfig config_of(const SpeedBin& bin, bool refresh) {
  HbmTimingConfig config;  // 4 bank groups x 4 banks, 1 KiB rows, 32-byte accesses
  config.mapping = HbmAddressMapping::RoBaBgCoCh;
  config.refresh = refresh;
  config.tck_ps = uint64_t(bin.tck);
  config.burst_ps = uint64_t(bin.burst);
  HbmTimingCycles& c = config.cycles;
  c.nCL = unsigned(bin.nCL), c.nCWL = unsigned(bin.nCWL), c.nRCDRD = unsigned(bin.nRCDRD), c.nRCDWR = unsigned(bin.nRCDWR);
  c.nRP = unsigned(bin.nRP), c.nRAS = unsigned(bin.nRAS), c.nRC = unsigned(bin.nRC), c.nWR = unsigned(bin.nWR);
  c.nRTP = unsigned(bin.nRTP), c.nCCDS = unsigned(bin.nCCDS), c.nCCDL = unsigned(bin.nCCDL), c.nRRDS = unsigned(bin.nRRDS);
  c.nRRDL = unsigned(bin.nRRDL), c.nFAW = unsigned(bin.nFAW), c.nRFC = unsigned(bin.nRFC), c.nREFI = unsigned(bin.nREFI);
  return config;
}

// RoBaBgCoCh with 4 x 4 banks of 1 KiB rows: row x 16 KiB + bank x 4 KiB + bank group x 1 KiB + column x 32.
uint64_t address(uint64_t row, unsigned bank_group, unsigned bank, uint64_t column = 0) {
  return row * 16384 + bank * 4096 + bank_group * 1024 + column * 32;
}

class HbmTimingRule : public ::testing::TestWithParam<SpeedBin> {
 protected:
  const SpeedBin& b = GetParam();
  uint64_t ps(int64_t cycles) const { return uint64_t(cycles * b.tck); }
  // A read that opens a row in an idle bank completes tRCD + CL after its ACT, plus one burst.
  uint64_t read_done(int64_t act_cycles) const { return ps(act_cycles + b.nRCDRD + b.nCL) + uint64_t(b.burst); }
};

// Six ACTs to idle banks of alternating groups, all arriving at 0: tRRD_S apart, except that the fifth and
// sixth wait for tFAW after the first and the second (a count that is not a multiple of four).
TEST_P(HbmTimingRule, TFawHoldsTheFifthAndSixthActivate) {
  HbmTimingEngine engine(config_of(b, false));
  std::vector<int64_t> act(6);
  for (size_t i = 0; i < act.size(); ++i) {
    act[i] = i == 0 ? 0 : act[i - 1] + b.nRRDS;
    if (i >= 4) act[i] = std::max(act[i], act[i - 4] + b.nFAW);
    EXPECT_EQ(engine.access(0, address(i, unsigned(i % 4), unsigned(i / 4)), 32, false), read_done(act[i]))
        << "ACT " << i;
  }
  ASSERT_GT(act[4], act[3] + b.nRRDS) << "the bin does not exercise tFAW";
}

TEST_P(HbmTimingRule, TRrdSAcrossGroupsAndTRrdLWithinAGroup) {
  HbmTimingEngine engine(config_of(b, false));
  EXPECT_EQ(engine.access(0, address(0, 0, 0), 32, false), read_done(0));
  EXPECT_EQ(engine.access(0, address(0, 1, 0), 32, false), read_done(b.nRRDS));           // another group
  EXPECT_EQ(engine.access(0, address(0, 1, 1), 32, false), read_done(b.nRRDS + b.nRRDL));  // same group
}

// A row hit read long after its ACT, then a miss in the same bank: the PRE waits tRTP after that read.
TEST_P(HbmTimingRule, TRtpFromTheLastReadToThePrecharge) {
  HbmTimingEngine engine(config_of(b, false));
  engine.access(0, address(0, 2, 1), 32, false);
  const uint64_t t = 1'000'000;
  EXPECT_EQ(engine.access(t, address(0, 2, 1, 7), 32, false), t + ps(b.nCL) + uint64_t(b.burst));  // the hit
  EXPECT_EQ(engine.access(t, address(3, 2, 1), 32, false),
            t + ps(b.nRTP + b.nRP + b.nRCDRD + b.nCL) + uint64_t(b.burst));
}

// A row hit write, then a miss in the same bank: the PRE waits for the write's data (tCWL + tBL) and tWR.
TEST_P(HbmTimingRule, TWrFromTheLastWriteDataToThePrecharge) {
  HbmTimingEngine engine(config_of(b, false));
  engine.access(0, address(0, 3, 3), 32, true);
  const uint64_t t = 1'000'000;
  EXPECT_EQ(engine.access(t, address(0, 3, 3, 9), 32, true), t + ps(b.nCWL) + uint64_t(b.burst));  // the hit
  EXPECT_EQ(engine.access(t, address(5, 3, 3), 32, false),
            t + ps(b.nCWL) + uint64_t(b.burst) + ps(b.nWR + b.nRP + b.nRCDRD + b.nCL) + uint64_t(b.burst));
}

// Refresh windows [k tREFI, k tREFI + tRFC): a request arriving inside one starts after it; one whose read
// would fall inside it is cut, and the refresh having closed its row, it opens the row again afterwards.
TEST_P(HbmTimingRule, RefreshHoldsAndCutsRequests) {
  HbmTimingEngine inside(config_of(b, true));
  const int64_t second_window = 2 * b.nREFI;
  EXPECT_EQ(inside.access(ps(second_window) + 1, address(0, 0, 0), 32, false), read_done(second_window + b.nRFC));
  HbmTimingEngine cut(config_of(b, true));
  const int64_t act = b.nREFI - b.nRCDRD + 1;  // its read would issue one tCK into the first window
  EXPECT_EQ(cut.access(ps(act), address(0, 0, 0), 32, false), read_done(b.nREFI + b.nRFC));
  EXPECT_EQ(cut.stats().total().activations, 2u);
}

INSTANTIATE_TEST_SUITE_P(SpeedBins, HbmTimingRule, ::testing::ValuesIn(kBins),
                         [](const auto& bin) { return std::string(bin.param.name); });

}  // namespace
}  // namespace aqpim::models
