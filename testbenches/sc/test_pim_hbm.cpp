// PimUnit on the real HBM3 pseudo-channel model: data written and read back through bank-side streams
// gives the core kernels' results, timing-only mode (no data in either model) times exactly like functional
// mode, and a command's bank time is what the channel itself charges for the same streams.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/kernels.h"
#include "core/pq_codec.h"
#include "harness/sc_test_support.h"
#include "harness/bank_stream_initiator.h"
#include "harness/pim_host.h"
#include "harness/pim_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/pim_unit.h"

namespace aqpim::models {
namespace {

using core::fp16_bits;
using pim::Command;
using pim::Opcode;
using sc_core::sc_time;
using test::TestInitiator;

constexpr size_t kM = 4, kK = 16, kD = 4, kRow = kM * kD, kN = 64;
constexpr uint64_t kRows = 0x10000, kCodes = 0x20000, kScores = 0x30000;

Command command(Opcode opcode) { return test::pim_command(opcode, 0xffff, kN, kM, kK, kD); }

struct Bench : test::PimHostAccess<Bench> {
  Hbm3PseudoChannel& channel;
  PimUnit& pim;
  TestInitiator& host;
  sc_time delay;

  Bench(bool functional, std::function<void(Bench&)> body, const std::string& prefix, double bank_bandwidth_limit = 0.0)
      : channel(test::make_module<Hbm3PseudoChannel>((prefix + "channel").c_str(), channel_config(functional))),
        pim(test::make_module<PimUnit>((prefix + "pim").c_str(), pim_config(functional, bank_bandwidth_limit))),
        host(test::make_module<TestInitiator>((prefix + "host").c_str(),
                                              [this, body](TestInitiator&) { body(*this); })) {
    host.socket.bind(pim.target_socket);
    pim.bank_socket.bind(channel.bank_socket);
  }
  static Hbm3PseudoChannelConfig channel_config(bool functional) {
    Hbm3PseudoChannelConfig config;
    config.store_data = functional;
    return config;
  }
  static PimUnitConfig pim_config(bool functional, double bank_bandwidth_limit = 0.0) {
    PimUnitConfig config;
    config.bank_bandwidth_limit = bank_bandwidth_limit;
    config.clock_period = channel_config(functional).tCK;
    config.functional = functional;
    return config;
  }

