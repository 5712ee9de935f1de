// The KV layout: every head instance has its own place, regions never overlap, tokens are all accounted
// for, and the capacity verdict follows an independent byte count.
#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "firmware/kv_layout.h"

namespace aqpim::firmware {
namespace {

// The paper's setup: Mistral-7B (32 layers, 8 KV heads of 128), batch 16, 32K context, 128 decode steps,
// m = 32, K = 512, 8 + 32 fp16 tokens; 4 HBM-PIM stacks = 128 pseudo-channels of 16 banks of 32 MiB.
KvShape paper_kv(uint32_t context = 32768) { return {32, 32, 8, 128, 16, context, 128}; }
QuantShape paper_quant() { return {32, 512, 8, 32}; }
PimGeometry paper_pim() { return {128, 16, uint64_t(32) << 20, 1024}; }

TEST(KvLayout, EveryHeadInstanceHasItsOwnUnitAndSlot) {
  const KvShape kv{3, 4, 2, 16, 5, 100, 10};
  const KvLayout layout(kv, {4, 16, 2, 4}, {7, 4, 1 << 20, 256});
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (uint32_t layer = 0; layer < kv.layers; ++layer) {
    std::set<std::pair<uint32_t, uint32_t>> staging_in_layer;
    for (uint32_t sequence = 0; sequence < kv.batch; ++sequence)
      for (uint32_t head = 0; head < kv.kv_heads; ++head) {
        const auto place = layout.place(sequence, layer, head);
        EXPECT_LT(place.unit, 7u);
        EXPECT_LT(place.slot, layout.slots_per_unit());
        EXPECT_LT(place.slot_in_layer, layout.slots_per_layer());
        EXPECT_TRUE(seen.insert({place.unit, place.slot}).second);
        EXPECT_TRUE(staging_in_layer.insert({place.unit, place.slot_in_layer}).second);
      }
  }
  EXPECT_EQ(seen.size(), layout.head_instances());
  EXPECT_THROW(layout.place(kv.batch, 0, 0), std::invalid_argument);
}

TEST(KvLayout, OneLayerSpreadsOverAllUnitsBeforeReusingOne) {
  const KvLayout layout(paper_kv(), paper_quant(), paper_pim());
  std::set<uint32_t> units;
  for (uint32_t sequence = 0; sequence < 16; ++sequence)
    for (uint32_t head = 0; head < 8; ++head) units.insert(layout.place(sequence, 5, head).unit);
  EXPECT_EQ(units.size(), 128u);  // 16 x 8 = 128 heads of layer 5 on 128 distinct units
  EXPECT_EQ(layout.slots_per_layer(), 1u);
}

TEST(KvLayout, TokensInterleaveOverPesAndAreAllCounted) {
  const KvLayout layout({1, 1, 1, 8, 1, 50, 0}, {4, 4, 0, 0}, {1, 16, 1 << 20, 64});
  for (uint32_t length : {0u, 1u, 15u, 16u, 17u, 50u}) {
    uint32_t total = 0;
    for (uint32_t pe = 0; pe < 16; ++pe) {
      uint32_t counted = 0;
      for (uint32_t token = 0; token < length; ++token) counted += layout.pe_of_token(token) == pe;
      EXPECT_EQ(layout.tokens_on_pe(length, pe), counted) << "length " << length << " pe " << pe;
      total += counted;
    }
    EXPECT_EQ(total, length);
  }
  EXPECT_EQ(layout.row_of_token(33), 2u);
}

TEST(KvLayout, RegionsAreRowAlignedAndDisjoint) {
  const KvLayout layout(paper_kv(), paper_quant(), paper_pim());
  struct Range {
    uint64_t begin, end;
  };
  std::vector<Range> ranges;
  const uint64_t codes = uint64_t(layout.rows_per_pe()) * 32 * 9 / 8, codebook = 512ull * 128 * 2,
                 scalars = uint64_t(layout.rows_per_pe()) * 4;
  for (uint32_t slot = 0; slot < layout.slots_per_unit(); ++slot) {
    const SlotRegions r = layout.slot(slot);
    std::vector<std::pair<uint64_t, uint64_t>> regions = {
        {r.keys, codes}, {r.values, codes}, {r.codebook_k, codebook}, {r.codebook_v, codebook}, {r.weights, scalars}};
    for (uint32_t g = 0; g < layout.group_size(); ++g) regions.push_back({r.scores + g * layout.scores_stride(), scalars});
    for (auto [offset, bytes] : regions) {
      EXPECT_EQ(offset % 1024, 0u);
      ranges.push_back({offset, offset + bytes});
    }
  }
  const uint64_t staging = uint64_t(layout.rows_per_pe()) * 128 * 2;
  ranges.push_back({layout.staging_k(0), layout.staging_k(0) + staging});
  ranges.push_back({layout.staging_v(0), layout.staging_v(0) + staging});
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].end, ranges[i].begin) << "overlap at " << i;
  EXPECT_LE(ranges.back().end, layout.bytes_per_pe_used());
}

