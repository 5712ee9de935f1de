// Conformance of every target model with the ways outside SystemC platforms drive memories: initiators as
// the Accellera TLM-2.0 examples write them (harness/conformance.h) against the HBM3 pseudo-channel, an
// address router in front of channels, the PIM stack and the CPU memory. Masked (byte-enabled) accesses are
// judged against a byte-by-byte reference memory and against the TLM endianness rules themselves.
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/conformance.h"
#include "harness/sc_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/address_router.h"
#include "models/cpu_memory.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/hbm_timing.h"
#include "models/host.h"
#include "models/pim_unit.h"
#include "platform/pim_stack.h"

namespace aqpim::models {
namespace {

using test::ForeignEndianLog;
using test::TestInitiator;

Hbm3PseudoChannelConfig small_channel() {
  Hbm3PseudoChannelConfig config;  // 16 banks of 1024 rows of 1 KiB: 16 MiB, inside a 28-bit bus window
  config.rows_per_bank = 1024;
  return config;
}

// What a foreign-endian initiator saw and left behind in [base, base + span).
struct ForeignEndianRun {
  ForeignEndianLog log;
  std::vector<unsigned char> image;
};

// Binds a foreign-endian initiator to `socket` and has it run the script; the result fills in during
// sc_start.
template <class Socket>
ForeignEndianRun& foreign_endian_run(const char* name, Socket& socket, uint64_t base, unsigned span, unsigned bus_bytes) {
  auto& run = *new ForeignEndianRun;
  auto& initiator = test::make_module<TestInitiator>(name, [&run, base, span, bus_bytes](TestInitiator& self) {
    sc_core::sc_time delay;
    run.log = test::foreign_endian_script(*self.socket.operator->(), base, span, bus_bytes, 600, delay);
    run.image = test::debug_read(*self.socket.operator->(), base, span);
  });
  initiator.socket.bind(socket);
  return run;
}

// The target under test and the reference memory see the same script: same loads, same bytes at the end.
template <class Socket>
void expect_foreign_endian_like_reference(Socket& socket, uint64_t base, unsigned bus_bytes) {
  constexpr unsigned kSpan = 96;
  auto& reference = test::make_module<test::ReferenceMemory>("reference", kSpan);
  ForeignEndianRun& expected = foreign_endian_run("reference_initiator", reference.socket, 0, kSpan, bus_bytes);
  ForeignEndianRun& got = foreign_endian_run("initiator", socket, base, kSpan, bus_bytes);
  sc_core::sc_start();
  expected.image = reference.bytes;
  EXPECT_EQ(got.log.failed, 0u);
  ASSERT_EQ(expected.log.failed, 0u);
  ASSERT_GT(expected.log.loaded.size(), 100u);
  EXPECT_EQ(got.log.loaded, expected.log.loaded);
  EXPECT_EQ(got.image, expected.image);
}

TEST(Conformance, ForeignEndianChannel32BitBus) {
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel());
  expect_foreign_endian_like_reference(channel.target_socket, 0x12340, 4);
}

TEST(Conformance, ForeignEndianChannel64BitBus) {
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel());
  expect_foreign_endian_like_reference(channel.target_socket, 0x40, 8);
}

TEST(Conformance, ForeignEndianCpuMemory) {
  CpuMemoryConfig config;
  config.capacity_bytes = 1 << 20;
  auto& memory = test::make_module<CpuMemory>("memory", config);
  expect_foreign_endian_like_reference(memory.socket, 0x800, 4);
}

TEST(Conformance, ForeignEndianPimWindow) {
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel());
  auto& unit = test::make_module<PimUnit>("pim", PimUnitConfig{});
  unit.bank_socket.bind(channel.bank_socket);
  expect_foreign_endian_like_reference(unit.target_socket, hwif::pim::reg::io_buffer + 64, 4);
}

