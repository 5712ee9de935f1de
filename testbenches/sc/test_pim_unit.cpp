// PimUnit against a fake bank memory: every command's functional result equals the core kernels applied to
// the same inputs (compared byte for byte), rejected commands report an error and take no time, timing-only
// mode times exactly like functional mode, and command times follow the documented formulas (computed
// here from the fake memory's own formula and the operation counts, never from the unit's output).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/kernels.h"
#include "core/pq_codec.h"
#include "harness/fake_bank_memory.h"
#include "harness/sc_test_support.h"
#include "harness/pim_host.h"
#include "harness/pim_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/pim_unit.h"

namespace aqpim::models {
namespace {

using core::fp16_bits;
using pim::Command;
using pim::Opcode;
using sc_core::SC_NS;
using sc_core::sc_time;
using test::FakeBankMemory;
using test::TestInitiator;

// The test shape: 16 element rows as m = 4 sub-vectors of d = 4, K = 16 (4-bit codes), N tokens per bank.
constexpr size_t kM = 4, kK = 16, kD = 4, kRow = kM * kD, kN = 32;
constexpr uint64_t kRows = 0x0000, kCodes = 0x1000, kScalars = 0x2000, kResult = 0x3000, kCodebookImage = 0x4000,
                   kCodes2 = 0x5000, kResult2 = 0x6000;

PimUnitConfig test_config() {
  PimUnitConfig config;
  config.clock_period = sc_time(1, SC_NS);
  config.issue_overhead_cycles = 4;
  return config;
}

// ---- data ----------------------------------------------------------------------------------------------

std::mt19937& rng() {
  static std::mt19937 generator(20260418);
  return generator;
}
std::vector<float> random_floats(size_t count, float low = -1.0f, float high = 1.0f) {
  std::uniform_real_distribution<float> distribution(low, high);
  std::vector<float> values(count);
  for (auto& value : values) value = distribution(rng());
  return values;
}
std::vector<fp16_bits> random_fp16(size_t count) {
  std::vector<fp16_bits> values;
  for (const float value : random_floats(count)) values.push_back(core::float_to_fp16(value));
  return values;
}
std::vector<uint16_t> random_codes(size_t count, size_t clusters) {
  std::uniform_int_distribution<unsigned> distribution(0, unsigned(clusters - 1));
  std::vector<uint16_t> codes(count);
  for (auto& code : codes) code = uint16_t(distribution(rng()));
  return codes;
}
std::vector<float> widen(const std::vector<fp16_bits>& values) {
  std::vector<float> result;
  for (const fp16_bits value : values) result.push_back(core::fp16_to_float(value));
  return result;
}
template <class T>
std::vector<unsigned char> bytes_of(const std::vector<T>& values) {
  std::vector<unsigned char> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}
// Sub-space i of token-major rows / codes, as the kernels want them.
std::vector<float> sub_space(const std::vector<float>& rows, size_t i, size_t m = kM, size_t d = kD) {
  std::vector<float> points;
  for (size_t n = 0; n < rows.size() / (m * d); ++n)
    points.insert(points.end(), rows.begin() + n * m * d + i * d, rows.begin() + n * m * d + i * d + d);
  return points;
}
std::vector<uint32_t> sub_codes(const std::vector<uint16_t>& codes, size_t i, size_t m = kM) {
  std::vector<uint32_t> result;
  for (size_t n = 0; n < codes.size() / m; ++n) result.push_back(codes[n * m + i]);
  return result;
}

using test::buffer_accumulators;
using test::io;
using test::pe_accumulators;
using test::pe_codebook;
using test::pe_lut;

Command command(Opcode opcode, uint64_t pe_mask = 0xffff) { return test::pim_command(opcode, pe_mask, kN, kM, kK, kD); }

// ---- bench ---------------------------------------------------------------------------------------------

// A fake bank memory, a PimUnit and a host thread that drives it with loosely-timed accesses (the host
// never waits; `delay` is its local time offset).
struct Bench : test::PimHostAccess<Bench> {
  FakeBankMemory& memory;
  PimUnit& pim;
  TestInitiator& host;
  sc_time delay;

  Bench(const PimUnitConfig& config, std::function<void(Bench&)> body, const std::string& prefix = "")
      : memory(test::make_module<FakeBankMemory>((prefix + "banks").c_str(), bank_config(config))),
        pim(test::make_module<PimUnit>((prefix + "pim").c_str(), config)),
        host(test::make_module<TestInitiator>((prefix + "host").c_str(),
                                              [this, body](TestInitiator&) { body(*this); })) {
    host.socket.bind(pim.target_socket);
    pim.bank_socket.bind(memory.bank_socket);
  }
  static FakeBankMemory::Config bank_config(const PimUnitConfig& config) {
    FakeBankMemory::Config memory_config;
    memory_config.banks = config.bank_groups * config.banks_per_group;
    return memory_config;
  }

