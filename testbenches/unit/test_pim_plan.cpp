// The PIM command planner without SystemC: validation against the configured SRAMs and the operation
// counts the timing formulas take, checked against formulas written out here from docs/models-pim.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "core/pq_codec.h"
#include "models/pim_opcodes.h"
#include "models/pim_plan.h"

namespace aqpim::models::pim {
namespace {

Geometry small_geometry() {
  Geometry geometry;
  geometry.pe_count = 16;
  geometry.banks_per_pe = 1;
  geometry.codebook_entries = 1024;
  geometry.lut_entries = 256;
  geometry.accumulator_entries = 512;
  geometry.buffer_accumulator_entries = 2048;
  geometry.io_buffer_bytes = 4096;
  return geometry;
}

Command command(Opcode opcode) {
  Command c;
  c.opcode = uint32_t(opcode);
  c.pe_mask = 0xffff;
  c.count = 64;
  c.sub_vectors = 4;
  c.clusters = 16;
  c.dim = 4;
  return c;
}

TEST(PimPlan, PeMaskMustSelectExistingPes) {
  Command c = command(Opcode::score);
  c.pe_mask = 0;
  EXPECT_EQ(plan_command(c, small_geometry()).error, Error::bad_pe_mask);
  c.pe_mask = uint64_t(1) << 16;
  const Plan plan = plan_command(c, small_geometry());
  EXPECT_EQ(plan.error, Error::bad_pe_mask);
  EXPECT_NE(plan.reason.find("PE 16"), std::string::npos) << plan.reason;
  c.pe_mask = uint64_t(1) << 15;
  EXPECT_TRUE(plan_command(c, small_geometry()).ok());
}

TEST(PimPlan, UnknownOpcodeAndZeroSizesAreRejected) {
  EXPECT_EQ(plan_command(command(Opcode::count_), small_geometry()).error, Error::unknown_opcode);
  Command c = command(Opcode::score);
  c.count = 0;
  EXPECT_EQ(plan_command(c, small_geometry()).error, Error::bad_shape);
  c = command(Opcode::build_lut);
  c.clusters = uint32_t(core::kMaxClusters + 1);
  EXPECT_EQ(plan_command(c, small_geometry()).error, Error::bad_shape);
}

// Each SRAM accepts a command that fills it exactly and rejects one entry more.
struct CapacityCase {
  Opcode opcode;
  uint32_t Command::*offset;
  uint64_t needed;  // entries the command needs from `offset`, per the opcode table
  uint64_t Geometry::*capacity;
  Error error;
};

TEST(PimPlan, EverySramAcceptsExactlyItsCapacityAndRejectsOneMore) {
  const Command base = command(Opcode::nop);
  const uint64_t m = base.sub_vectors, k = base.clusters, d = base.dim;
  const CapacityCase cases[] = {
      {Opcode::load_codebook, &Command::codebook_offset, m * k * d, &Geometry::codebook_entries,
       Error::codebook_overflow},
      {Opcode::build_lut, &Command::lut_offset, m * k, &Geometry::lut_entries, Error::lut_overflow},
      {Opcode::value_histogram, &Command::accumulator_offset, m * k, &Geometry::accumulator_entries,
       Error::accumulator_overflow},
      {Opcode::kmeans_accumulate, &Command::accumulator_offset, m * k * (d + 1), &Geometry::accumulator_entries,
       Error::accumulator_overflow},
      {Opcode::update_centroids, &Command::buffer_accumulator_offset, m * k * (d + 1),
       &Geometry::buffer_accumulator_entries, Error::buffer_accumulator_overflow},
  };
  for (const auto& test : cases) {
    Geometry geometry = small_geometry();
    geometry.*test.capacity = test.needed + 10;
    Command c = command(test.opcode);
    c.*test.offset = 10;
    EXPECT_TRUE(plan_command(c, geometry).ok()) << opcode_name(uint32_t(test.opcode)) << ": " << plan_command(c, geometry).reason;
    c.*test.offset = 11;
    const Plan plan = plan_command(c, geometry);
    EXPECT_EQ(plan.error, test.error) << opcode_name(uint32_t(test.opcode));
    EXPECT_FALSE(plan.reason.empty());
  }
}

TEST(PimPlan, IoSlotOfTheHighestSelectedPeMustFit) {
  Command c = command(Opcode::softmax_partial);
  c.io_stride = 8;
  Geometry geometry = small_geometry();
  geometry.io_buffer_bytes = 16 * 8;  // slots of PEs 0..15, 8 bytes each
  EXPECT_TRUE(plan_command(c, geometry).ok());
  c.io_offset = 1;
  EXPECT_EQ(plan_command(c, geometry).error, Error::io_overflow);
  c.pe_mask = 0x7fff;  // PE 15 no longer selected: PE 14's slot ends at 1 + 14 * 8 + 8
  EXPECT_TRUE(plan_command(c, geometry).ok());
}

TEST(PimPlan, OverflowingSizesAreRejectedNotWrapped) {
  Command c = command(Opcode::kmeans_accumulate);
  c.sub_vectors = 0xffffffffu;
  c.dim = 0xffffffffu;
  c.clusters = 4096;
  Geometry geometry = small_geometry();
  geometry.accumulator_entries = ~uint64_t(0);
  EXPECT_EQ(plan_command(c, geometry).error, Error::bad_shape);
}

TEST(PimPlan, PackedCodeRangesMustBeByteAligned) {
  Command c = command(Opcode::score);
  c.sub_vectors = 1;
  c.clusters = 8;  // 3 bits per token
  c.count = 8;
  EXPECT_TRUE(plan_command(c, small_geometry()).ok());
  c.first_token = 3;
  EXPECT_EQ(plan_command(c, small_geometry()).error, Error::bad_shape);
  c.first_token = 16;
  c.count = 5;
  EXPECT_EQ(plan_command(c, small_geometry()).error, Error::bad_shape);
}

TEST(PimPlan, ScoreStreamsPackedCodesAndWritesScores) {
  Command c = command(Opcode::score);
  c.clusters = 512;  // 9-bit codes: 4 x 9 = 36 bits per token
  c.first_token = 2;
  c.codes_offset = 1000;
  c.result_offset = 5000;
  Geometry geometry = small_geometry();
  geometry.lut_entries = 4 * 512;
  const Plan plan = plan_command(c, geometry);
  ASSERT_TRUE(plan.ok()) << plan.reason;
  ASSERT_EQ(plan.streams.size(), 2u);
  EXPECT_EQ(plan.streams[0].role, StreamRole::codes);
  EXPECT_FALSE(plan.streams[0].write);
  EXPECT_EQ(plan.streams[0].offset, 1000u + 2 * 36 / 8);
  EXPECT_EQ(plan.streams[0].bytes_per_bank, 64u * 36 / 8);
  EXPECT_EQ(plan.streams[0].bytes_per_bank, core::packed_code_bytes(64 * 4, 512));
  EXPECT_EQ(plan.streams[1].role, StreamRole::result);
  EXPECT_TRUE(plan.streams[1].write);
  EXPECT_EQ(plan.streams[1].offset, 5000u + 2 * 4);
  EXPECT_EQ(plan.streams[1].bytes_per_bank, 64u * 4);
  EXPECT_EQ(plan.pe_mac_ops, 64u * 4);  // one add per token and sub-vector
}

TEST(PimPlan, BankGroupPesProcessEveryBankOfTheirGroup) {
  Geometry geometry = small_geometry();
  geometry.pe_count = 4;
  geometry.banks_per_pe = 4;
  Command c = command(Opcode::mac_dot);
  c.pe_mask = 0xf;
  const Plan plan = plan_command(c, geometry);
  ASSERT_TRUE(plan.ok()) << plan.reason;
  EXPECT_EQ(plan.tokens_per_pe, 4u * 64);
  EXPECT_EQ(plan.pe_mac_ops, 4u * 64 * 16);
  EXPECT_EQ(plan.streams[0].bytes_per_bank, 64u * 16 * 2);  // still per bank
}

TEST(PimPlan, PhaseCyclesRoundEachPhaseUp) {
  Plan plan;
  plan.pe_mac_ops = 33;
  plan.buffer_ops = 16;
  plan.sram_bytes = 65;
  plan.link_bytes = 1;
  const Rates rates{16, 8, 32, 64, 7};
  const PhaseCycles cycles = phase_cycles(plan, rates);
  EXPECT_EQ(cycles.mac, 3u);
  EXPECT_EQ(cycles.buffer, 2u);
  EXPECT_EQ(cycles.sram, 3u);
  EXPECT_EQ(cycles.link, 1u);
  EXPECT_EQ(cycles.overhead, 7u);
  EXPECT_EQ(cycles.serial(), 2u + 3 + 1 + 7);
}

TEST(PimPlan, ReduceCountsEveryPeOnTheBufferAndTheLink) {
  Command c = command(Opcode::reduce);
  c.pe_mask = 0b1011;
  c.length = 100;
  const Plan plan = plan_command(c, small_geometry());
  ASSERT_TRUE(plan.ok()) << plan.reason;
  EXPECT_EQ(plan.buffer_ops, 3u * 100);
  EXPECT_EQ(plan.link_bytes, 3u * 100 * 4);
  EXPECT_TRUE(plan.streams.empty());
}

}  // namespace
}  // namespace aqpim::models::pim