TEST(KvLayout, PaperSetupFitsAt32KAndOverflowsAt256K) {
  // Independent count of one PE's need: per slot (32 per unit) 9-bit K and V codes of its rows, a K and a
  // V codebook copy, 4 GQA score arrays and the weights; plus one layer's raw K and V staging.
  auto estimate = [](uint32_t context) {
    const double rows = std::ceil((context + 128.0) / 16);
    const double slot = 2 * rows * 32 * 9 / 8 + 2 * 512.0 * 128 * 2 + 4 * rows * 4 + rows * 4;
    return 32.0 * slot + 2 * rows * 128 * 2;
  };
  const double capacity = double(32u << 20);
  const KvLayout at_32k(paper_kv(32768), paper_quant(), paper_pim());
  EXPECT_GE(double(at_32k.bytes_per_pe_used()), estimate(32768));
  EXPECT_LT(estimate(32768), capacity);
  EXPECT_TRUE(at_32k.fits());
  const KvLayout at_256k(paper_kv(262144), paper_quant(), paper_pim());
  EXPECT_GE(double(at_256k.bytes_per_pe_used()), estimate(262144));
  EXPECT_GT(estimate(262144), capacity);
  EXPECT_FALSE(at_256k.fits());
}

// Every region's offset and size worked out by hand for the paper's setup, and the total as an exact
// figure (an upper bound too): the layout decides whether a workload fits, so a region of the wrong size
// (a codebook of fp32 instead of fp16 entries, say) must fail here, not only a lower bound.
TEST(KvLayout, PaperSetupRegionsSitExactlyWhereTheHandDerivedLayoutPutsThem) {
  const KvLayout layout(paper_kv(), paper_quant(), paper_pim());
  constexpr uint64_t kRow = 1024;
  // Rows per PE: ceil((32768 context + 128 decoded) / 16 PEs) = 2056 tokens.
  EXPECT_EQ(layout.rows_per_pe(), 2056u);
  // Codes: 2056 tokens x 32 sub-vectors x 9 bits = 74016 bytes -> 73 rows.
  constexpr uint64_t kCodes = 73 * kRow;
  // Codebook: 512 centroids x 128 dims x 2 bytes (fp16) = 131072 bytes = 128 rows.
  constexpr uint64_t kCodebook = 128 * kRow;
  // One fp32 score per token: 8224 bytes -> 9 rows, per query head; 4 query heads share a KV head.
  constexpr uint64_t kScores = 9 * kRow;
  EXPECT_EQ(layout.scores_stride(), kScores);
  const SlotRegions first = layout.slot(0);
  EXPECT_EQ(first.keys, 0u);
  EXPECT_EQ(first.values, kCodes);
  EXPECT_EQ(first.codebook_k, 2 * kCodes);
  EXPECT_EQ(first.codebook_v, 2 * kCodes + kCodebook);
  EXPECT_EQ(first.scores, 2 * kCodes + 2 * kCodebook);
  EXPECT_EQ(first.weights, 2 * kCodes + 2 * kCodebook + 4 * kScores);
  constexpr uint64_t kSlot = 2 * kCodes + 2 * kCodebook + 4 * kScores + 9 * kRow;  // weights: as one score array
  EXPECT_EQ(kSlot, 457728u);
  EXPECT_EQ(layout.bytes_per_slot(), kSlot);
  // 16 sequences x 32 layers x 8 KV heads over 128 units: 32 slots per unit, one of each layer.
  EXPECT_EQ(layout.slots_per_unit(), 32u);
  EXPECT_EQ(layout.slots_per_layer(), 1u);
  EXPECT_EQ(layout.slot(31).keys, 31 * kSlot);
  EXPECT_EQ(layout.slot(31).weights, 31 * kSlot + first.weights);
  // Staging after the slots: one layer's raw fp16 K and V, 2056 x 128 x 2 = 526336 bytes = 514 rows each.
  constexpr uint64_t kStaging = 514 * kRow;
  EXPECT_EQ(layout.staging_k(0), 32 * kSlot);
  EXPECT_EQ(layout.staging_v(0), 32 * kSlot + kStaging);
  EXPECT_EQ(layout.bytes_per_pe_used(), 32 * kSlot + 2 * kStaging);
  EXPECT_EQ(layout.bytes_per_pe_used(), 15699968u);  // 15 MiB of a 32 MiB bank
}