  std::vector<unsigned char> read_bytes(uint64_t address, size_t count) { return read<unsigned char>(address, count); }
  // Bank data goes straight into the fake memory: it is the test's input, not part of what is timed.
  template <class T>
  void put(unsigned bank, uint64_t offset, const std::vector<T>& values) {
    std::memcpy(memory.bank(bank) + offset, values.data(), values.size() * sizeof(T));
  }
  std::vector<unsigned char> bank_bytes(unsigned bank, uint64_t offset, size_t count) {
    return {memory.bank(bank) + offset, memory.bank(bank) + offset + count};
  }
  void put_codes(unsigned bank, uint64_t offset, const std::vector<uint16_t>& codes, size_t clusters = kK) {
    put(bank, offset, core::pack_codes(codes.data(), codes.size(), clusters));
  }
};

// ---- functional results --------------------------------------------------------------------------------

TEST(PimUnit, CodebookLoadAndStoreMoveEachPesImage) {
  std::vector<std::vector<fp16_bits>> images;
  Bench bench(test_config(), [&](Bench& b) {
    for (unsigned bank = 0; bank < 16; ++bank) {
      images.push_back(random_fp16(kM * kK * kD));
      b.put(bank, kCodebookImage, images.back());
    }
    Command load = command(Opcode::load_codebook, 0b1001);
    load.bank_offset = kCodebookImage;
    load.codebook_offset = 100;
    b.run(load);
    b.fence();
    EXPECT_EQ(b.read<fp16_bits>(pe_codebook(3, 100), kM * kK * kD), images[3]);
    EXPECT_EQ(b.read<fp16_bits>(pe_codebook(0, 100), kM * kK * kD), images[0]);
    EXPECT_EQ(b.read<fp16_bits>(pe_codebook(1, 100), kM * kK * kD), std::vector<fp16_bits>(kM * kK * kD, 0));

    Command store = command(Opcode::store_codebook, 0b1000);
    store.bank_offset = kResult;
    store.codebook_offset = 100;
    b.run(store);
    EXPECT_EQ(b.bank_bytes(3, kResult, images[3].size() * 2), bytes_of(images[3]));
    EXPECT_EQ(b.bank_bytes(0, kResult, 4), std::vector<unsigned char>(4, 0));  // PE 0 not selected
  });
  sc_core::sc_start();
}

TEST(PimUnit, EncodeAndKmeansAssignEqualTheGoldenEncoder) {
  Bench bench(test_config(), [&](Bench& b) {
    std::vector<std::vector<fp16_bits>> rows, codebooks;
    for (unsigned pe = 0; pe < 16; ++pe) {
      rows.push_back(random_fp16(kN * kRow));
      codebooks.push_back(random_fp16(kM * kK * kD));
      b.put(pe, kRows, rows.back());
      b.write(pe_codebook(pe), codebooks.back());
    }
    Command encode = command(Opcode::encode);
    encode.bank_offset = kRows;
    encode.codes_offset = kCodes;
    b.run(encode);
    // kmeans_assign of the second half of the tokens, written at that token range of another region.
    Command assign = encode;
    assign.opcode = uint32_t(Opcode::kmeans_assign);
    assign.first_token = kN / 2;
    assign.count = kN / 2;
    assign.codes_offset = kCodes2;
    b.run(assign);

    const size_t half_bytes = core::packed_code_bytes(kN / 2 * kM, kK);
    for (unsigned pe = 0; pe < 16; ++pe) {
      core::PqCodebooks golden{{kRow, kM, kK}, widen(codebooks[pe])};
      const std::vector<uint16_t> codes = core::encode_pq(golden, widen(rows[pe]).data(), kN);
      const std::vector<uint8_t> packed = core::pack_codes(codes.data(), codes.size(), kK);
      EXPECT_EQ(b.bank_bytes(pe, kCodes, packed.size()), std::vector<unsigned char>(packed.begin(), packed.end()))
          << "PE " << pe;
      EXPECT_EQ(b.bank_bytes(pe, kCodes2 + half_bytes, half_bytes),
                std::vector<unsigned char>(packed.begin() + half_bytes, packed.end()))
          << "PE " << pe;
      EXPECT_EQ(b.bank_bytes(pe, kCodes2, half_bytes), std::vector<unsigned char>(half_bytes, 0));
    }
  });
  sc_core::sc_start();
}

TEST(PimUnit, KmeansAccumulateReduceAndUpdateEqualTheCoreKernels) {
  Bench bench(test_config(), [&](Bench& b) {
    constexpr size_t kEntries = kM * kK * (kD + 1);
    constexpr uint32_t kAccumulatorOffset = 8, kBufferOffset = 4;
    const std::vector<fp16_bits> initial = random_fp16(kM * kK * kD);
    std::vector<std::vector<float>> accumulators;
    for (unsigned pe = 0; pe < 16; ++pe) {
      const std::vector<fp16_bits> rows = random_fp16(kN * kRow);
      const std::vector<uint16_t> codes = random_codes(kN * kM, kK - 1);  // cluster K-1 stays empty
      const std::vector<float> weights = random_floats(kN, 0.0f, 1.0f);
      b.put(pe, kRows, rows);
      b.put_codes(pe, kCodes, codes);
      b.put(pe, kScalars, weights);
      b.write(pe_codebook(pe), initial);
      b.write(pe_accumulators(pe, kAccumulatorOffset), random_floats(kEntries));  // cleared by the flag

      std::vector<float> golden(kEntries, 0.0f);
      for (size_t i = 0; i < kM; ++i)
        core::accumulate_by_code(sub_space(widen(rows), i).data(), kN, kD, sub_codes(codes, i).data(), weights.data(),
                                 kK, golden.data() + i * kK * kD, golden.data() + kM * kK * kD + i * kK);
      accumulators.push_back(golden);
    }
    Command accumulate = command(Opcode::kmeans_accumulate);
    accumulate.flags = pim::flag_clear_accumulators;
    accumulate.bank_offset = kRows;
    accumulate.codes_offset = kCodes;
    accumulate.scalars_offset = kScalars;
    accumulate.accumulator_offset = kAccumulatorOffset;
    b.run(accumulate);
    for (unsigned pe = 0; pe < 16; ++pe)
      EXPECT_EQ(bytes_of(b.read<float>(pe_accumulators(pe, kAccumulatorOffset), kEntries)), bytes_of(accumulators[pe]))
          << "PE " << pe;

    Command reduce = command(Opcode::reduce);
    reduce.flags = pim::flag_clear_accumulators;
    reduce.length = kEntries;
    reduce.accumulator_offset = kAccumulatorOffset;
    reduce.buffer_accumulator_offset = kBufferOffset;
    b.run(reduce);
    std::vector<float> total(kEntries, 0.0f);
    for (const auto& partial : accumulators) core::add_into(total.data(), partial.data(), kEntries);
    EXPECT_EQ(bytes_of(b.read<float>(buffer_accumulators(kBufferOffset), kEntries)), bytes_of(total));

    Command update = command(Opcode::update_centroids);
    update.buffer_accumulator_offset = kBufferOffset;
    b.run(update);
    std::vector<float> centroids = widen(initial);
    size_t kept = 0;
    for (size_t i = 0; i < kM; ++i)
      kept += core::finish_centroids(total.data() + i * kK * kD, total.data() + kM * kK * kD + i * kK, kK, kD,
                                     centroids.data() + i * kK * kD);
    EXPECT_EQ(kept, kM);  // the empty cluster of every sub-space kept its centroid
    std::vector<fp16_bits> expected;
    for (const float value : centroids) expected.push_back(core::float_to_fp16(value));
    for (unsigned pe = 0; pe < 16; ++pe) EXPECT_EQ(b.read<fp16_bits>(pe_codebook(pe), expected.size()), expected);

    // Unweighted and without clearing: adds 1 per token onto what PE 5 holds.
    Command unweighted = accumulate;
    unweighted.pe_mask = 1u << 5;
    unweighted.flags = pim::flag_unweighted;
    unweighted.scalars_offset = 0xffff'ffff;  // must not be read
    b.run(unweighted);
    std::vector<float> golden = accumulators[5];
    std::vector<fp16_bits> rows(kN * kRow);
    std::memcpy(rows.data(), b.memory.bank(5) + kRows, rows.size() * sizeof(fp16_bits));
    const std::vector<uint16_t> codes = core::unpack_codes(b.memory.bank(5) + kCodes, kN * kM, kK);
    for (size_t i = 0; i < kM; ++i)
      core::accumulate_by_code(sub_space(widen(rows), i).data(), kN, kD, sub_codes(codes, i).data(), nullptr, kK,
                               golden.data() + i * kK * kD, golden.data() + kM * kK * kD + i * kK);
    EXPECT_EQ(bytes_of(b.read<float>(pe_accumulators(5, kAccumulatorOffset), kEntries)), bytes_of(golden));
  });
  sc_core::sc_start();
}

// LUT -> score -> softmax partials (merged by the host) -> normalize -> both value paths, per PE, against the
// same sequence of core kernels.
TEST(PimUnit, AttentionOnCodesEqualsTheCoreSequence) {
  Bench bench(test_config(), [&](Bench& b) {
    constexpr uint32_t kValueCodebook = kM * kK * kD, kPartialsIo = 256, kOutputIo = 1024, kReconstructed = 512;
    const std::vector<float> query = random_floats(kRow);
    b.write(io(0), query);
    std::vector<std::vector<fp16_bits>> key_books, value_books;
    std::vector<std::vector<uint16_t>> key_codes, value_codes;
    for (unsigned pe = 0; pe < 16; ++pe) {
      key_books.push_back(random_fp16(kM * kK * kD));
      value_books.push_back(random_fp16(kM * kK * kD));
      key_codes.push_back(random_codes(kN * kM, kK));
      value_codes.push_back(random_codes(kN * kM, kK));
      b.write(pe_codebook(pe), key_books.back());
      b.write(pe_codebook(pe, kValueCodebook), value_books.back());
      b.put_codes(pe, kCodes, key_codes.back());
      b.put_codes(pe, kCodes2, value_codes.back());
    }

    Command lut = command(Opcode::build_lut);
    b.run(lut);
    Command score = command(Opcode::score);
    score.codes_offset = kCodes;
    score.result_offset = kResult;
    b.run(score);
    Command partial = command(Opcode::softmax_partial);
    partial.scalars_offset = kResult;
    partial.io_offset = kPartialsIo;
    partial.io_stride = 8;
    b.run(partial);
    b.fence();

    std::vector<std::vector<float>> scores(16);
    core::SoftmaxPartial total;
    for (unsigned pe = 0; pe < 16; ++pe) {
      std::vector<float> luts(kM * kK);
      const std::vector<float> centroids = widen(key_books[pe]);
      for (size_t i = 0; i < kM; ++i)
        core::build_lut(query.data() + i * kD, centroids.data() + i * kK * kD, kK, kD, luts.data() + i * kK);
      EXPECT_EQ(bytes_of(b.read<float>(pe_lut(pe), kM * kK)), bytes_of(luts)) << "PE " << pe;
      scores[pe].resize(kN);
      core::score_codes(luts.data(), kM, kK, key_codes[pe].data(), kN, scores[pe].data());
      EXPECT_EQ(b.bank_bytes(pe, kResult, kN * 4), bytes_of(scores[pe])) << "PE " << pe;
      const core::SoftmaxPartial expected = core::softmax_partial(scores[pe].data(), kN);
      const std::vector<float> reported = b.read<float>(io(kPartialsIo + pe * 8), 2);
      EXPECT_EQ(bytes_of(reported), bytes_of(std::vector<float>{expected.max, expected.sum})) << "PE " << pe;
      total = core::merge_softmax(total, {reported[0], reported[1]});
    }

    Command normalize = command(Opcode::softmax_normalize);
    normalize.scalars_offset = kResult;
    normalize.result_offset = kResult2;
    normalize.softmax_max = total.max;
    normalize.softmax_sum = total.sum;
    b.run(normalize);
    Command histogram = command(Opcode::value_histogram);
    histogram.flags = pim::flag_clear_accumulators;
    histogram.scalars_offset = kResult2;
    histogram.codes_offset = kCodes2;
    b.run(histogram);
    Command output = command(Opcode::value_output);
    output.codebook_offset = kValueCodebook;
    output.io_offset = kOutputIo;
    output.io_stride = kRow * 4;
    b.run(output);
    Command reconstruct = command(Opcode::value_reconstruct);
    reconstruct.flags = pim::flag_clear_accumulators;
    reconstruct.scalars_offset = kResult2;
    reconstruct.codes_offset = kCodes2;
    reconstruct.codebook_offset = kValueCodebook;
    reconstruct.accumulator_offset = kReconstructed;
    b.run(reconstruct);
    b.fence();

    for (unsigned pe = 0; pe < 16; ++pe) {
      std::vector<float> probabilities(kN), bins(kM * kK, 0.0f), out(kRow), rebuilt(kRow, 0.0f);
      core::softmax_normalize(scores[pe].data(), kN, total, probabilities.data());
      EXPECT_EQ(b.bank_bytes(pe, kResult2, kN * 4), bytes_of(probabilities)) << "PE " << pe;
      core::accumulate_histogram(probabilities.data(), value_codes[pe].data(), kN, kM, kK, bins.data());
      EXPECT_EQ(bytes_of(b.read<float>(pe_accumulators(pe), kM * kK)), bytes_of(bins)) << "PE " << pe;
      const std::vector<float> codebook = widen(value_books[pe]);
      core::histogram_times_codebook(bins.data(), codebook.data(), kM, kK, kD, out.data());
      const std::vector<float> reported = b.read<float>(io(kOutputIo + pe * kRow * 4), kRow);
      EXPECT_EQ(bytes_of(reported), bytes_of(out)) << "PE " << pe;
      core::accumulate_reconstructed(probabilities.data(), value_codes[pe].data(), kN, kM, kK, kD, codebook.data(),
                                     rebuilt.data());
      const std::vector<float> reconstructed = b.read<float>(pe_accumulators(pe, kReconstructed), kRow);
      EXPECT_EQ(bytes_of(reconstructed), bytes_of(rebuilt)) << "PE " << pe;
      // The two value paths are the same mathematics: they agree up to rounding.
      for (size_t e = 0; e < kRow; ++e) EXPECT_NEAR(reported[e], reconstructed[e], 1e-5f);
    }
  });
  sc_core::sc_start();
}

TEST(PimUnit, Fp16MacStreamsEqualTheCoreKernels) {
  Bench bench(test_config(), [&](Bench& b) {
    const std::vector<float> query = random_floats(kRow);
    b.write(io(64), query);
    std::vector<std::vector<fp16_bits>> rows;
    std::vector<std::vector<float>> probabilities;
    for (unsigned pe = 0; pe < 16; ++pe) {
      rows.push_back(random_fp16(kN * kRow));
      probabilities.push_back(random_floats(kN, 0.0f, 0.1f));
      b.put(pe, kRows, rows.back());
      b.put(pe, kScalars, probabilities.back());
    }
    Command dot = command(Opcode::mac_dot);
    dot.io_offset = 64;
    dot.bank_offset = kRows;
    dot.result_offset = kResult;
    b.run(dot);
    Command weighted = command(Opcode::mac_weighted);
    weighted.bank_offset = kRows;
    weighted.scalars_offset = kScalars;
    weighted.accumulator_offset = 40;
    b.write(pe_accumulators(7, 40), std::vector<float>(kRow, 0.5f));  // accumulates onto what is there
    b.run(weighted);
    // The buffer die gathers every PE's outputs into its IO slot in one command.
    Command gather = command(Opcode::gather_accumulators);
    gather.accumulator_offset = 40;
    gather.length = kRow;
    gather.io_offset = 1024;
    gather.io_stride = kRow * 4;
    b.run(gather);
    for (unsigned pe = 0; pe < 16; ++pe) {
      std::vector<float> scores(kN), out(kRow, pe == 7 ? 0.5f : 0.0f);
      core::dot_rows_fp16(rows[pe].data(), kN, kRow, query.data(), scores.data());
      EXPECT_EQ(b.bank_bytes(pe, kResult, kN * 4), bytes_of(scores)) << "PE " << pe;
      core::accumulate_rows_fp16(probabilities[pe].data(), rows[pe].data(), kN, kRow, out.data());
      EXPECT_EQ(bytes_of(b.read<float>(pe_accumulators(pe, 40), kRow)), bytes_of(out)) << "PE " << pe;
      EXPECT_EQ(bytes_of(b.read<float>(io(1024 + pe * kRow * 4), kRow)), bytes_of(out)) << "PE " << pe;
    }
  });
  sc_core::sc_start();
}

TEST(PimUnit, MovesCopyBetweenBanksAndIoSlots) {
  Bench bench(test_config(), [&](Bench& b) {
    std::vector<std::vector<unsigned char>> data;
    for (unsigned bank = 0; bank < 16; ++bank) {
      data.emplace_back();
      for (int i = 0; i < 32; ++i) data.back().push_back(static_cast<unsigned char>(bank * 32 + i));
      b.put(bank, kResult, data.back());
    }
    Command up = command(Opcode::move_bank_to_io, 0b0110);
    up.bank_offset = kResult;
    up.length = 32;
    up.io_offset = 0x100;
    up.io_stride = 32;
    b.run(up);
    EXPECT_EQ(b.read_bytes(io(0x100 + 32), 32), data[1]);
    EXPECT_EQ(b.read_bytes(io(0x100 + 64), 32), data[2]);
    EXPECT_EQ(b.read_bytes(io(0x100), 32), std::vector<unsigned char>(32, 0));

    const std::vector<unsigned char> pattern = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    b.write(io(0x800), pattern);
    Command down = command(Opcode::move_io_to_bank);
    down.bank_offset = kResult2;
    down.length = 16;
    down.io_offset = 0x800;  // io_stride 0: every PE takes the same slot
    b.run(down);
    for (unsigned bank = 0; bank < 16; ++bank) EXPECT_EQ(b.bank_bytes(bank, kResult2, 16), pattern) << bank;
  });
  sc_core::sc_start();
}

// ---- rejection -----------------------------------------------------------------------------------------

TEST(PimUnit, CommandsNeedingMoreSramThanConfiguredAreRejectedWithStatus) {
  PimUnitConfig config = test_config();
  config.lut_sram_bytes = kM * kK * 4;  // exactly one LUT set
  config.histogram_entries = kM * kK;
  Bench bench(config, [&](Bench& b) {
    Command lut = command(Opcode::build_lut);
    lut.lut_offset = 1;
    EXPECT_EQ(b.issue(lut), tlm::TLM_GENERIC_ERROR_RESPONSE);
    pim::Status status = b.status();
    EXPECT_EQ(status.error, uint32_t(pim::Error::lut_overflow));
    EXPECT_EQ(status.error_opcode, uint32_t(Opcode::build_lut));
    EXPECT_EQ(status.issued, 0u);
    EXPECT_NE(b.pim.last_error_reason().find("LUT"), std::string::npos) << b.pim.last_error_reason();
    EXPECT_EQ(b.pim.busy_until(), sc_core::SC_ZERO_TIME);  // a rejected command takes no time
    EXPECT_TRUE(b.memory.bank_log.empty());

    Command histogram = command(Opcode::value_histogram);
    histogram.accumulator_offset = 1;
    EXPECT_EQ(b.issue(histogram), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::accumulator_overflow));
    Command load = command(Opcode::load_codebook);
    load.codebook_offset = uint32_t(config.codebook_sram_bytes / 2);
    EXPECT_EQ(b.issue(load), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::codebook_overflow));
    EXPECT_EQ(b.issue(command(Opcode::score, 1u << 16)), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::bad_pe_mask));

