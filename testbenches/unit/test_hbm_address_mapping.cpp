#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tuple>

#include "hwif/hbm_address_mapping.h"
#include "models/hbm_sparse_store.h"

namespace aqpim::models {
using namespace hwif;
namespace {

HbmLocation at(unsigned bank_group, unsigned bank, uint64_t row, uint64_t column) {
  HbmLocation location;
  location.bank_group = bank_group;
  location.bank = bank;
  location.row = row;
  location.column = column;
  return location;
}

// Default geometry: 32-byte accesses (5 bits), 32 columns (5 bits), 4 bank groups (2), 4 banks (2).
TEST(HbmAddressMapping, FieldsSitWhereTheNameSays) {
  const HbmGeometry geometry;
  const HbmAddressMap ro_ba_bg_co(HbmAddressMapping::RoBaBgCoCh, geometry);
  EXPECT_EQ(ro_ba_bg_co.decode(32), at(0, 0, 0, 1));
  EXPECT_EQ(ro_ba_bg_co.decode(1024), at(1, 0, 0, 0));
  EXPECT_EQ(ro_ba_bg_co.decode(4096), at(0, 1, 0, 0));
  EXPECT_EQ(ro_ba_bg_co.decode(16384), at(0, 0, 1, 0));
  EXPECT_EQ(ro_ba_bg_co.decode(31), at(0, 0, 0, 0));  // byte-in-access bits are ignored

  const HbmAddressMap ro_co_ba_bg(HbmAddressMapping::RoCoBaBgCh, geometry);
  EXPECT_EQ(ro_co_ba_bg.decode(32), at(1, 0, 0, 0));
  EXPECT_EQ(ro_co_ba_bg.decode(128), at(0, 1, 0, 0));
  EXPECT_EQ(ro_co_ba_bg.decode(512), at(0, 0, 0, 1));
  EXPECT_EQ(ro_co_ba_bg.decode(16384), at(0, 0, 1, 0));

  const HbmAddressMap ro_bg_ba_co(HbmAddressMapping::RoBgBaCoCh, geometry);
  EXPECT_EQ(ro_bg_ba_co.decode(1024), at(0, 1, 0, 0));
  EXPECT_EQ(ro_bg_ba_co.decode(4096), at(1, 0, 0, 0));
}

TEST(HbmAddressMapping, ZeroWidthChannelMakesChRoBaBgCoEqualRoBaBgCoCh) {
  const HbmGeometry geometry;
  const HbmAddressMap a(HbmAddressMapping::ChRoBaBgCo, geometry), b(HbmAddressMapping::RoBaBgCoCh, geometry);
  std::mt19937_64 random(7);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t address = random() % geometry.capacity_bytes();
    EXPECT_EQ(a.decode(address), b.decode(address));
  }
}

TEST(HbmAddressMapping, EveryMappingIsABijection) {
  HbmGeometry small;
  small.bank_groups = 2;
  small.banks_per_group = 4;
  small.rows_per_bank = 3;  // need not be a power of two: the row is the top field
  small.row_bytes = 256;
  small.access_bytes = 32;
  for (auto mapping : {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh, HbmAddressMapping::ChRoBaBgCo,
                       HbmAddressMapping::RoBgBaCoCh}) {
    const HbmAddressMap map(mapping, small);
    std::set<std::tuple<unsigned, unsigned, uint64_t, uint64_t>> seen;
    for (uint64_t address = 0; address < small.capacity_bytes(); address += small.access_bytes) {
      const HbmLocation location = map.decode(address);
      EXPECT_LT(location.row, small.rows_per_bank);
      EXPECT_EQ(map.encode(location), address) << to_string(mapping);
      seen.emplace(location.bank_group, location.bank, location.row, location.column);
    }
    EXPECT_EQ(seen.size(), small.capacity_bytes() / small.access_bytes) << to_string(mapping);
  }
}

TEST(HbmAddressMapping, NamesRoundTripAndUnknownNamesAreRejected) {
  for (auto mapping : {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh, HbmAddressMapping::ChRoBaBgCo,
                       HbmAddressMapping::RoBgBaCoCh})
    EXPECT_EQ(parse_hbm_address_mapping(to_string(mapping)), mapping);
  EXPECT_THROW(parse_hbm_address_mapping("RoRoRo"), std::invalid_argument);
}

TEST(HbmAddressMapping, BadGeometryNamesTheField) {
  HbmGeometry geometry;
  geometry.banks_per_group = 3;
  try {
    HbmAddressMap map(HbmAddressMapping::RoBaBgCoCh, geometry);
    FAIL() << "accepted 3 banks per group";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("banks_per_group"), std::string::npos) << error.what();
  }
  geometry = HbmGeometry();
  geometry.row_bytes = 1000;
  EXPECT_THROW(geometry.validate(), std::invalid_argument);
}

