// The HBM3 pseudo-channel through its TLM socket. Expected delays are written out from the HBM3 6400
// figures (tCK 0.625 ns, nCL 20, nRCDRD 31, nRP 26, BL8 at 6.4 Gbit/s = 1.25 ns per 32-byte burst).
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "harness/sc_test_support.h"
#include "harness/bank_stream_initiator.h"
#include "harness/tlm_test_parts.h"
#include "models/hbm3_pseudo_channel.h"

namespace aqpim::models {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using test::TestInitiator;

const sc_time kTck(0.625, SC_NS);
const sc_time kBurst(1.25, SC_NS);
constexpr uint64_t kGib = uint64_t(1) << 30;

// RoBaBgCoCh: row x 16 KiB + bank x 4 KiB + bank_group x 1 KiB + byte in row.
uint64_t ro_ba_bg_co(uint64_t row, unsigned bank_group, unsigned bank, uint64_t byte = 0) {
  return row * 16384 + bank * 4096 + bank_group * 1024 + byte;
}

struct Bench {
  Hbm3PseudoChannel& channel;
  TestInitiator& initiator;
  Bench(std::function<void(TestInitiator&)> body, const Hbm3PseudoChannelConfig& config = {})
      : channel(test::make_module<Hbm3PseudoChannel>("hbm", config)),
        initiator(test::make_module<TestInitiator>("initiator", std::move(body))) {
    initiator.socket.bind(channel.target_socket);
  }
};

TEST(Hbm3PseudoChannel, UnloadedLatenciesAreAddedToTheDelay) {
  sc_time idle, conflict, hit;
  Bench bench([&](TestInitiator& self) {
    uint64_t data = 0;
    EXPECT_EQ(self.access(tlm::TLM_READ_COMMAND, ro_ba_bg_co(0, 0, 0), &data, 8, idle), tlm::TLM_OK_RESPONSE);
    // Temporally decoupled: the request arrives at now + delay = 1 us.
    conflict = sc_time(1, sc_core::SC_US);
    self.access(tlm::TLM_READ_COMMAND, ro_ba_bg_co(1, 0, 0), &data, 8, conflict);
    hit = sc_time(2, sc_core::SC_US);
    self.access(tlm::TLM_READ_COMMAND, ro_ba_bg_co(1, 0, 0, 64), &data, 8, hit);
  });
  sc_core::sc_start();
  EXPECT_EQ(idle, (31 + 20) * kTck + kBurst);
  EXPECT_EQ(conflict - sc_time(1, sc_core::SC_US), (26 + 31 + 20) * kTck + kBurst);
  EXPECT_EQ(hit - sc_time(2, sc_core::SC_US), 20 * kTck + kBurst);
}

TEST(Hbm3PseudoChannel, DataRoundTripsAndUntouchedMemoryReadsZero) {
  std::vector<unsigned char> written(100), read_back(100, 0xff), untouched(16, 0xff);
  std::iota(written.begin(), written.end(), 1);
  Bench bench([&](TestInitiator& self) {
    sc_time delay;
    self.access(tlm::TLM_WRITE_COMMAND, 1000, written.data(), 100, delay);
    self.access(tlm::TLM_READ_COMMAND, 1000, read_back.data(), 100, delay);
    self.access(tlm::TLM_READ_COMMAND, 3 * 16384, untouched.data(), 16, delay);
  });
  sc_core::sc_start();
  EXPECT_EQ(read_back, written);
  EXPECT_EQ(untouched, std::vector<unsigned char>(16, 0));
}

TEST(Hbm3PseudoChannel, AccessesOutsideTheChannelAreAddressErrors) {
  std::vector<tlm::tlm_response_status> statuses;
  Bench bench([&](TestInitiator& self) {
    uint64_t data = 0;
    sc_time delay;
    const uint64_t capacity = uint64_t(32768) * 1024 * 16;
    statuses.push_back(self.access(tlm::TLM_READ_COMMAND, capacity, &data, 1, delay));
    statuses.push_back(self.access(tlm::TLM_READ_COMMAND, capacity - 4, &data, 8, delay));
    EXPECT_EQ(delay, sc_core::SC_ZERO_TIME);
  });
  sc_core::sc_start();
  ASSERT_EQ(statuses.size(), 2u);
  for (auto status : statuses) EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(Hbm3PseudoChannel, EightGibChannelAllocatesOnlyTheWrittenChunk) {
  Hbm3PseudoChannelConfig config;
  config.rows_per_bank = 8 * kGib / (16 * 1024);
  std::vector<unsigned char> page(4096, 0x42);
  Bench bench(
      [&](TestInitiator& self) {
        sc_time delay;
        self.access(tlm::TLM_WRITE_COMMAND, 7 * kGib + 4096, page.data(), 4096, delay);
      },
      config);
  EXPECT_EQ(bench.channel.capacity_bytes(), 8 * kGib);
  sc_core::sc_start();
  EXPECT_EQ(bench.channel.allocated_bytes(), config.store_chunk_bytes);
}

TEST(Hbm3PseudoChannel, TimingOnlyModeStoresNothingAndTimesIdentically) {
  Hbm3PseudoChannelConfig timing_only;
  timing_only.store_data = false;
  auto& functional = test::make_module<Hbm3PseudoChannel>("functional");
  auto& no_data = test::make_module<Hbm3PseudoChannel>("no_data", timing_only);
  std::vector<sc_time> functional_delays, no_data_delays;
  const auto workload = [](std::vector<sc_time>& delays, bool with_data) {
    return [&delays, with_data](TestInitiator& self) {
      std::vector<unsigned char> buffer(256, 7);
      for (uint64_t address : {uint64_t(0), uint64_t(5000), uint64_t(70000), uint64_t(64)}) {
        sc_time delay;
        self.access(tlm::TLM_WRITE_COMMAND, address, with_data ? buffer.data() : nullptr, 256, delay);
        delays.push_back(delay);
        self.access(tlm::TLM_READ_COMMAND, address, buffer.data(), 256, delay);
        delays.push_back(delay);
        if (!with_data) {
          EXPECT_EQ(buffer, std::vector<unsigned char>(256, 0));
        }
      }
    };
  };
  auto& a = test::make_module<TestInitiator>("a", workload(functional_delays, true));
  auto& b = test::make_module<TestInitiator>("b", workload(no_data_delays, false));
  a.socket.bind(functional.target_socket);
  b.socket.bind(no_data.target_socket);
  sc_core::sc_start();
  EXPECT_EQ(functional_delays, no_data_delays);
  EXPECT_GT(functional.allocated_bytes(), 0u);
  EXPECT_EQ(no_data.allocated_bytes(), 0u);
}

TEST(Hbm3PseudoChannel, DmiPointsIntoTheStoreOneChunkAtATimeAndIsInvalidatedOnDiscard) {
  tlm::tlm_dmi dmi;
  bool granted = false;
  unsigned char seen_through_transport = 0;
  Bench bench([&](TestInitiator& self) {
    tlm::tlm_generic_payload payload;
    payload.set_address(0x12345);
    granted = self.socket->get_direct_mem_ptr(payload, dmi);
    if (!granted) return;
    dmi.get_dmi_ptr()[0x2345] = 0xab;  // DMI write
    sc_time delay;
    self.access(tlm::TLM_READ_COMMAND, 0x12345, &seen_through_transport, 1, delay);
    unsigned char value = 0xcd;
    self.access(tlm::TLM_WRITE_COMMAND, 0x10010, &value, 1, delay);
  });
  sc_core::sc_start();
  ASSERT_TRUE(granted);
  EXPECT_EQ(dmi.get_start_address(), 0x10000u);
  EXPECT_EQ(dmi.get_end_address(), 0x1ffffu);
  EXPECT_TRUE(dmi.is_read_write_allowed());
  EXPECT_EQ(dmi.get_read_latency(), 20 * kTck + kBurst);
  EXPECT_EQ(seen_through_transport, 0xab);
  EXPECT_EQ(dmi.get_dmi_ptr()[0x10], 0xcd);  // b_transport write seen through DMI
  EXPECT_EQ(bench.channel.allocated_bytes(), 64u * 1024);

  bench.channel.discard_data();
  ASSERT_EQ(bench.initiator.invalidations.size(), 1u);
  EXPECT_EQ(bench.initiator.invalidations[0].first, 0u);
  EXPECT_EQ(bench.initiator.invalidations[0].second, bench.channel.capacity_bytes() - 1);
  EXPECT_EQ(bench.channel.allocated_bytes(), 0u);
}

TEST(Hbm3PseudoChannel, TimingOnlyModeRefusesDmi) {
  Hbm3PseudoChannelConfig config;
  config.store_data = false;
  Bench bench([](TestInitiator&) {}, config);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  tlm::tlm_generic_payload payload;
  payload.set_address(0x100);
  tlm::tlm_dmi dmi;
  EXPECT_FALSE(bench.initiator.socket->get_direct_mem_ptr(payload, dmi));
  EXPECT_EQ(bench.channel.allocated_bytes(), 0u);
}

TEST(Hbm3PseudoChannel, DebugTransportMovesDataWithoutTimeOrStatistics) {
  Bench bench([](TestInitiator&) {});
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  uint32_t word = 0xdeadbeef, back = 0;
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_WRITE_COMMAND);
  payload.set_address(0x4000);
  payload.set_data_ptr(reinterpret_cast<unsigned char*>(&word));
  payload.set_data_length(4);
  EXPECT_EQ(bench.initiator.socket->transport_dbg(payload), 4u);
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_data_ptr(reinterpret_cast<unsigned char*>(&back));
  EXPECT_EQ(bench.initiator.socket->transport_dbg(payload), 4u);
  EXPECT_EQ(back, word);
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
  EXPECT_EQ(bench.channel.statistics().host_requests, 0u);
}

TEST(Hbm3PseudoChannel, SeveralInitiatorsShareTheChannelInCallOrder) {
  auto& channel = test::make_module<Hbm3PseudoChannel>("hbm");
  sc_time first, second;
  auto& a = test::make_module<TestInitiator>("a", [&](TestInitiator& self) {
    uint64_t data = 0;
    self.access(tlm::TLM_READ_COMMAND, ro_ba_bg_co(0, 0, 0), &data, 8, first);
  });
  auto& b = test::make_module<TestInitiator>("b", [&](TestInitiator& self) {
    uint64_t data = 0;
    self.access(tlm::TLM_READ_COMMAND, ro_ba_bg_co(0, 1, 0), &data, 8, second);
  });
  a.socket.bind(channel.target_socket);
  b.socket.bind(channel.target_socket);
  sc_core::sc_start();
  // Both arrive at 0; whichever runs second activates tRRD_S after the first.
  EXPECT_EQ(std::max(first, second) - std::min(first, second), 4 * kTck);
  EXPECT_EQ(channel.statistics().host_requests, 2u);
  EXPECT_EQ(channel.statistics().total().activations, 2u);
}

TEST(Hbm3PseudoChannel, BankSideAccessMovesDataBankByBankAndTimesTheStream) {
  std::vector<unsigned char> written(128), host_view(64);
  std::iota(written.begin(), written.end(), 0);
  sc_time row_stream = sc_time(10, sc_core::SC_US);
  std::vector<tlm::tlm_response_status> errors;
  auto& channel = test::make_module<Hbm3PseudoChannel>("hbm", Hbm3PseudoChannelConfig{});
  auto& host = test::make_module<TestInitiator>("host", [](TestInitiator&) {});
  auto& pim = test::make_module<test::BankStreamInitiator>("pim", [&](test::BankStreamInitiator& self) {
    sc_time delay;
    // Banks 1 (group 0, bank 1) and 6 (group 1, bank 2), 64 bytes each at offset 512 of their own space.
    EXPECT_EQ(self.stream(tlm::TLM_WRITE_COMMAND, (1u << 1) | (1u << 6), 512, 64, written.data(), 128, delay),
              tlm::TLM_OK_RESPONSE);
    host.access(tlm::TLM_READ_COMMAND, ro_ba_bg_co(0, 1, 2, 512), host_view.data(), 64, delay);
    // One whole row of every bank, long after: ACT, 32 columns every tCCD_L, CL, burst.
    EXPECT_EQ(self.stream(tlm::TLM_READ_COMMAND, 0xffff, 0, 1024, nullptr, 0, row_stream), tlm::TLM_OK_RESPONSE);
    sc_time ignored;
    errors.push_back(self.stream(tlm::TLM_READ_COMMAND, 1u << 16, 0, 32, nullptr, 0, ignored));
    errors.push_back(self.stream(tlm::TLM_READ_COMMAND, 1, 32768ull * 1024 - 16, 32, nullptr, 0, ignored));
    unsigned char small[8];
    errors.push_back(self.stream(tlm::TLM_READ_COMMAND, 3, 0, 32, small, 8, ignored));
    // The bank socket speaks only bank streams: a payload without the extension is a command error.
    tlm::tlm_generic_payload plain;
    plain.set_command(tlm::TLM_READ_COMMAND);
    plain.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    self.socket->b_transport(plain, ignored);
    errors.push_back(plain.get_response_status());
  });
  host.socket.bind(channel.target_socket);
  pim.socket.bind(channel.bank_socket);
  sc_core::sc_start();
  EXPECT_TRUE(std::equal(host_view.begin(), host_view.end(), written.begin() + 64));  // bank 6 is the second
  EXPECT_EQ(row_stream - sc_time(10, sc_core::SC_US), (31 + 31 * 4 + 20) * kTck + kBurst);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(errors[1], tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(errors[2], tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(errors[3], tlm::TLM_COMMAND_ERROR_RESPONSE);
  const HbmStats& stats = channel.statistics();
  EXPECT_EQ(stats.banks[1].pim_writes, 2u);
  EXPECT_EQ(stats.banks[6].pim_bytes_written, 64u);
  EXPECT_EQ(stats.banks[0].pim_reads, 32u);
  EXPECT_EQ(stats.total().reads, 2u);  // the host read only
}

TEST(Hbm3PseudoChannel, BadConfigsAreRejectedNamingTheField) {
  const auto message_of = [](const Hbm3PseudoChannelConfig& config) -> std::string {
    try {
      config.validate();
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "accepted";
  };
  Hbm3PseudoChannelConfig config;
  config.bank_groups = 0;
  EXPECT_NE(message_of(config).find("bank_groups"), std::string::npos) << message_of(config);
  config = Hbm3PseudoChannelConfig();
  config.timing.nRC = 60;
  EXPECT_NE(message_of(config).find("nRC"), std::string::npos) << message_of(config);
  config = Hbm3PseudoChannelConfig();
  config.store_chunk_bytes = 1000;
  EXPECT_NE(message_of(config).find("store_chunk_bytes"), std::string::npos) << message_of(config);
  config = Hbm3PseudoChannelConfig();
  config.data_width_bits = 0;
  EXPECT_NE(message_of(config).find("data_width_bits"), std::string::npos) << message_of(config);
}

}  // namespace
}  // namespace aqpim::models