TEST(Conformance, ForeignEndianRouterAndChannels) {
  auto& router = test::make_module<AddressRouter>("router");
  auto& first = test::make_module<Hbm3PseudoChannel>("channel_0", small_channel());
  auto& second = test::make_module<Hbm3PseudoChannel>("channel_1", small_channel());
  router.initiator_socket.bind(first.target_socket);
  router.initiator_socket.bind(second.target_socket);
  router.map(0, 0x1000'0000, first.capacity_bytes(), "channel_0");  // 28-bit windows of a 32-bit bus
  router.map(1, 0x2000'0000, second.capacity_bytes(), "channel_1");
  expect_foreign_endian_like_reference(router.target_socket, 0x2000'0100, 4);
}

// The TLM rule itself, without any reference model: on a little-endian host a big-endian initiator's
// 16-bit store at bus address 4k lands in the upper half of the host-endian word at 4k, and its byte
// enables leave the lower half as it was.
TEST(Conformance, BigEndianHalfWordLandsInUpperHalf) {
  if (tlm::get_host_endianness() != tlm::TLM_LITTLE_ENDIAN) GTEST_SKIP() << "written for a little-endian host";
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel());
  uint32_t word = 0;
  tlm::tlm_response_status stored = tlm::TLM_INCOMPLETE_RESPONSE;
  auto& initiator = test::make_module<TestInitiator>("initiator", [&](TestInitiator& self) {
    sc_core::sc_time delay;
    uint32_t before = 0x11223344;
    self.access(tlm::TLM_WRITE_COMMAND, 0x100, &before, 4, delay);
    uint16_t half = 0xaabb;
    stored = test::foreign_endian_access(*self.socket.operator->(), tlm::TLM_WRITE_COMMAND, 0x100, half, 4, delay);
    self.access(tlm::TLM_READ_COMMAND, 0x100, &word, 4, delay);
  });
  initiator.socket.bind(channel.target_socket);
  sc_core::sc_start();
  EXPECT_EQ(stored, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(word, 0xaabb3344u);
}

// A byte-enable pattern shorter than the data repeats over it; a masked read leaves disabled bytes of the
// initiator's buffer alone; a masked access takes as long as the unmasked burst (a data mask saves no beat).
TEST(Conformance, ByteEnablePatternRepeatsAndKeepsBurstTiming) {
  auto& masked_channel = test::make_module<Hbm3PseudoChannel>("masked", small_channel());
  auto& plain_channel = test::make_module<Hbm3PseudoChannel>("plain", small_channel());
  std::vector<unsigned char> stored, read_back(64, 0xee);
  sc_core::sc_time masked_delay, plain_delay;
  unsigned char enables[3] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED};
  auto masked_access = [&](TestInitiator& self, tlm::tlm_command command, unsigned char* data, sc_core::sc_time& delay) {
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(0x2000);
    payload.set_data_ptr(data);
    payload.set_data_length(64);
    payload.set_streaming_width(64);
    payload.set_byte_enable_ptr(enables);
    payload.set_byte_enable_length(3);
    self.socket->b_transport(payload, delay);
    return payload.get_response_status();
  };
  auto& masked = test::make_module<TestInitiator>("masked_initiator", [&](TestInitiator& self) {
    std::vector<unsigned char> ones(64, 0xff);
    EXPECT_EQ(masked_access(self, tlm::TLM_WRITE_COMMAND, ones.data(), masked_delay), tlm::TLM_OK_RESPONSE);
    sc_core::sc_time delay;
    EXPECT_EQ(masked_access(self, tlm::TLM_READ_COMMAND, read_back.data(), delay), tlm::TLM_OK_RESPONSE);
    stored = test::debug_read(*self.socket.operator->(), 0x2000, 64);
  });
  auto& plain = test::make_module<TestInitiator>("plain_initiator", [&](TestInitiator& self) {
    std::vector<unsigned char> ones(64, 0xff);
    self.access(tlm::TLM_WRITE_COMMAND, 0x2000, ones.data(), 64, plain_delay);
  });
  masked.socket.bind(masked_channel.target_socket);
  plain.socket.bind(plain_channel.target_socket);
  sc_core::sc_start();
  ASSERT_EQ(stored.size(), 64u);
  for (unsigned n = 0; n < 64; ++n) {
    const bool enabled = n % 3 != 1;
    EXPECT_EQ(stored[n], enabled ? 0xff : 0x00) << "byte " << n;
    EXPECT_EQ(read_back[n], enabled ? 0xff : 0xee) << "byte " << n;
  }
  EXPECT_GT(plain_delay, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(masked_delay, plain_delay);
}

// ---- a 32-bit bus: every target in a 28-bit window, as the Accellera examples' bus maps its targets ----

struct Bus32 {
  AddressRouter* bus;
  CpuMemory* cpu_memory;
  Hbm3PseudoChannel* channel;
  platform::PimStack* stack;
  static constexpr uint64_t kCpuMemory = 0x1000'0000, kChannel = 0x2000'0000, kStack = 0x3000'0000;
};

platform::PimStackConfig compact_stack() {
  platform::PimStackConfig config;
  config.pseudo_channels = 2;
  config.channel = small_channel();
  return config.use_compact_layout();
}

Bus32 build_bus32(const Hbm3PseudoChannelConfig& channel_config = small_channel()) {
  Bus32 parts;
  parts.bus = &test::make_module<AddressRouter>("bus", sc_core::sc_time(1, sc_core::SC_NS));
  CpuMemoryConfig cpu;
  cpu.capacity_bytes = 16 << 20;
  parts.cpu_memory = &test::make_module<CpuMemory>("cpu_memory", cpu);
  parts.channel = &test::make_module<Hbm3PseudoChannel>("channel", channel_config);
  parts.stack = &test::make_module<platform::PimStack>("stack", compact_stack());
  parts.bus->initiator_socket.bind(parts.cpu_memory->socket);
  parts.bus->initiator_socket.bind(parts.channel->target_socket);
  parts.bus->initiator_socket.bind(parts.stack->target_socket);
  parts.bus->map(0, Bus32::kCpuMemory, cpu.capacity_bytes, "cpu_memory");
  parts.bus->map(1, Bus32::kChannel, parts.channel->capacity_bytes(), "channel");
  parts.bus->map(2, Bus32::kStack, parts.stack->config().address_span(), "stack");
  return parts;
}

TEST(Conformance, CompactStackFitsA28BitWindow) {
  const platform::PimStackConfig config = compact_stack();
  EXPECT_LE(config.address_span(), uint64_t(1) << 28);
  // Independently of the layout code: two 16 MiB channels, then 2 units of 1 MiB + 16 PEs x 256 KiB.
  EXPECT_EQ(config.registers_offset, uint64_t(32) << 20);
  EXPECT_EQ(config.address_span(), (uint64_t(32) << 20) + 2 * (uint64_t(8) << 20));
}

// A bad layout is refused at construction with one line naming the field and its accepted range.
TEST(Conformance, BadRegisterLayoutsAreRefusedNamingTheField) {
  const auto message = [](auto&& build) -> std::string {
    try {
      build();
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "accepted";
  };
  PimUnitConfig unit;
  unit.register_map = hwif::pim::RegisterMap::compact();
  unit.codebook_sram_bytes = 128 * 1024;  // more than a compact window
  EXPECT_NE(message([&] { PimUnit("big_sram", unit); }).find("register_map.window_bytes = 65536"), std::string::npos);
  hwif::pim::RegisterMap crowded = hwif::pim::RegisterMap::compact();
  crowded.window_stride = 128 * 1024;  // three 64 KiB windows do not fit
  EXPECT_NE(message([&] { crowded.validate(); }).find("register_map.window_stride = 131072: expected [3 x window_bytes"),
            std::string::npos);
  platform::PimStackConfig stack = compact_stack();
  stack.registers_window = 1 << 20;  // a unit with 16 PEs needs 5 MiB
  EXPECT_NE(message([&] { stack.validate(); }).find("PimStackConfig.registers_window = 1048576: expected [5242880"),
            std::string::npos);
  stack = compact_stack();
  stack.registers_offset = 16 << 20;  // inside the second channel's memory
  EXPECT_NE(message([&] { stack.validate(); }).find("PimStackConfig.registers_offset = 16777216"), std::string::npos);
}

// Every place an outside initiator writes and reads on the 32-bit bus: CPU memory, a plain channel, both
// channels of the stack, and the stack's IO buffer and a PE's codebook SRAM in the compact map.
std::vector<uint64_t> bus32_places(const Bus32& parts) {
  const hwif::PlatformView view = parts.stack->view(Bus32::kStack);
  const hwif::pim::RegisterMap& map = view.register_map;
  return {Bus32::kCpuMemory + 0x40, Bus32::kChannel + 0x12'3440, view.units[0].memory_base + 0x800,
          view.units[1].memory_base + 0x40'0000, view.units[1].registers_base + map.io_buffer() + 0x100,
          view.units[0].registers_base + map.pe_codebook(15) + 0x20};
}

std::vector<unsigned char> pattern(unsigned bytes, unsigned seed) {
  std::vector<unsigned char> data(bytes);
  for (unsigned n = 0; n < bytes; ++n) data[n] = static_cast<unsigned char>(seed * 131 + n * 7 + 1);
  return data;
}

// Two plain LT initiators (each waits after every access) write and read back each place; every access
// succeeds, each data round trip is exact, and each delay is positive (the bus adds 1 ns) and below 10 us.
TEST(Conformance, LtInitiatorsOn32BitBus) {
  const Bus32 parts = build_bus32();
  const std::vector<uint64_t> places = bus32_places(parts);
  std::vector<std::string> failures;
  for (unsigned id = 0; id < 2; ++id) {
    auto& initiator = test::make_module<TestInitiator>(("lt_" + std::to_string(id)).c_str(), [&, id](TestInitiator& self) {
      for (unsigned p = 0; p < places.size(); ++p) {
        ASSERT_LT(places[p] + 64 * (id + 1), uint64_t(1) << 32);
        const uint64_t address = places[p] + 64 * id;
        std::vector<unsigned char> written = pattern(64, p + 10 * id), read(64);
        sc_core::sc_time write_delay, read_delay;
        const auto wrote = self.access(tlm::TLM_WRITE_COMMAND, address, written.data(), 64, write_delay);
        wait(write_delay);
        const auto got = self.access(tlm::TLM_READ_COMMAND, address, read.data(), 64, read_delay);
        wait(read_delay);
        const std::string where = "initiator " + std::to_string(id) + " place " + std::to_string(p);
        if (wrote != tlm::TLM_OK_RESPONSE || got != tlm::TLM_OK_RESPONSE) failures.push_back(where + ": status");
        if (read != written) failures.push_back(where + ": data");
        for (const sc_core::sc_time& delay : {write_delay, read_delay})
          if (delay <= sc_core::SC_ZERO_TIME || delay >= sc_core::sc_time(10, sc_core::SC_US))
            failures.push_back(where + ": delay " + delay.to_string());
      }
    });
    initiator.socket.bind(parts.bus->target_socket);
  }
  sc_core::sc_start();
  EXPECT_TRUE(failures.empty()) << failures.front();
}

// A temporally decoupled initiator (1 us quantum) beside a plain LT one: the same round trips, and simulated
// time advances by whole quanta only while the decoupled one runs ahead.
TEST(Conformance, TemporallyDecoupledInitiatorOn32BitBus) {
  const Bus32 parts = build_bus32();
  const std::vector<uint64_t> places = bus32_places(parts);
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
  unsigned wrong = 0, accesses = 0;
  sc_core::sc_time local_total;
  auto& decoupled = test::make_module<TestInitiator>("decoupled", [&](TestInitiator& self) {
    tlm_utils::tlm_quantumkeeper keeper;
    keeper.reset();
    for (unsigned round = 0; round < 50; ++round)
      for (unsigned p = 0; p < places.size(); ++p) {
        std::vector<unsigned char> written = pattern(32, round + p), read(32);
        auto& target = *self.socket.operator->();
        wrong += test::decoupled_access(target, keeper, tlm::TLM_WRITE_COMMAND, places[p] + 256, written.data(), 32) !=
                 tlm::TLM_OK_RESPONSE;
        wrong += test::decoupled_access(target, keeper, tlm::TLM_READ_COMMAND, places[p] + 256, read.data(), 32) !=
                 tlm::TLM_OK_RESPONSE;
        wrong += read != written;
        accesses += 2;
      }
    local_total = keeper.get_current_time();
    keeper.sync();
  });
  auto& plain = test::make_module<TestInitiator>("plain", [&](TestInitiator& self) {
    std::vector<unsigned char> data = pattern(32, 99);
    sc_core::sc_time delay;
    wrong += self.access(tlm::TLM_WRITE_COMMAND, places[1] + 4096, data.data(), 32, delay) != tlm::TLM_OK_RESPONSE;
    wait(delay);
  });
  decoupled.socket.bind(parts.bus->target_socket);
  plain.socket.bind(parts.bus->target_socket);
  sc_core::sc_start();
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(accesses, 600u);
  // Each access costs at least the bus's 1 ns; the decoupled initiator's time ends where it synchronised.
  EXPECT_GE(local_total, sc_core::sc_time(600, sc_core::SC_NS));
  EXPECT_EQ(sc_core::sc_time_stamp(), local_total);
}

// A DMI initiator on each DMI-capable target behind the bus: the pointer sees what b_transport wrote and
// the reverse; discard_data() invalidates the region while the data is still allocated (the pointer still
// reads the old bytes inside the invalidation), and afterwards the memory reads zeros.
template <class Target>
void expect_dmi_across_discard(Target& target, const Bus32& parts, uint64_t address) {
  const std::vector<unsigned char> written = pattern(64, 7);
  std::vector<unsigned char> seen_during_invalidation, after(64, 0xee);
  uint64_t allocated_during_invalidation = 0;
  bool granted = false, regranted = false;
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
  auto& initiator = test::make_module<test::DmiInitiator>("dmi", [&](test::DmiInitiator& self) {
    tlm::tlm_generic_payload payload;
    payload.set_command(tlm::TLM_WRITE_COMMAND);
    payload.set_address(address);
    payload.set_data_ptr(const_cast<unsigned char*>(written.data()));
    payload.set_data_length(64);
    payload.set_streaming_width(64);
    sc_core::sc_time delay;
    self.socket->b_transport(payload, delay);
    if (!payload.is_dmi_allowed()) return;
    granted = self.acquire(address);
    if (!granted) return;
    EXPECT_GT(self.region.get_read_latency(), sc_core::SC_ZERO_TIME);
    EXPECT_EQ(std::memcmp(self.pointer(address), written.data(), 64), 0);
    self.pointer(address)[0] ^= 0xff;  // a store through the pointer, then seen by b_transport
    unsigned char first = 0;
    payload.set_command(tlm::TLM_READ_COMMAND);
    payload.set_data_ptr(&first);
    payload.set_data_length(1);
    payload.set_streaming_width(1);
    self.socket->b_transport(payload, delay);
    EXPECT_EQ(first, written[0] ^ 0xff);
    self.pointer(address)[0] ^= 0xff;
    target.discard_data();
    payload.set_data_ptr(after.data());
    payload.set_data_length(64);
    payload.set_streaming_width(64);
    self.socket->b_transport(payload, delay);
    status = payload.get_response_status();
    regranted = self.acquire(address);
  });
  initiator.on_invalidate = [&](test::DmiInitiator& self) {
    allocated_during_invalidation = target.allocated_bytes();
    seen_during_invalidation.assign(self.pointer(address), self.pointer(address) + 64);
  };
  initiator.socket.bind(parts.bus->target_socket);
  sc_core::sc_start();
  ASSERT_TRUE(granted);
  EXPECT_EQ(initiator.invalidations, 1u);
  EXPECT_GT(allocated_during_invalidation, 0u);
  EXPECT_EQ(seen_during_invalidation, written);
  EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(after, std::vector<unsigned char>(64, 0));
  EXPECT_TRUE(regranted);
  EXPECT_EQ(target.allocated_bytes() > 0, true);  // the new grant allocated a fresh, zeroed chunk
}

TEST(Conformance, DmiAcrossDiscardChannel) {
  const Bus32 parts = build_bus32();
  expect_dmi_across_discard(*parts.channel, parts, Bus32::kChannel + 0x4'0040);
}

TEST(Conformance, DmiAcrossDiscardCpuMemory) {
  const Bus32 parts = build_bus32();
  expect_dmi_across_discard(*parts.cpu_memory, parts, Bus32::kCpuMemory + 0x2'0000);
}

TEST(Conformance, DmiAcrossDiscardStackChannel) {
  const Bus32 parts = build_bus32();
  const uint64_t address = parts.stack->view(Bus32::kStack).units[1].memory_base + 0x1000;
  expect_dmi_across_discard(parts.stack->channel(1), parts, address);
}

// allow_dmi = false: no region anywhere, no hint, and every access is timed and counted.
TEST(Conformance, DmiRefusedWhenNotAllowed) {
  Hbm3PseudoChannelConfig config = small_channel();
  config.allow_dmi = false;
  const Bus32 parts = build_bus32(config);
  bool hinted = true, granted = true;
  auto& initiator = test::make_module<test::DmiInitiator>("dmi", [&](test::DmiInitiator& self) {
    std::vector<unsigned char> data = pattern(64, 3);
    tlm::tlm_generic_payload payload;
    payload.set_command(tlm::TLM_WRITE_COMMAND);
    payload.set_address(Bus32::kChannel + 0x100);
    payload.set_data_ptr(data.data());
    payload.set_data_length(64);
    payload.set_streaming_width(64);
    sc_core::sc_time delay;
    self.socket->b_transport(payload, delay);
    hinted = payload.is_dmi_allowed();
    granted = self.acquire(Bus32::kChannel + 0x100);
  });
  initiator.socket.bind(parts.bus->target_socket);
  sc_core::sc_start();
  EXPECT_FALSE(hinted);
  EXPECT_FALSE(granted);
  EXPECT_EQ(initiator.region.get_start_address(), Bus32::kChannel);
  EXPECT_EQ(parts.channel->dmi_grants(), 0u);
  EXPECT_EQ(parts.channel->statistics().total().bytes_written, 64u);
}

// ---- several initiators on one channel: call order or arrival time ----

// A temporally decoupled initiator runs ahead inside its quantum (from a local time of 5 ns) with
// row-missing writes to one bank; then a plain LT initiator writes 64 bytes to another bank at time 0.
// Returns the LT write's delay.
sc_core::sc_time late_caller_delay(HbmScheduler scheduler, bool order_by_arrival) {
  Hbm3PseudoChannelConfig config = small_channel();
  config.scheduler = scheduler;
  config.order_by_arrival = order_by_arrival;
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", config);
  const hwif::HbmAddressMap& map = channel.address_map();
  sc_core::sc_time plain_delay;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
  auto& decoupled = test::make_module<TestInitiator>("decoupled", [&](TestInitiator& self) {
    tlm_utils::tlm_quantumkeeper keeper;
    keeper.reset();
    keeper.inc(sc_core::sc_time(5, sc_core::SC_NS));
    std::vector<unsigned char> data(64, 1);
    for (uint64_t row = 0; row < 8; ++row)
      test::decoupled_access(*self.socket.operator->(), keeper, tlm::TLM_WRITE_COMMAND, map.encode({0, 0, row, 0}),
                             data.data(), 64);
    keeper.sync();
  });
  auto& plain = test::make_module<TestInitiator>("plain", [&](TestInitiator& self) {
    std::vector<unsigned char> data(64, 2);
    self.access(tlm::TLM_WRITE_COMMAND, map.encode({2, 1, 0, 0}), data.data(), 64, plain_delay);
  });
  decoupled.socket.bind(channel.target_socket);
  plain.socket.bind(channel.target_socket);  // elaborated second: its thread runs after the decoupled one's
  sc_core::sc_start();
  return plain_delay;
}

// What the LT write takes on an idle channel, from the SystemC-free engine alone.
sc_core::sc_time idle_write_delay() {
  HbmTimingEngine engine(small_channel().timing_config());
  const uint64_t address = engine.address_map().encode({2, 1, 0, 0});
  return sc_core::sc_time(double(engine.access(0, address, 64, true)), sc_core::SC_PS);
}

// In call order the LT write queues behind everything the decoupled initiator issued ahead of time.
TEST(Conformance, LateCallerQueuesInCallOrder) {
  const sc_core::sc_time delay = late_caller_delay(HbmScheduler::InOrder, false);
  EXPECT_GT(delay, 4 * idle_write_delay()) << delay;
}

// Bank-parallel scheduling books commands into earlier gaps only within its lookback (the longest timing
// constraint) behind the latest admitted request: the decoupled initiator ran further ahead than that.
TEST(Conformance, LateCallerStillQueuesBankParallel) {
  EXPECT_GT(late_caller_delay(HbmScheduler::BankParallel, false), 4 * idle_write_delay());
}

// Ordered by arrival, the LT write (time 0) is timed before the decoupled writes (5 ns on): an idle channel,
// whichever scheduler then picks among the requests.
TEST(Conformance, LateCallerFirstByArrival) {
  EXPECT_EQ(late_caller_delay(HbmScheduler::InOrder, true), idle_write_delay());
}

TEST(Conformance, LateCallerFirstByArrivalBankParallel) {
  EXPECT_EQ(late_caller_delay(HbmScheduler::BankParallel, true), idle_write_delay());
}

// The CPU memory's pipe, the same way: a 4 KiB read at time 0 behind 1 MiB reads issued ahead from 5 ns.
sc_core::sc_time cpu_memory_late_caller_delay(bool order_by_arrival) {
  CpuMemoryConfig config;
  config.capacity_bytes = 16 << 20;
  config.order_by_arrival = order_by_arrival;
  auto& memory = test::make_module<CpuMemory>("memory", config);
  auto& bus = test::make_module<AddressRouter>("bus");
  bus.initiator_socket.bind(memory.socket);
  bus.map(0, 0, config.capacity_bytes, "memory");
  sc_core::sc_time plain_delay;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(100, sc_core::SC_US));
  auto& decoupled = test::make_module<TestInitiator>("decoupled", [&](TestInitiator& self) {
    tlm_utils::tlm_quantumkeeper keeper;
    keeper.reset();
    keeper.inc(sc_core::sc_time(5, sc_core::SC_NS));
    for (unsigned n = 0; n < 4; ++n)
      test::decoupled_access(*self.socket.operator->(), keeper, tlm::TLM_READ_COMMAND, uint64_t(n) << 20, nullptr,
                             1u << 20);
    keeper.sync();
  });
  auto& plain = test::make_module<TestInitiator>("plain", [&](TestInitiator& self) {
    self.access(tlm::TLM_READ_COMMAND, 8 << 20, nullptr, 4096, plain_delay);
  });
  decoupled.socket.bind(bus.target_socket);
  plain.socket.bind(bus.target_socket);
  sc_core::sc_start();
  return plain_delay;
}

// A 4 KiB read alone: the latency after 4 KiB streamed at the bandwidth.
sc_core::sc_time cpu_memory_alone() {
  const CpuMemoryConfig defaults;
  return defaults.latency + sc_core::sc_time(4096 / defaults.bandwidth, sc_core::SC_SEC);
}

TEST(Conformance, CpuMemoryLateCallerQueuesInCallOrder) {
  EXPECT_GT(cpu_memory_late_caller_delay(false), 10 * cpu_memory_alone());
}

TEST(Conformance, CpuMemoryLateCallerFirstByArrival) {
  EXPECT_EQ(cpu_memory_late_caller_delay(true), cpu_memory_alone());
}

// ---- time resolution and the global quantum ----

// A 1 fs resolution (finer than the channel's picosecond engine) is accepted, and an access takes exactly
// what the SystemC-free timing engine computes for it, in femtoseconds.
TEST(Conformance, FemtosecondResolution) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel());
  sc_core::sc_time delay;
  auto& initiator = test::make_module<TestInitiator>("initiator", [&](TestInitiator& self) {
    std::vector<unsigned char> data(64);
    wait(sc_core::sc_time(3, sc_core::SC_NS));
    self.access(tlm::TLM_READ_COMMAND, 0x4000, data.data(), 64, delay);
  });
  initiator.socket.bind(channel.target_socket);
  sc_core::sc_start();
  HbmTimingEngine engine(small_channel().timing_config());
  const uint64_t expected_ps = engine.access(3000, 0x4000, 64, false) - 3000;
  EXPECT_EQ(delay.value(), expected_ps * 1000);
}

// The host leaves the platform's global quantum alone unless told to set it.
TEST(Conformance, HostLeavesGlobalQuantumAlone) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(250, sc_core::SC_NS));
  auto& memory = test::make_module<test::TestMemory>("memory", 4096, sc_core::sc_time(10, sc_core::SC_NS));
  auto& host = test::make_module<Host>("host", HostConfig{}, [](hwif::Hal&) {});
  host.socket.bind(memory.socket);
  EXPECT_EQ(tlm::tlm_global_quantum::instance().get(), sc_core::sc_time(250, sc_core::SC_NS));
  HostConfig setting;
  setting.quantum = sc_core::sc_time(2, sc_core::SC_US);
  auto& second = test::make_module<Host>("second", setting, [](hwif::Hal&) {});
  second.socket.bind(memory.socket);
  EXPECT_EQ(tlm::tlm_global_quantum::instance().get(), sc_core::sc_time(2, sc_core::SC_US));
}

}  // namespace
}  // namespace aqpim::models