    // A write to STATUS clears the error; a command that fits runs.
    b.write(pim::reg::status, std::vector<uint32_t>{0});
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::none));
    lut.lut_offset = 0;
    EXPECT_EQ(b.issue(lut), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::none));

    // A descriptor of the wrong size is a register access error, not a command.
    uint32_t half_descriptor[4] = {uint32_t(Opcode::build_lut), 0, 0xffff, 0};
    EXPECT_EQ(
        b.host.access(tlm::TLM_WRITE_COMMAND, pim::reg::command, half_descriptor, sizeof half_descriptor, b.delay),
        tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::bad_register_access));
    EXPECT_EQ(b.status().issued, 1u);
  });
  sc_core::sc_start();
}

TEST(PimUnit, StoredCodesOutOfRangeAndBankErrorsAreRejected) {
  Bench bench(test_config(), [&](Bench& b) {
    constexpr size_t kClusters = 12;  // still 4-bit codes, so 12..15 are representable
    std::vector<uint16_t> codes = random_codes(kN * kM, kClusters);
    codes[5] = 14;
    b.put(3, kCodes, core::pack_codes(codes.data(), codes.size(), 16));
    Command score = command(Opcode::score);
    score.clusters = kClusters;
    score.codes_offset = kCodes;
    score.result_offset = kResult;
    EXPECT_EQ(b.issue(score), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::code_out_of_range));
    EXPECT_NE(b.pim.last_error_reason().find("PE 3"), std::string::npos) << b.pim.last_error_reason();
    for (unsigned bank = 0; bank < 16; ++bank)
      EXPECT_EQ(b.bank_bytes(bank, kResult, kN * 4), std::vector<unsigned char>(kN * 4, 0));

    score.codes_offset = b.memory.config.bank_bytes;  // leaves the bank
    EXPECT_EQ(b.issue(score), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::bank_access_failed));
  });
  sc_core::sc_start();
}