// The AttAcc-like fp16 layout of a small GQA model: K and V rows and score arrays only, no codebooks,
// weights or staging.
TEST(KvLayout, Fp16RowsLayoutHoldsRowsAndScoresOnly) {
  // 2 layers, 8 query / 2 KV heads of 64, batch 3, 1000 + 24 tokens; 4 units of 16 PEs, 256-byte rows.
  const KvLayout layout({2, 8, 2, 64, 3, 1000, 24}, {}, {4, 16, 1 << 20, 256}, KvFormat::fp16_rows);
  constexpr uint64_t kRow = 256;
  EXPECT_EQ(layout.rows_per_pe(), 64u);              // 1024 tokens / 16 PEs
  constexpr uint64_t kTokens = 64 * 64 * 2;          // 64 rows x 64 dims x 2 bytes = 8192 = 32 rows
  constexpr uint64_t kScores = 1 * kRow;             // 64 x 4 bytes = 256 = one row, per query head
  const SlotRegions first = layout.slot(0);
  EXPECT_EQ(first.keys, 0u);
  EXPECT_EQ(first.values, kTokens);
  EXPECT_EQ(first.scores, 2 * kTokens);
  EXPECT_EQ(layout.scores_stride(), kScores);
  EXPECT_EQ(layout.bytes_per_slot(), 2 * kTokens + 4 * kScores);  // 4 query heads per KV head
  // 3 x 2 x 2 = 12 head instances over 4 units: 3 slots each; 6 per layer: 2 slots per unit and layer.
  EXPECT_EQ(layout.slots_per_unit(), 3u);
  EXPECT_EQ(layout.slots_per_layer(), 2u);
  EXPECT_EQ(layout.bytes_per_pe_used(), 3 * (2 * kTokens + 4 * kScores));
}

TEST(KvLayout, RejectsCodesThatDoNotEndOnAByte) {
  EXPECT_THROW(KvLayout({1, 1, 1, 8, 1, 10, 0}, {2, 4, 0, 0}, {1, 1, 1024, 64}), std::invalid_argument);  // 2 x 2 bits
  EXPECT_NO_THROW(KvLayout({1, 1, 1, 8, 1, 10, 0}, {4, 4, 0, 0}, {1, 1, 1024, 64}));                      // 4 x 2 bits
}

TEST(KvLayout, RejectsInconsistentShapes) {
  EXPECT_THROW(KvLayout({1, 3, 2, 8, 1, 10, 0}, {4, 4, 0, 0}, {1, 1, 1024, 64}), std::invalid_argument);  // GQA
  EXPECT_THROW(KvLayout({1, 1, 1, 8, 1, 10, 0}, {3, 4, 0, 0}, {1, 1, 1024, 64}), std::invalid_argument);  // m
  EXPECT_THROW(KvLayout({1, 1, 1, 8, 1, 10, 0}, {4, 4, 0, 0}, {0, 1, 1024, 64}), std::invalid_argument);  // units
}

}  // namespace
}  // namespace aqpim::firmware
