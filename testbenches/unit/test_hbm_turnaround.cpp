// Read/write turnaround (tWTR_S, tWTR_L, tRTW) and write latency against hand formulas. Every expected
// figure is written out from the default bin's numbers below, never read back from the engine.
#include <gtest/gtest.h>

#include "models/hbm_timing.h"

namespace aqpim::models {
using namespace hwif;
namespace {

constexpr int64_t kTck = 625;    // ps
constexpr int64_t kBurst = 1250;  // 32 bytes at 6.4 Gbit/s x 32 pins = 2 tCK
constexpr int64_t nCL = 20, nCWL = 8, nCCDS = 2, nWTRS = 10, nWTRL = 13, nRTW = 16, nBL = 2;

HbmTimingConfig no_refresh() {
  HbmTimingConfig config;
  config.mapping = HbmAddressMapping::RoBaBgCoCh;
  config.refresh = false;
  return config;
}

// RoBaBgCoCh: row x 16 KiB + bank x 4 KiB + bank_group x 1 KiB.
uint64_t address(unsigned bank_group, unsigned bank) { return bank * 4096 + bank_group * 1024; }

// Opens row 0 in the banks the tests use, long before `kLater`, so every later access is a row hit.
constexpr uint64_t kLater = 1'000'000;
void open_rows(HbmTimingEngine& engine) {
  for (auto [group, bank] : {std::pair{0u, 0u}, {0u, 1u}, {1u, 0u}}) engine.access(0, address(group, bank), 32, false);
}

TEST(HbmTurnaround, DefaultsAreTheDocumentedValues) {
  const HbmTimingCycles c;
  EXPECT_EQ(c.nWTRS, unsigned(nWTRS));
  EXPECT_EQ(c.nWTRL, unsigned(nWTRL));
  EXPECT_EQ(c.nRTW, unsigned(nRTW));
  EXPECT_EQ(c.nCWL, unsigned(nCWL));
  // tRTW = nCL + burst + 2 - nCWL (Ramulator 2's read-to-write rule, one tCK of write preamble).
  EXPECT_EQ(nRTW, nCL + nBL + 2 - nCWL);
}

TEST(HbmTurnaround, WriteLatencyIsCwlPlusTheBurst) {
  HbmTimingEngine engine(no_refresh());
  open_rows(engine);
  EXPECT_EQ(engine.access(kLater, address(0, 0), 32, true) - kLater, uint64_t(nCWL * kTck + kBurst));
}

TEST(HbmTurnaround, ReadAfterWriteInAnotherBankGroupWaitsTwtrS) {
  HbmTimingEngine engine(no_refresh());
  open_rows(engine);
  engine.access(kLater, address(0, 0), 32, true);  // WR at kLater
  // RD >= WR + nCWL + burst + nWTRS; then CL and the burst.
  const int64_t read = (nCWL + nBL + nWTRS) * kTck;
  EXPECT_EQ(engine.access(kLater, address(1, 0), 32, false) - kLater, uint64_t(read + nCL * kTck + kBurst));
}

TEST(HbmTurnaround, ReadAfterWriteInTheSameBankGroupWaitsTwtrL) {
  HbmTimingEngine engine(no_refresh());
  open_rows(engine);
  engine.access(kLater, address(0, 0), 32, true);
  const int64_t read = (nCWL + nBL + nWTRL) * kTck;
  EXPECT_EQ(engine.access(kLater, address(0, 1), 32, false) - kLater, uint64_t(read + nCL * kTck + kBurst));
}

TEST(HbmTurnaround, WriteAfterReadWaitsTrtw) {
  HbmTimingEngine engine(no_refresh());
  open_rows(engine);
  engine.access(kLater, address(0, 0), 32, false);  // RD at kLater
  // The bus alone would let the write's data follow the read's: WR >= RD + nCL + burst - nCWL = 14 tCK;
  // tRTW = 16 tCK binds.
  EXPECT_EQ(engine.access(kLater, address(1, 0), 32, true) - kLater, uint64_t((nRTW + nCWL) * kTck + kBurst));
}

TEST(HbmTurnaround, SameDirectionPaysNoTurnaround) {
  HbmTimingEngine engine(no_refresh());
  open_rows(engine);
  engine.access(kLater, address(0, 0), 32, true);
  EXPECT_EQ(engine.access(kLater, address(1, 0), 32, true) - kLater, uint64_t((nCCDS + nCWL) * kTck + kBurst));
}

TEST(HbmTurnaround, ZeroTurnaroundLeavesOnlyTheDataBus) {
  HbmTimingConfig config = no_refresh();
  config.cycles.nWTRS = config.cycles.nWTRL = config.cycles.nRTW = 0;
  HbmTimingEngine engine(config);
  open_rows(engine);
  engine.access(kLater, address(0, 0), 32, false);
  // RD at 0, its data ends at nCL + burst; the write's data may start there: WR = nCL + nBL - nCWL.
  EXPECT_EQ(engine.access(kLater, address(1, 0), 32, true) - kLater, uint64_t((nCL + nBL) * kTck + kBurst));
}

}  // namespace
}  // namespace aqpim::models