// ---- timing --------------------------------------------------------------------------------------------

// A sequence touching every opcode; returns each command's (start, end).
// The sub-vector mapping's opcodes on the same banks: tables built from the codebook image, lookups over
// the codes the earlier encode wrote, the buffer die's softmax, value lookups, and the codebook kept in banks.
template <class Run>
void run_every_subvector_opcode(Run&& run) {
  constexpr uint64_t kTable = 0x8000, kOutputs = 2048;
  Command c = command(Opcode::build_table);
  c.flags = pim::flag_interleaved_sub_vectors;
  c.codebook_offset = kCodebookImage;
  c.result_offset = kTable;
  run(c);
  c = command(Opcode::score_table);
  c.bank_offset = kTable;
  c.codes_offset = kCodes;
  c.result_offset = kResult;
  run(c);
  c = command(Opcode::score_summed);
  c.codes_offset = kCodes;
  c.result_offset = kResult;
  run(c);
  c = command(Opcode::softmax_buffer);
  c.scalars_offset = kResult;
  c.result_offset = kResult2;
  run(c);
  c = command(Opcode::value_table);
  c.flags = pim::flag_clear_accumulators;
  c.codebook_offset = kCodebookImage;
  c.codes_offset = kCodes;
  c.scalars_offset = kResult2;
  c.output_accumulator_offset = kOutputs;
  run(c);
  c = command(Opcode::kmeans_assign);
  c.flags = pim::flag_codebook_in_bank | pim::flag_assign_in_buffer;
  c.codebook_offset = kCodebookImage;
  c.codes_offset = kCodes2;
  run(c);
  c = command(Opcode::finish_centroids);
  c.flags = pim::flag_codebook_in_bank;
  c.codebook_offset = kCodebookImage;
  run(c);
  c = command(Opcode::copy_rows);
  c.bank_offset = kRows;
  c.result_offset = 0x7000;
  c.length = 64;
  run(c);
}