// A named mapping is a bit list too, and the list decodes exactly as the name.
TEST(HbmAddressMapping, NamedMappingsAreTheirBitLists) {
  const HbmGeometry geometry;  // 15 row, 2 bank, 2 group, 5 column bits
  EXPECT_EQ(HbmAddressMap(HbmAddressMapping::RoBaBgCoCh, geometry).bits(), "RRRRRRRRRRRRRRRBBGGCCCCC");
  EXPECT_EQ(HbmAddressMap(HbmAddressMapping::RoCoBaBgCh, geometry).bits(), "RRRRRRRRRRRRRRRCCCCCBBGG");
  std::mt19937_64 random(3);
  for (auto mapping : {HbmAddressMapping::RoBaBgCoCh, HbmAddressMapping::RoCoBaBgCh, HbmAddressMapping::RoBgBaCoCh}) {
    const HbmAddressMap named(mapping, geometry);
    const HbmAddressMap listed(HbmAddressMapping::RoBaBgCoCh, geometry, "_" + named.bits() + " ");
    for (int i = 0; i < 1000; ++i) {
      const uint64_t address = random() % geometry.capacity_bytes();
      EXPECT_EQ(listed.decode(address), named.decode(address)) << named.bits();
    }
  }
}

// DRAMSys's HBM2 pseudo-channel "brc" map (am_hbm2_8Gb_pc_brc.json, one pseudo-channel): bank group
// bits 27-28, bank 25-26, row 10-24, column 5-9, burst 0-4. Our fields cannot be in that order by name.
TEST(HbmAddressMapping, BankBitsAboveTheRowAsInDramSys) {
  HbmGeometry geometry;
  const HbmAddressMap map(HbmAddressMapping::RoBaBgCoCh, geometry, "GGBBRRRRRRRRRRRRRRRCCCCC");
  EXPECT_FALSE(map.row_is_top());
  EXPECT_EQ(map.decode(uint64_t(1) << 27), at(1, 0, 0, 0));
  EXPECT_EQ(map.decode(uint64_t(2) << 25), at(0, 2, 0, 0));
  EXPECT_EQ(map.decode(uint64_t(5) << 10), at(0, 0, 5, 0));
  EXPECT_EQ(map.decode(uint64_t(3) << 5), at(0, 0, 0, 3));
  EXPECT_EQ(map.accesses_left_in_row(map.decode(uint64_t(3) << 5)), 29u);  // columns 3..31 follow
}