namespace aqpim::models::pim {
namespace {

// The sub-vector mapping's lookup passes at the paper's shape: 16 PEs of one bank, 2 sub-vectors each
// (m = 32 over the PEs), K = 512 (a table is one 1 KB row), d = 4, a GQA group of 4 query heads. What the
// register file holds decides the chunks, hence the row switches the HBM engine times
// (test_hbm_indirect.cpp checks a pass's activations and time against the timing formula).
Command lookup_pass(Opcode opcode) {
  Command c = command(opcode);
  c.flags = flag_interleaved_sub_vectors;
  c.count = 1000;
  c.sub_vectors = 2;
  c.clusters = 512;
  c.dim = 4;
  c.heads = 4;
  c.codes_offset = 0x100000;
  c.bank_offset = 0x200000;      // score_table: the table rows
  c.codebook_offset = 0x300000;  // value_table: the value codebook rows
  c.scalars_offset = 0x400000;   // value_table: the probabilities
  c.result_offset = 0x500000;
  return c;
}

const hbm::IndirectPass& pass_of(const Plan& plan) {
  for (const auto& stream : plan.streams)
    if (stream.indirect) return stream.pass;
  throw std::logic_error("no intra-row indirection pass in the plan");
}

TEST(PimPlan, TheRegisterFileSizeSetsTheLookupChunks) {
  for (const uint32_t lanes : {256u, 64u, 1024u}) {
    Geometry geometry = small_geometry();
    geometry.grf_entries = lanes;
    geometry.accumulator_entries = 4096;
    geometry.io_buffer_bytes = 1 << 16;
    const Plan score = plan_command(lookup_pass(Opcode::score_table), geometry);
    ASSERT_TRUE(score.ok()) << score.reason;
    // Scoring: a token's 2 code indices per PE; each chunk opens the 2 x 4 table rows (sub-vector, head).
    EXPECT_EQ(pass_of(score).tokens_per_chunk, lanes / 2) << lanes;
    EXPECT_EQ(pass_of(score).table_rows, 2u * 4u);
    EXPECT_EQ(pass_of(score).chunks(), (1000 + lanes / 2 - 1) / (lanes / 2));
    EXPECT_EQ(pass_of(score).lookups_per_row(0), uint64_t(std::min(lanes / 2, 1000u)));
    const Plan value = plan_command(lookup_pass(Opcode::value_table), geometry);
    ASSERT_TRUE(value.ok()) << value.reason;
    // Values: the 2 indices and 4 fp32 probabilities (2 lanes each) per token; a value codebook of
    // 512 x 4 fp16 fills 4 rows, each charged a quarter of the chunk's lookups.
    const uint32_t tokens = lanes / (2 + 2 * 4);
    EXPECT_EQ(pass_of(value).tokens_per_chunk, tokens) << lanes;
    EXPECT_EQ(pass_of(value).rows_per_table, 4u);
    EXPECT_EQ(pass_of(value).table_rows, 2u * 4u);
    EXPECT_EQ(pass_of(value).lookups_per_row(0), (std::min(tokens, 1000u) + 3) / 4);
  }
}

TEST(PimPlan, ARegisterFileTooSmallForOneTokenIsRefused) {
  Geometry geometry = small_geometry();
  geometry.grf_entries = 9;  // a value lookup needs 10 lanes per token here
  geometry.accumulator_entries = 4096;
  geometry.io_buffer_bytes = 1 << 16;
  const Plan value = plan_command(lookup_pass(Opcode::value_table), geometry);
  EXPECT_EQ(value.error, Error::bad_shape);
  EXPECT_NE(value.reason.find("register file"), std::string::npos) << value.reason;
  EXPECT_TRUE(plan_command(lookup_pass(Opcode::score_table), geometry).ok());
}

}  // namespace
}  // namespace aqpim::models::pim