std::vector<std::pair<sc_time, sc_time>> run_every_opcode(Bench& b) {
  std::vector<std::pair<sc_time, sc_time>> times;
  auto run = [&](Command c) {
    b.run(c);
    times.emplace_back(b.pim.last_command().start, b.pim.last_command().end);
  };
  Command c = command(Opcode::load_codebook);
  c.bank_offset = kCodebookImage;
  run(c);
  for (const Opcode opcode : {Opcode::encode, Opcode::kmeans_assign}) {
    c = command(opcode);
    c.codes_offset = kCodes;
    run(c);
  }
  c = command(Opcode::kmeans_accumulate);
  c.codes_offset = kCodes;
  run(c);
  c = command(Opcode::reduce);
  c.length = kM * kK * (kD + 1);
  run(c);
  run(command(Opcode::update_centroids));
  run(command(Opcode::build_lut));
  c = command(Opcode::score);
  c.codes_offset = kCodes;
  c.result_offset = kResult;
  run(c);
  c = command(Opcode::softmax_partial, 0x00ff);
  c.scalars_offset = kResult;
  c.io_stride = 8;
  run(c);
  c = command(Opcode::softmax_normalize);
  c.scalars_offset = kResult;
  c.result_offset = kResult2;
  c.softmax_sum = 1.0f;
  run(c);
  for (const Opcode opcode : {Opcode::value_histogram, Opcode::value_reconstruct, Opcode::mac_weighted}) {
    c = command(opcode);
    c.scalars_offset = kResult2;
    c.codes_offset = kCodes;
    run(c);
  }
  c = command(Opcode::value_output);
  c.io_stride = 64;
  run(c);
  run(command(Opcode::mac_dot));
  c = command(Opcode::store_codebook, 0x0f0f);
  c.bank_offset = kCodebookImage + 0x800;
  run(c);
  for (const Opcode opcode : {Opcode::move_bank_to_io, Opcode::move_io_to_bank}) {
    c = command(opcode);
    c.length = 64;
    c.io_stride = 64;
    run(c);
  }
  c = command(Opcode::gather_accumulators);
  c.length = 16;
  c.io_stride = 64;
  run(c);
  run_every_subvector_opcode(run);
  b.fence();
  return times;
}