// Scattered fields (interleaved bank and column bits) decode through segments; still a bijection, and a
// run stops where the lowest non-column bit would change.
TEST(HbmAddressMapping, ScatteredBitListsAreBijections) {
  HbmGeometry small;
  small.bank_groups = 2;
  small.banks_per_group = 4;
  small.rows_per_bank = 4;
  small.row_bytes = 256;  // 8 columns
  for (const char* bits : {"RBRCGCBC", "CRBGRBCC", "BBGRRCCC", "RRCBGBCC"}) {
    const HbmAddressMap map(HbmAddressMapping::RoBaBgCoCh, small, bits);
    std::set<std::tuple<unsigned, unsigned, uint64_t, uint64_t>> seen;
    for (uint64_t address = 0; address < small.capacity_bytes(); address += small.access_bytes) {
      const HbmLocation location = map.decode(address);
      EXPECT_LT(location.row, small.rows_per_bank) << bits;
      EXPECT_EQ(map.encode(location), address) << bits;
      seen.emplace(location.bank_group, location.bank, location.row, location.column);
    }
    EXPECT_EQ(seen.size(), small.capacity_bytes() / small.access_bytes) << bits;
  }
  const HbmAddressMap map(HbmAddressMapping::RoBaBgCoCh, small, "RBRCGBCC");  // two lowest bits are column bits
  EXPECT_EQ(map.decode(uint64_t(1) << 9).column, 0b100u);  // address bit 9 (the third C from the right) is column bit 2
  EXPECT_EQ(map.accesses_left_in_row(map.decode(32)), 3u);
}

TEST(HbmAddressMapping, BadBitListsNameTheProblem) {
  const HbmGeometry geometry;
  const auto message = [&](const std::string& bits) {
    try {
      HbmAddressMap(HbmAddressMapping::RoBaBgCoCh, geometry, bits);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("RRRRRRRRRRRRRRRBBGGCCCCX").find("'X'"), std::string::npos);
  EXPECT_NE(message("RRRRRRRRRRRRRRRBBBGGCCCC").find("3 B bits"), std::string::npos);
  HbmGeometry odd = geometry;
  odd.rows_per_bank = 300;
  try {
    HbmAddressMap(HbmAddressMapping::RoBaBgCoCh, odd, "GGBBRRRRRRRRRCCCCC");
    FAIL() << "a 300-row bank below other fields";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("power of two"), std::string::npos) << error.what();
  }
}

TEST(HbmSparseStore, WritingOnePageOfAnEightGibChannelAllocatesOneChunk) {
  const uint64_t gib = uint64_t(1) << 30;
  HbmSparseStore store(8 * gib, 64 * 1024);
  std::vector<unsigned char> page(4096, 0x5a);
  store.write(5 * gib + 8192, page.data(), page.size());
  EXPECT_EQ(store.allocated_bytes(), 64u * 1024);
  std::vector<unsigned char> back(4096);
  store.read(5 * gib + 8192, back.data(), back.size());
  EXPECT_EQ(back, page);
}

TEST(HbmSparseStore, UntouchedMemoryReadsZeroWithoutAllocating) {
  HbmSparseStore store(1 << 20, 4096);
  std::vector<unsigned char> back(100, 0xff);
  store.read(12345, back.data(), back.size());
  EXPECT_EQ(back, std::vector<unsigned char>(100, 0));
  EXPECT_EQ(store.allocated_bytes(), 0u);
}

TEST(HbmSparseStore, AccessAcrossAChunkBoundarySplitsCorrectly) {
  HbmSparseStore store(1 << 20, 4096);
  std::vector<unsigned char> data(200);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i);
  store.write(4096 - 100, data.data(), data.size());
  EXPECT_EQ(store.allocated_bytes(), 2u * 4096);
  EXPECT_EQ(store.chunk(4096)[99], 199);
  EXPECT_EQ(store.chunk(0)[4095], 99);
  std::vector<unsigned char> back(200);
  store.read(4096 - 100, back.data(), back.size());
  EXPECT_EQ(back, data);
  store.clear();
  EXPECT_EQ(store.allocated_bytes(), 0u);
  store.read(4096 - 100, back.data(), back.size());
  EXPECT_EQ(back, std::vector<unsigned char>(200, 0));
}

TEST(HbmSparseStore, LastChunkIsClippedToTheCapacity) {
  HbmSparseStore store(10000, 4096);
  EXPECT_EQ(store.chunk_base(9000), 8192u);
  EXPECT_EQ(store.chunk_last(9000), 9999u);
  EXPECT_THROW(HbmSparseStore(10000, 3000), std::invalid_argument);
}

}  // namespace
}  // namespace aqpim::models
