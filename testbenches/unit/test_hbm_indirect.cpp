// Intra-row indirection passes (hbm/indirect_pass.h) against formulas written from the HBM3 6400 timings:
// the activations one pass implies (each chunk reopens the index row, then each table row) and the pass's
// time, with refresh off exactly and with refresh on within a period per refresh window.
#include <gtest/gtest.h>

#include <memory>

#include "models/hbm_timing.h"

namespace aqpim::models {
namespace {

constexpr int64_t kTck = 625;
constexpr int64_t nCL = 20, nRCDRD = 31, nRP = 26, nRAS = 45, nRC = 72, nCCDL = 4, nRTP = 4, nRFC = 320, nREFI = 6240;
constexpr int64_t kBurstTck = 2;
constexpr uint64_t kAllBanks = 0xffff;

HbmTimingConfig config(bool refresh) {
  HbmTimingConfig config;
  config.refresh = refresh;
  return config;
}

// 2 sub-vectors x 8-bit codes per token, 128 tokens per register-file fill: 256 bytes = 8 columns per chunk,
// four chunks to an index row; two table rows (one per sub-vector), each read once per token.
hbm::IndirectPass scoring_pass(uint64_t tokens) {
  hbm::IndirectPass pass;
  pass.index[0] = {64 * 1024, 16};
  pass.tokens = tokens;
  pass.tokens_per_chunk = 128;
  pass.table_offset = 1024 * 1024;
  pass.table_rows = 2;
  return pass;
}

// One chunk: open the index row, its 8 columns, close it; then per table row: open, 128 row hits, close.
// Neither tRAS nor tRC binds at these sizes (31 + 7 x 4 + 4 >= 45; the row cycle 89 >= 72).
constexpr int64_t kIndexPart = nRCDRD + 7 * nCCDL + nRTP + nRP;
constexpr int64_t kTablePart = nRCDRD + 127 * nCCDL + nRTP + nRP;
constexpr int64_t kChunk = kIndexPart + 2 * kTablePart;
static_assert(nRCDRD + 7 * nCCDL + nRTP >= nRAS && kIndexPart >= nRC, "the formula assumes tRAS and tRC never bind");

TEST(HbmIndirectPass, ActivationsAndTimeFollowTheRowSwitchingFormula) {
  HbmTimingEngine engine(config(false));
  const uint64_t chunks = 16;
  const uint64_t completion = engine.bank_indirect(0, kAllBanks, scoring_pass(chunks * 128));
  // The last chunk ends with its last row hit's data: no final precharge and row-to-row gap.
  const int64_t expected_tck = int64_t(chunks) * kChunk - (nRTP + nRP) + nCL + kBurstTck;
  EXPECT_EQ(completion, uint64_t(expected_tck * kTck));
  const HbmStats& stats = engine.stats();
  for (unsigned bank = 0; bank < 16; ++bank) {
    EXPECT_EQ(stats.banks[bank].pim_activations, chunks * 3) << bank;  // the index row, then two table rows
    EXPECT_EQ(stats.banks[bank].pim_reads, chunks * (8 + 2 * 128)) << bank;
  }
  EXPECT_EQ(stats.pim_requests, 1u);
}

TEST(HbmIndirectPass, APartialLastChunkLooksUpOnlyItsTokens) {
  HbmTimingEngine engine(config(false));
  // 200 tokens: a full chunk, then 72 tokens = 144 bytes = 4.5 columns, read as 5 (the byte range's columns).
  const uint64_t completion = engine.bank_indirect(0, kAllBanks, scoring_pass(200));
  const int64_t last_chunk = (nRCDRD + 4 * nCCDL + nRTP + nRP) + 2 * (nRCDRD + 71 * nCCDL + nRTP + nRP);
  EXPECT_EQ(completion, uint64_t((kChunk + last_chunk - (nRTP + nRP) + nCL + kBurstTck) * kTck));
  EXPECT_EQ(engine.stats().banks[3].pim_reads, uint64_t(8 + 2 * 128 + 5 + 2 * 72));
}

TEST(HbmIndirectPass, RefreshWindowsAddTheirLengthWithinAChunkEach) {
  HbmTimingEngine engine(config(true));
  const uint64_t chunks = 64;
  const int64_t start = nREFI * kTck + nRFC * kTck;  // just after the first window
  const int64_t completion = int64_t(engine.bank_indirect(uint64_t(start), kAllBanks, scoring_pass(chunks * 128)));
  const int64_t unrefreshed = int64_t(chunks) * kChunk * kTck - (nRTP + nRP - nCL - kBurstTck) * kTck;
  const int64_t windows = (completion / kTck) / nREFI - 1;  // windows started after `start`
  ASSERT_GT(windows, 0);
  const int64_t extra = completion - start - unrefreshed;
  // Each window holds the pass up by tRFC, plus at most a row's worth of work it cut off and redid.
  EXPECT_GE(extra, windows * nRFC * kTck);
  EXPECT_LE(extra, windows * (nRFC + kTablePart) * kTck);
}

TEST(HbmIndirectPass, ChannelsSharingAMemoTimeItLikeAPrivateOne) {
  auto memo = std::make_shared<HbmTimingMemo>();
  HbmTimingEngine leader(config(true)), follower(config(true)), alone(config(true));
  leader.share_memo(memo);
  follower.share_memo(memo);
  uint64_t t = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const hbm::IndirectPass request = scoring_pass(1000 + 128 * uint64_t(pass));
    const uint64_t expected = alone.bank_indirect(t, kAllBanks, request);
    EXPECT_EQ(leader.bank_indirect(t, kAllBanks, request), expected);
    EXPECT_EQ(follower.bank_indirect(t, kAllBanks, request), expected);
    t = expected + 1000;
  }
  EXPECT_GT(memo->hits(), 0u);
  EXPECT_TRUE(follower.same_state(alone));
  EXPECT_EQ(follower.stats().total().pim_activations, alone.stats().total().pim_activations);
}

}  // namespace
}  // namespace aqpim::models