TEST(PimUnit, TimingOnlyModeTimesEveryCommandLikeFunctionalMode) {
  PimUnitConfig timing_only = test_config();
  timing_only.functional = false;
  std::vector<std::pair<sc_time, sc_time>> functional_times, timing_only_times;
  Bench functional(
      test_config(), [&](Bench& b) { functional_times = run_every_opcode(b); }, "functional_");
  Bench timing(
      timing_only, [&](Bench& b) { timing_only_times = run_every_opcode(b); }, "timing_");
  sc_core::sc_start();
  // Every opcode but nop, kmeans_assign a second time with its codebook in the banks.
  ASSERT_EQ(functional_times.size(), size_t(Opcode::count_));
  EXPECT_EQ(functional_times, timing_only_times);
  EXPECT_EQ(functional.delay, timing.delay);
  // Same bank traffic, with data in one mode only.
  ASSERT_EQ(functional.memory.bank_log.size(), timing.memory.bank_log.size());
  for (size_t i = 0; i < timing.memory.bank_log.size(); ++i) {
    EXPECT_TRUE(functional.memory.bank_log[i].has_data);
    EXPECT_FALSE(timing.memory.bank_log[i].has_data);
    EXPECT_EQ(functional.memory.bank_log[i].bank_mask, timing.memory.bank_log[i].bank_mask);
    EXPECT_EQ(functional.memory.bank_log[i].bytes_per_bank, timing.memory.bank_log[i].bytes_per_bank);
  }
  // Commands on one unit serialize.
  for (size_t i = 1; i < functional_times.size(); ++i)
    EXPECT_EQ(functional_times[i].first, functional_times[i - 1].second);
}

