// Fuzzed PIM command descriptors through the COMMAND register and through the command queue: random
// opcodes, PE masks, shapes, offsets and counts (regions often overlapping), mostly one to three fields
// pushed to a limit from a plausible command. Each command either runs (OKAY, STATUS clean) or is refused
// with a STATUS error naming its opcode; never a crash, an out-of-bounds access (the sanitizer build
// checks), a wrong response status or a hang. A small channel keeps every stream short.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/fuzz.h"
#include "harness/pim_host.h"
#include "harness/sc_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/pim_unit.h"

namespace aqpim::models {
namespace {

using pim::Command;
using sc_core::sc_time;
using test::FuzzRandom;
using test::FuzzVerdict;

// 2 x 2 banks of 64 rows of 256 bytes: 16 KiB per bank.
constexpr uint64_t kBankBytes = 64 * 256;
constexpr uint32_t kQueueEntries = 8;

struct Bench : test::PimHostAccess<Bench> {
  Hbm3PseudoChannel& channel;
  PimUnit& pim;
  test::TestInitiator& host;
  sc_time delay;

  Bench(bool functional, PimPlacement placement, std::function<void(Bench&)> body)
      : channel(test::make_module<Hbm3PseudoChannel>("channel", channel_config(functional))),
        pim(test::make_module<PimUnit>("pim", unit_config(functional, placement))),
        host(test::make_module<test::TestInitiator>("host", [this, body](test::TestInitiator&) { body(*this); })) {
    host.socket.bind(pim.target_socket);
    pim.bank_socket.bind(channel.bank_socket);
  }
  static Hbm3PseudoChannelConfig channel_config(bool functional) {
    Hbm3PseudoChannelConfig config;
    config.bank_groups = 2;
    config.banks_per_group = 2;
    config.rows_per_bank = 64;
    config.row_bytes = 256;
    config.store_data = functional;
    config.store_chunk_bytes = 4096;
    return config;
  }
  static PimUnitConfig unit_config(bool functional, PimPlacement placement) {
    PimUnitConfig config;
    config.placement = placement;
    config.bank_groups = 2;
    config.banks_per_group = 2;
    config.codebook_sram_bytes = 4096;
    config.lut_sram_bytes = 2048;
    config.histogram_entries = 512;
    config.buffer_accumulator_entries = 1024;
    config.io_buffer_bytes = 4096;
    config.command_queue_entries = kQueueEntries;
    config.functional = functional;
    return config;
  }
};

// A plausible command of a random opcode (small shape, regions from a few shared bases so that they often
// overlap), then up to three fields pushed to or past a limit.
Command random_command(FuzzRandom& random, uint32_t pe_count) {
  using test::between;
  using test::near_limit;
  using test::pick;
  Command c;
  c.opcode = uint32_t(between(random, 0, uint64_t(pim::Opcode::count_) - 1));
  c.flags = uint32_t(random() % 32);  // any combination of the five flags
  c.heads = pick<uint32_t>(random, {0, 1, 2, 4});
  c.output_accumulator_offset = uint32_t(pick<uint64_t>(random, {0, 0, 64}));
  c.pe_mask = between(random, 1, (uint64_t(1) << pe_count) - 1);
  c.sub_vectors = pick<uint32_t>(random, {1, 2, 4, 8});
  c.clusters = pick<uint32_t>(random, {2, 4, 16, 256});
  c.dim = pick<uint32_t>(random, {1, 2, 4});
  c.count = uint32_t(pick<uint64_t>(random, {1, 8, 16, 32}));
  c.first_token = uint32_t(pick<uint64_t>(random, {0, 0, 8, 16}));
  c.length = uint32_t(pick<uint64_t>(random, {4, 64, 256, 1024}));
  const auto region = [&] { return pick<uint64_t>(random, {0, 0, 1024, 4096, 8192}); };
  c.bank_offset = region();
  c.codes_offset = region();
  c.scalars_offset = region();
  c.result_offset = region();
  c.codebook_offset = uint32_t(pick<uint64_t>(random, {0, 0, 64, 1024}));
  c.lut_offset = uint32_t(pick<uint64_t>(random, {0, 0, 32}));
  c.accumulator_offset = uint32_t(pick<uint64_t>(random, {0, 0, 64}));
  c.buffer_accumulator_offset = uint32_t(pick<uint64_t>(random, {0, 0, 128}));
  c.io_offset = uint32_t(pick<uint64_t>(random, {0, 0, 256}));
  c.io_stride = uint32_t(pick<uint64_t>(random, {0, 64, 256, 1024}));
  c.softmax_max = pick<float>(random, {0.0f, 1.5f, -1e30f, 1e30f});
  c.softmax_sum = pick<float>(random, {1.0f, 0.0f, 3.0f, -1.0f});
  const uint32_t mutations = uint32_t(random() % 4);
  for (uint32_t i = 0; i < mutations; ++i) {
    switch (random() % 15) {
      case 0: c.opcode = uint32_t(near_limit(random, uint64_t(pim::Opcode::count_), UINT32_MAX)); break;
      case 1: c.pe_mask = near_limit(random, uint64_t(1) << pe_count); break;
      case 2: c.count = uint32_t(near_limit(random, kBankBytes / 8, UINT32_MAX)); break;
      case 3: c.first_token = uint32_t(near_limit(random, kBankBytes / 8, UINT32_MAX)); break;
      case 4: c.sub_vectors = uint32_t(near_limit(random, 64, UINT32_MAX)); break;
      case 5: c.clusters = uint32_t(near_limit(random, 4096, UINT32_MAX)); break;
      case 6: c.dim = uint32_t(near_limit(random, 64, UINT32_MAX)); break;
      case 7: c.length = uint32_t(near_limit(random, kBankBytes, UINT32_MAX)); break;
      case 8: (pick<int>(random, {0, 1, 2, 3}) == 0 ? c.bank_offset : c.codes_offset) = near_limit(random, kBankBytes); break;
      case 9: (random() % 2 ? c.scalars_offset : c.result_offset) = near_limit(random, kBankBytes); break;
      case 10: c.codebook_offset = uint32_t(near_limit(random, 2048, UINT32_MAX)); break;
      case 11: (random() % 2 ? c.lut_offset : c.accumulator_offset) = uint32_t(near_limit(random, 512, UINT32_MAX)); break;
      case 12: (random() % 2 ? c.io_offset : c.io_stride) = uint32_t(near_limit(random, 4096, UINT32_MAX)); break;
      case 13: (random() % 2 ? c.heads : c.output_accumulator_offset) = uint32_t(near_limit(random, 512, UINT32_MAX)); break;
      default: c.flags = uint32_t(random()); break;
    }
  }
  return c;
}

std::string describe(const Command& c) {
  return std::string(pim::opcode_name(c.opcode)) + " (opcode " + std::to_string(c.opcode) + ") mask " +
         std::to_string(c.pe_mask) + " tokens [" + std::to_string(c.first_token) + " +" + std::to_string(c.count) +
         "] m " + std::to_string(c.sub_vectors) + " K " + std::to_string(c.clusters) + " d " + std::to_string(c.dim) +
         " length " + std::to_string(c.length);
}

// After a command or a batch: a clean STATUS when it was accepted, an error naming the opcode otherwise.
FuzzVerdict judge_status(Bench& bench, tlm::tlm_response_status response, const Command& last, bool batch) {
  const pim::Status status = bench.status();
  if (response == tlm::TLM_OK_RESPONSE)
    return status.error == 0 ? test::passed("accepted")
                             : test::failed("OKAY but STATUS holds error " + std::to_string(status.error));
  if (response != tlm::TLM_GENERIC_ERROR_RESPONSE)
    return test::failed("response " + std::to_string(int(response)) + " for " + describe(last));
  if (status.error == 0) return test::failed("refused but STATUS is clean: " + describe(last));
  if (!batch && status.error_opcode != last.opcode) return test::failed("STATUS names another opcode: " + describe(last));
  uint32_t clear = 0;
  bench.host.access(tlm::TLM_WRITE_COMMAND, pim::reg::status, &clear, sizeof clear, bench.delay);
  return test::passed(std::string("refused: ") + pim::to_string(pim::Error(status.error)));
}

// A QUEUE_TAIL the ring must refuse: behind the head, or more than the ring's entries ahead of it.
uint64_t pick_bad_tail(FuzzRandom& random, uint64_t head) {
  if (random() % 2 || head == 0) return head + kQueueEntries + 1 + random() % 100;
  return head - 1 - random() % head;
}

void fuzz_command_register(bool functional, PimPlacement placement, uint64_t seed, size_t cases) {
  Bench bench(functional, placement, [=](Bench& b) {
    test::run_fuzz("COMMAND register", seed, cases, [&](FuzzRandom& random, size_t) {
      const Command command = random_command(random, b.pim.pe_count());
      const auto response = b.issue(command);
      const FuzzVerdict verdict = judge_status(b, response, command, false);
      b.fence();  // every accepted command completes
      return verdict;
    });
  });
  sc_core::sc_start();
}

TEST(FuzzPimCommands, CommandRegisterFunctionalPerBank) { fuzz_command_register(true, PimPlacement::bank, 1, 3000); }
TEST(FuzzPimCommands, CommandRegisterFunctionalPerBankGroup) {
  fuzz_command_register(true, PimPlacement::bank_group, 2, 3000);
}
TEST(FuzzPimCommands, CommandRegisterTimingOnly) { fuzz_command_register(false, PimPlacement::bank, 3, 3000); }

TEST(FuzzPimCommands, CommandQueue) {
  Bench bench(true, PimPlacement::bank, [](Bench& b) {
    test::run_fuzz("command queue", 4, 1500, [&](FuzzRandom& random, size_t) {
      const uint64_t head = b.queue_head();
      std::vector<Command> batch(test::between(random, 1, kQueueEntries - head % kQueueEntries));
      for (auto& command : batch) command = random_command(random, b.pim.pe_count());
      // Mostly the tail just past the batch; sometimes one the ring cannot take.
      uint64_t tail = head + batch.size();
      if (random() % 8 == 0) tail = pick_bad_tail(random, head);
      const auto response = b.queue(head, batch, tail);
      if (response == tlm::TLM_COMMAND_ERROR_RESPONSE) {
        const bool bad_tail = tail < head || tail - head > kQueueEntries;
        if (!bad_tail) return test::failed("a valid QUEUE_TAIL was refused");
        if (b.status().error != uint32_t(pim::Error::bad_register_access))
          return test::failed("a bad QUEUE_TAIL left no bad_register_access in STATUS");
        uint32_t clear = 0;
        b.host.access(tlm::TLM_WRITE_COMMAND, pim::reg::status, &clear, sizeof clear, b.delay);
        return test::passed("refused: bad tail");
      }
      const FuzzVerdict verdict = judge_status(b, response, batch.back(), true);
      if (verdict.passed && b.queue_head() != tail) return test::failed("the head did not reach the tail");
      b.fence();
      return verdict;
    });
  });
  sc_core::sc_start();
}

}  // namespace
}  // namespace aqpim::models