#include <random>

#include "hbm_timing_test_support.h"

namespace aqpim::models {
namespace {

using timing_test::between;
using timing_test::random_config;
using timing_test::same_stats;

// A random pass that fits the configuration's banks: one or two index streams, any register-file load,
// one or several table rows, tables spanning several rows or one.
hbm::IndirectPass random_pass(std::mt19937_64& random, const HbmTimingConfig& config) {
  const uint64_t row = config.geometry.row_bytes, bank = config.geometry.bank_bytes();
  hbm::IndirectPass pass;
  pass.tokens = between(random, 1, 3000);
  pass.tokens_per_chunk = between(random, 1, 300);
  pass.index[0] = {between(random, 0, bank / 4), timing_test::pick<uint64_t>(random, {8, 16, 18, 36})};
  if (random() % 2) pass.index[1] = {bank / 4 + between(random, 0, bank / 8), timing_test::pick<uint64_t>(random, {32, 128})};
  pass.rows_per_table = between(random, 1, 4);
  pass.table_rows = pass.rows_per_table * between(random, 1, 6);
  pass.table_offset = (bank / 2 / row + between(random, 0, 64)) * row;
  return pass;
}

// The chunk memo replays chunks it saw: every pass and the requests after it end as if timed chunk by chunk
// (completion, counters and state), over random timings, refresh, masks, shapes and gaps.
TEST(HbmIndirectPass, ChunkMemoEqualsTimingEveryChunk) {
  uint64_t replays = 0;
  for (int seed = 0; seed < 60; ++seed) {
    std::mt19937_64 random(uint64_t(seed) * 7919 + 11);
    const HbmTimingConfig config = random_config(random);
    HbmTimingEngine fast(config), reference(config);
    const uint64_t all_banks = config.geometry.banks() == 64 ? ~uint64_t(0) : (uint64_t(1) << config.geometry.banks()) - 1;
    uint64_t now = between(random, 0, 20000000);
    for (int step = 0; step < 8; ++step) {
      const hbm::IndirectPass pass = random_pass(random, config);
      const uint64_t mask = random() % 4 ? all_banks : (all_banks & random()) | 1;
      const uint64_t expected = reference.bank_indirect_reference(now, mask, pass);
      ASSERT_EQ(fast.bank_indirect(now, mask, pass), expected) << "seed " << seed << " step " << step;
      ASSERT_TRUE(fast.same_state(reference)) << "seed " << seed << " step " << step;
      ASSERT_TRUE(same_stats(fast.stats(), reference.stats())) << "seed " << seed << " step " << step;
      now = expected + between(random, 0, 50000);
    }
    replays += fast.indirect_chunk_replays();
  }
  EXPECT_GT(replays, 1000u) << "the memo must actually replay chunks for this test to mean anything";
}

}  // namespace
}  // namespace aqpim::models