TEST(PimUnit, BankBoundCommandTakesTheMemorysStreamingTime) {
  constexpr uint32_t kTokens = 4096;
  Bench bench(test_config(), [&](Bench& b) {
    Command score = command(Opcode::score);
    score.sub_vectors = 1;
    score.clusters = 256;  // one byte of code per token
    score.count = kTokens;
    score.codes_offset = 0;
    score.result_offset = 0x8000;
    b.run(score);
    const sc_time tck(1, SC_NS);
    const sc_time bank = b.memory.bank_time(kTokens) + b.memory.bank_time(kTokens * 4);
    const sc_time mac = tck * double(kTokens / 16);
    ASSERT_GT(bank, mac);
    EXPECT_EQ(b.pim.last_command().start, sc_core::SC_ZERO_TIME);
    EXPECT_EQ(b.pim.last_command().end, bank + tck * 4.0);
    // Every bank of the pseudo-channel streams in the same transaction.
    ASSERT_EQ(b.memory.bank_log.size(), 2u);
    EXPECT_EQ(b.memory.bank_log[0].bank_mask, 0xffffu);
  });
  sc_core::sc_start();
}

TEST(PimUnit, MacBoundCommandsTakeOperationsOverLanes) {
  Bench bench(test_config(), [&](Bench& b) {
    // build_lut streams nothing from the banks: MACs, then the LUT write, the query broadcast and the issue.
    Command lut = command(Opcode::build_lut);
    lut.clusters = 512;
    b.run(lut);
    const double lut_cycles = kM * 512 * kD / 16.0 + kM * 512 * 4 / 32.0 + kRow * 4 / 32.0 + 4;
    EXPECT_EQ(b.pim.last_command().end - b.pim.last_command().start, sc_time(lut_cycles, SC_NS));

    // kmeans_assign: (d MACs + 1 compare) per token, sub-vector and centroid dwarf the bank streams.
    Command assign = command(Opcode::kmeans_assign);
    assign.count = 64;
    assign.clusters = 64;
    assign.codes_offset = kCodes;
    b.run(assign);
    const double mac_cycles = 64.0 * kM * 64 * (kD + 1) / 16;
    ASSERT_GT(sc_time(mac_cycles, SC_NS), b.memory.bank_time(64 * kRow * 2) + b.memory.bank_time(64 * kM * 6 / 8));
    EXPECT_EQ(b.pim.last_command().end - b.pim.last_command().start, sc_time(mac_cycles + 4, SC_NS));
  });
  sc_core::sc_start();
}

// Two commands, a FENCE, then completion_event() asked for after the commands were issued: with the
// interrupt bound (events scheduled all along) or not (the first call schedules what is still ahead).
void check_fence_and_completion_events(bool bind_interrupt) {
  sc_core::sc_signal<bool> interrupt("interrupt");
  std::vector<sc_time> completions;
  Bench bench(test_config(), [&](Bench& b) {
    Command lut = command(Opcode::build_lut);
    lut.clusters = 512;
    const sc_time one = sc_time(kM * 512 * kD / 16.0 + kM * 512 * 4 / 32.0 + kRow * 4 / 32.0 + 4, SC_NS);
    b.delay = sc_time(10, SC_NS);  // the host's local time when it issues
    b.run(lut);
    b.run(lut);
    pim::Status status = b.status();
    EXPECT_EQ(status.issued, 2u);
    EXPECT_EQ(status.completed, 0u);
    EXPECT_EQ(b.fence(), 2u);
    EXPECT_EQ(b.delay, sc_time(10, SC_NS) + one * 2.0);
    EXPECT_EQ(b.status().completed, 2u);
    // The event view of the same completions.
    sc_core::wait(b.pim.completion_event());
    completions.push_back(sc_core::sc_time_stamp());
    sc_core::wait(b.pim.completion_event());
    completions.push_back(sc_core::sc_time_stamp());
    b.delay = sc_core::SC_ZERO_TIME;  // the host synchronised by waiting
    EXPECT_EQ(b.fence(), 2u);         // nothing outstanding: no extra delay
    EXPECT_EQ(b.delay, sc_core::SC_ZERO_TIME);
  });
  if (bind_interrupt) bench.pim.interrupt.bind(interrupt);
  sc_core::sc_start();
  const sc_time one = sc_time(kM * 512 * kD / 16.0 + kM * 512 * 4 / 32.0 + kRow * 4 / 32.0 + 4, SC_NS);
  ASSERT_EQ(completions.size(), 2u);
  EXPECT_EQ(completions[0], sc_time(10, SC_NS) + one);
  EXPECT_EQ(completions[1], sc_time(10, SC_NS) + one * 2.0);
  EXPECT_EQ(interrupt.read(), bind_interrupt);
}

TEST(PimUnit, FenceCompletesAtTheLastCommandsCompletion) { check_fence_and_completion_events(true); }

TEST(PimUnit, CompletionEventsAskedForLateStillFireWithoutAnInterrupt) { check_fence_and_completion_events(false); }

