// HbmTimingMemo: engines sharing one memo must time every request, count every statistic and end in
// every state exactly as an engine of their own would, whether their request streams stay identical (the
// platform's case: replays), drift apart, or come back together, and however small the memo is.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "models/hbm_timing.h"
#include "unit/hbm_timing_test_support.h"

namespace aqpim::models {
using namespace hwif;
namespace {

using namespace timing_test;

// `lanes` engines sharing a memo, each beside a private engine fed the same requests.
struct SharedAndPrivate {
  std::shared_ptr<HbmTimingMemo> memo;
  std::vector<std::unique_ptr<HbmTimingEngine>> shared, alone;

  SharedAndPrivate(const HbmTimingConfig& config, unsigned lanes, size_t slots)
      : memo(std::make_shared<HbmTimingMemo>(slots)) {
    for (unsigned i = 0; i < lanes; ++i) {
      shared.push_back(std::make_unique<HbmTimingEngine>(config));
      shared.back()->share_memo(memo);
      alone.push_back(std::make_unique<HbmTimingEngine>(config));
    }
  }

  ::testing::AssertionResult apply_and_compare(unsigned lane, const Op& op) {
    const uint64_t with_memo = apply(*shared[lane], op, false);
    const uint64_t without = apply(*alone[lane], op, false);
    if (with_memo != without)
      return ::testing::AssertionFailure() << "lane " << lane << ": completion " << with_memo << " vs " << without;
    if (auto same = same_stats(shared[lane]->stats(), alone[lane]->stats()); !same) return same << " (lane " << lane << ")";
    if (!shared[lane]->same_state(*alone[lane])) return ::testing::AssertionFailure() << "lane " << lane << ": state differs";
    return ::testing::AssertionSuccess();
  }
};

TEST(HbmTimingMemo, IdenticalStreamsReplayAndStayExact) {
  HbmTimingConfig config;
  config.mapping = HbmAddressMapping::RoCoBaBgCh;
  SharedAndPrivate engines(config, 8, 4096);
  std::mt19937_64 random(17);
  uint64_t now = 1000;
  for (int step = 0; step < 60; ++step) {
    const Op op = random_op(random, config, now, step % 4 == 3);
    for (unsigned lane = 0; lane < 8; ++lane) ASSERT_TRUE(engines.apply_and_compare(lane, op)) << "step " << step;
    now += 20'000 + random() % 40'000;
  }
  // Seven of eight lanes replay what the first one timed.
  EXPECT_EQ(engines.memo->misses(), 60u);
  EXPECT_EQ(engines.memo->hits(), 7u * 60u);
}

TEST(HbmTimingMemo, DivergingAndTinyMemosStayExactOverRandomizedConfigurations) {
  uint64_t hits = 0;
  for (int seed = 0; seed < 60; ++seed) {
    std::mt19937_64 random(uint64_t(seed) * 6151 + 5);
    const HbmTimingConfig config = random_config(random);
    // One set of four ways forces transitions out of the memo all the time: engines must rejoin by content.
    SharedAndPrivate engines(config, 4, seed % 3 == 0 ? 1 : 64);
    uint64_t now = random() % 100'000;
    for (int step = 0; step < 30; ++step) {
      const Op common = random_op(random, config, now, step % 5 == 4);
      for (unsigned lane = 0; lane < 4; ++lane) {
        // Now and then one lane gets a request of its own, and its state leaves the others'.
        const bool own = random() % 10 == 0;
        const Op op = own ? random_op(random, config, now, false) : common;
        ASSERT_TRUE(engines.apply_and_compare(lane, op)) << describe(config, op, seed, step);
      }
      now += 10'000 + random() % 60'000;
    }
    hits += engines.memo->hits();
  }
  // Lanes drift apart after their own requests, but replays still happen often enough to be checked.
  EXPECT_GT(hits, 500u);
}

TEST(HbmTimingMemo, AnEngineWhoseTransitionsWereDisplacedRejoinsByContent) {
  // One set of four ways: lane 0's six requests leave only the last four transitions, and lane 1, a
  // request behind, keeps displacing the next one it needs, so it times all six itself. It still arrives in
  // the states lane 0 recorded and takes them over, which a seventh request shows: lane 1 replays it. An
  // engine that kept states of its own would time it again.
  HbmTimingConfig config;
  SharedAndPrivate engines(config, 2, 1);
  std::vector<Op> requests;
  for (uint64_t i = 0; i < 7; ++i)
    requests.push_back(i % 2 ? Op{false, true, 1000 + i * 40'000, 65536 * i, 8192, 0}
                             : Op{true, false, 1000 + i * 40'000, 1024 * i, 20 * 1024, 0xffff});
  for (unsigned lane : {0u, 1u})
    for (size_t i = 0; i < 6; ++i) ASSERT_TRUE(engines.apply_and_compare(lane, requests[i])) << lane << " " << i;
  EXPECT_EQ(engines.memo->hits(), 0u);
  ASSERT_TRUE(engines.apply_and_compare(0, requests[6]));
  ASSERT_TRUE(engines.apply_and_compare(1, requests[6]));
  EXPECT_EQ(engines.memo->hits(), 1u);
  EXPECT_EQ(engines.memo->misses(), 13u);
}

TEST(HbmTimingMemo, ReferenceCallsAndStatisticResetsKeepEnginesExact) {
  HbmTimingConfig config;
  SharedAndPrivate engines(config, 2, 256);
  for (int step = 0; step < 4; ++step) {
    for (unsigned lane = 0; lane < 2; ++lane) {
      ASSERT_TRUE(engines.apply_and_compare(lane, {true, false, 1000u + step * 50'000u, 4096, 40 * 1024, 0xffff}));
      ASSERT_TRUE(engines.apply_and_compare(lane, {false, true, 2000u + step * 50'000u, 16384, 3 * 16384, 0}));
    }
    engines.shared[1]->reset_stats();
    engines.alone[1]->reset_stats();
  }
  // A reference call times outside the memo; the engine carries on alone, still exact.
  for (auto* engine : {engines.shared[0].get(), engines.alone[0].get()}) engine->access_reference(300'000, 0, 4096, false);
  ASSERT_TRUE(engines.apply_and_compare(0, {true, true, 400'000, 1024, 9000, 0x00ff}));
  ASSERT_TRUE(engines.apply_and_compare(1, {true, true, 400'000, 1024, 9000, 0x00ff}));
}

TEST(HbmTimingMemo, RefusesEnginesOfAnotherConfiguration) {
  auto memo = std::make_shared<HbmTimingMemo>();
  HbmTimingConfig config;
  HbmTimingEngine first(config);
  first.share_memo(memo);
  config.cycles.nRP += 1;
  HbmTimingEngine other(config);
  EXPECT_THROW(other.share_memo(memo), std::invalid_argument);
}

}  // namespace
}  // namespace aqpim::models