  // Into every bank's `bank_offset` through the IO buffer (one slot of `bytes` per bank).
  void upload(uint64_t bank_offset, const std::vector<std::vector<unsigned char>>& per_bank) {
    std::vector<unsigned char> slots;
    for (const auto& bytes : per_bank) slots.insert(slots.end(), bytes.begin(), bytes.end());
    write(pim::reg::io_buffer, slots);
    Command move = command(Opcode::move_io_to_bank);
    move.bank_offset = bank_offset;
    move.length = uint32_t(per_bank.front().size());
    move.io_stride = move.length;
    run(move);
  }
  std::vector<std::vector<unsigned char>> download(uint64_t bank_offset, uint32_t bytes) {
    Command move = command(Opcode::move_bank_to_io);
    move.bank_offset = bank_offset;
    move.length = bytes;
    move.io_stride = bytes;
    run(move);
    std::vector<std::vector<unsigned char>> per_bank;
    for (unsigned bank = 0; bank < 16; ++bank)
      per_bank.push_back(read<unsigned char>(pim::reg::io_buffer + bank * bytes, bytes));
    return per_bank;
  }
};

template <class T>
std::vector<unsigned char> bytes_of(const std::vector<T>& values) {
  std::vector<unsigned char> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}
std::vector<fp16_bits> random_fp16(std::mt19937& rng, size_t count) {
  std::uniform_real_distribution<float> distribution(-1.0f, 1.0f);
  std::vector<fp16_bits> values(count);
  for (auto& value : values) value = core::float_to_fp16(distribution(rng));
  return values;
}
std::vector<float> widen(const std::vector<fp16_bits>& values) {
  std::vector<float> result;
  for (const fp16_bits value : values) result.push_back(core::fp16_to_float(value));
  return result;
}

// Rows in, codes and scores computed in the banks, results read back; returns every command's (start, end).
std::vector<std::pair<sc_time, sc_time>> encode_and_score(Bench& b, const std::vector<std::vector<fp16_bits>>& rows,
                                                          const std::vector<fp16_bits>& codebook,
                                                          const std::vector<float>& query) {
  std::vector<std::pair<sc_time, sc_time>> times;
  auto record = [&] { times.emplace_back(b.pim.last_command().start, b.pim.last_command().end); };
  std::vector<std::vector<unsigned char>> images;
  for (const auto& bank_rows : rows) images.push_back(bytes_of(bank_rows));
  b.upload(kRows, images);
  record();
  for (unsigned pe = 0; pe < 16; ++pe)
    b.write(pim::reg::pe_windows + pe * pim::reg::pe_window + pim::reg::pe_codebook, codebook);
  b.write(pim::reg::io_buffer + 0x8000, query);

  Command encode = command(Opcode::encode);
  encode.bank_offset = kRows;
  encode.codes_offset = kCodes;
  b.run(encode);
  record();
  Command lut = command(Opcode::build_lut);
  lut.io_offset = 0x8000;
  b.run(lut);
  record();
  Command score = command(Opcode::score);
  score.codes_offset = kCodes;
  score.result_offset = kScores;
  b.run(score);
  record();
  return times;
}

TEST(PimUnitOnHbm3, EncodeAndScoreThroughTheChannelEqualTheCore) {
  std::mt19937 rng(7);
  std::vector<std::vector<fp16_bits>> rows;
  for (unsigned bank = 0; bank < 16; ++bank) rows.push_back(random_fp16(rng, kN * kRow));
  const std::vector<fp16_bits> codebook = random_fp16(rng, kM * kK * kD);
  const std::vector<float> query = widen(random_fp16(rng, kRow));
  std::vector<std::vector<unsigned char>> codes, scores;
  Bench bench(
      true,
      [&](Bench& b) {
        encode_and_score(b, rows, codebook, query);
        codes = b.download(kCodes, uint32_t(core::packed_code_bytes(kN * kM, kK)));
        scores = b.download(kScores, kN * 4);
      },
      "");
  sc_core::sc_start();

  const core::PqCodebooks golden{{kRow, kM, kK}, widen(codebook)};
  std::vector<float> luts(kM * kK);
  for (size_t i = 0; i < kM; ++i)
    core::build_lut(query.data() + i * kD, golden.sub_space(i), kK, kD, luts.data() + i * kK);
  ASSERT_EQ(codes.size(), 16u);
  for (unsigned bank = 0; bank < 16; ++bank) {
    const std::vector<uint16_t> expected_codes = core::encode_pq(golden, widen(rows[bank]).data(), kN);
    EXPECT_EQ(codes[bank], bytes_of(core::pack_codes(expected_codes.data(), expected_codes.size(), kK))) << bank;
    std::vector<float> expected_scores(kN);
    core::score_codes(luts.data(), kM, kK, expected_codes.data(), kN, expected_scores.data());
    EXPECT_EQ(scores[bank], bytes_of(expected_scores)) << bank;
  }
}

TEST(PimUnitOnHbm3, TimingOnlyTimesLikeFunctional) {
  std::mt19937 rng(11);
  std::vector<std::vector<fp16_bits>> rows;
  for (unsigned bank = 0; bank < 16; ++bank) rows.push_back(random_fp16(rng, kN * kRow));
  const std::vector<fp16_bits> codebook = random_fp16(rng, kM * kK * kD);
  const std::vector<float> query = widen(random_fp16(rng, kRow));
  std::vector<std::pair<sc_time, sc_time>> functional_times, timing_times;
  Bench functional(
      true, [&](Bench& b) { functional_times = encode_and_score(b, rows, codebook, query); }, "f_");
  Bench timing(
      false, [&](Bench& b) { timing_times = encode_and_score(b, rows, codebook, query); }, "t_");
  sc_core::sc_start();
  ASSERT_EQ(functional_times.size(), 4u);
  EXPECT_EQ(functional_times, timing_times);
  for (const auto& [start, end] : functional_times) EXPECT_GT(end, start);
}

// The channel, not the unit, decides bank time: a twin channel fed the same bank streams directly by a test
// initiator charges exactly the bank time the unit's command took.
TEST(PimUnitOnHbm3, BankTimeIsWhatTheChannelChargesForTheSameStreams) {
  PimUnitConfig config = Bench::pim_config(false);
  std::vector<std::pair<sc_time, sc_time>> times;
  Bench bench(
      false,
      [&](Bench& b) {
        Command score = command(Opcode::score);
        score.count = 4096;
        score.codes_offset = kCodes;
        score.result_offset = kScores;
        b.run(score);
        times.emplace_back(b.pim.last_command().start, b.pim.last_command().end);
      },
      "pim_");
  auto& twin = test::make_module<Hbm3PseudoChannel>("twin", Bench::channel_config(false));
  sc_time direct_bank_time;
  auto& direct = test::make_module<test::BankStreamInitiator>("direct", [&](test::BankStreamInitiator& self) {
    sc_time offset;
    const uint64_t code_bytes = core::packed_code_bytes(4096 * kM, kK);
    for (const auto& [write, bank_offset, bytes] :
         {std::tuple{false, kCodes, code_bytes}, std::tuple{true, kScores, uint64_t(4096 * 4)}})
      EXPECT_EQ(self.stream(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, 0xffff, bank_offset, bytes, nullptr,
                            0, offset),
                tlm::TLM_OK_RESPONSE);
    direct_bank_time = offset;
  });
  direct.socket.bind(twin.bank_socket);
  sc_core::sc_start();

  const sc_time tck = config.clock_period;
  const sc_time mac = tck * (4096.0 * kM / config.macs_per_unit);
  ASSERT_EQ(times.size(), 1u);
  EXPECT_GT(direct_bank_time, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(times[0].second - times[0].first,
            std::max(direct_bank_time, mac) + tck * double(config.issue_overhead_cycles));
}

// The HBM power limit (AttAcc's spacing of all-bank MACs) as a rate: with the limit below what the banks
// stream, a command's bank time is its bytes over the limit, 16 banks x (codes + fp32 scores) here; the
// MAC lanes and the issue overhead add as without it.
TEST(PimUnitOnHbm3, PowerLimitMakesBankTimeTheBytesOverTheLimit) {
  const double limit = 2 * 25.6e9;  // 2 x the pseudo-channel's bus: below the banks' ~140 GB/s
  const uint32_t tokens = 4096;
  sc_time free_time, limited_time;
  const auto score_into = [tokens](sc_time& bank_time) {
    return [&bank_time, tokens](Bench& b) {
      Command score = command(Opcode::score);
      score.count = tokens;
      score.codes_offset = kCodes;
      score.result_offset = kScores;
      b.run(score);
      bank_time = b.pim.last_command().bank_time;
    };
  };
  Bench unlimited(false, score_into(free_time), "free_");
  Bench limited(false, score_into(limited_time), "limited_", limit);
  sc_core::sc_start();
  const double bytes = 16.0 * (double(core::packed_code_bytes(tokens * kM, kK)) + tokens * 4.0);
  const sc_time expected(bytes / limit, sc_core::SC_SEC);
  EXPECT_LT(free_time, expected) << "the limit must bind";
  EXPECT_EQ(limited_time, expected);
}

}  // namespace
}  // namespace aqpim::models