TEST(PimUnit, QueuedDescriptorsRunInOrderAtTheDoorbellAsCommandWritesWould) {
  // A three-entry ring, filled twice so that the second batch wraps: four LUT builds, timed by the same
  // formula as one COMMAND write each, back to back from the doorbell's time.
  PimUnitConfig config = test_config();
  config.command_queue_entries = 3;
  Bench bench(config, [&](Bench& b) {
    Command lut = command(Opcode::build_lut);
    lut.clusters = 512;
    const sc_time one = sc_time(kM * 512 * kD / 16.0 + kM * 512 * 4 / 32.0 + kRow * 4 / 32.0 + 4, SC_NS);
    b.delay = sc_time(10, SC_NS);
    ASSERT_EQ(b.queue(0, {lut, lut}, 2), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.queue_head(), 2u);
    EXPECT_EQ(b.status().issued, 2u);
    EXPECT_EQ(b.pim.last_command().start, sc_time(10, SC_NS) + one);
    // Entries 2 and 3: slot 2, then slot 0 again.
    ASSERT_EQ(b.queue(2, {lut}, 3), tlm::TLM_OK_RESPONSE);
    ASSERT_EQ(b.queue(3, {lut}, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.queue_head(), 4u);
    EXPECT_EQ(b.fence(), 4u);
    EXPECT_EQ(b.delay, sc_time(10, SC_NS) + one * 4.0);
  });
  sc_core::sc_start();
}

TEST(PimUnit, ARejectedQueuedDescriptorEndsItsBatchWithStatus) {
  Bench bench(test_config(), [&](Bench& b) {
    Command bad = command(Opcode::build_lut);
    bad.opcode = 99;
    const Command good = command(Opcode::softmax_partial);
    EXPECT_EQ(b.queue(0, {good, bad, good}, 3), tlm::TLM_GENERIC_ERROR_RESPONSE);
    const pim::Status status = b.status();
    EXPECT_EQ(status.error, uint32_t(pim::Error::unknown_opcode));
    EXPECT_EQ(status.issued, 1u);      // the descriptor after the rejected one did not run
    EXPECT_EQ(b.queue_head(), 3u);     // but the batch is consumed: the next one starts clean
    // A tail more than a ring ahead of the head is refused, and runs nothing.
    const uint64_t too_far = 3 + b.pim.config().command_queue_entries + 1;
    EXPECT_EQ(b.host.access(tlm::TLM_WRITE_COMMAND, pim::reg::queue_tail, const_cast<uint64_t*>(&too_far),
                            sizeof too_far, b.delay),
              tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(b.status().error, uint32_t(pim::Error::bad_register_access));
    EXPECT_NE(b.pim.last_error_reason().find("QUEUE_TAIL"), std::string::npos) << b.pim.last_error_reason();
    EXPECT_EQ(b.status().issued, 1u);
  });
  sc_core::sc_start();
}

TEST(PimUnit, BankGroupPlacementHasOnePePerGroupAndFourTimesTheMacWork) {
  PimUnitConfig per_group = test_config();
  per_group.placement = PimPlacement::bank_group;
  constexpr uint32_t kTokens = 64, kLong = 128;  // rows of 128 elements: 1 sub-vector of 128
  std::vector<std::vector<fp16_bits>> rows;
  auto mac_dot = [&](Bench& b, uint64_t pe_mask) {
    b.write(io(0), std::vector<float>(kLong, 0.25f));
    Command dot = command(Opcode::mac_dot, pe_mask);
    dot.count = kTokens;
    dot.sub_vectors = 1;
    dot.dim = kLong;
    dot.result_offset = 0x8000;
    return b.issue(dot);
  };
  Bench bank(
      test_config(), [&](Bench& b) { EXPECT_EQ(mac_dot(b, 0xffff), tlm::TLM_OK_RESPONSE); }, "bank_");
  Bench group(
      per_group,
      [&](Bench& b) {
        for (unsigned flat = 0; flat < 16; ++flat) {
          rows.push_back(random_fp16(kTokens * kLong));
          b.put(flat, 0, rows.back());
        }
        EXPECT_EQ(mac_dot(b, 0x1f), tlm::TLM_GENERIC_ERROR_RESPONSE);  // PE 4 does not exist
        EXPECT_EQ(mac_dot(b, 0xf), tlm::TLM_OK_RESPONSE);
      },
      "group_");
  sc_core::sc_start();
  EXPECT_EQ(bank.pim.pe_count(), 16u);
  EXPECT_EQ(group.pim.pe_count(), 4u);
  EXPECT_EQ(group.pim.bank_mask_of(1), 0xf0u);

  // Each bank's scores are its own rows' scores, although one PE computed four banks.
  const std::vector<float> query(kLong, 0.25f);
  for (unsigned flat = 0; flat < 16; ++flat) {
    std::vector<float> scores(kTokens);
    core::dot_rows_fp16(rows[flat].data(), kTokens, kLong, query.data(), scores.data());
    EXPECT_EQ(
        std::vector<unsigned char>(group.memory.bank(flat) + 0x8000, group.memory.bank(flat) + 0x8000 + kTokens * 4),
        bytes_of(scores))
        << "bank " << flat;
  }
  // Per bank: bank-bound (streaming N x 128 fp16 at 32 B/cycle = N*128/16 cycles, plus latency) vs the MACs.
  // Per bank group: the PE does four banks' MACs, 4 x N x 128 / 16 cycles, and becomes MAC-bound.
  const sc_time tck(1, SC_NS), serial = tck * (kLong * 4 / 32.0 + 4);
  const sc_time bank_streams = bank.memory.bank_time(kTokens * kLong * 2) + bank.memory.bank_time(kTokens * 4);
  EXPECT_EQ(bank.pim.last_command().end, std::max(bank_streams, tck * (kTokens * kLong / 16.0)) + serial);
  EXPECT_EQ(group.pim.last_command().end, std::max(bank_streams, tck * (4.0 * kTokens * kLong / 16)) + serial);
  EXPECT_GT(group.pim.last_command().end, bank.pim.last_command().end);
}

}  // namespace
}  // namespace aqpim::models
