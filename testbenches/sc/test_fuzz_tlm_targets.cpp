// Fuzzed TLM-2.0 payloads into every model's target socket: the HBM3 pseudo-channel (host and bank-side
// sockets), the CPU memory, the PCIe link, the address router and the PIM unit. Each gets random payloads
// around its edges (harness/tlm_fuzz.h), debug transport and DMI requests, judged against its contract as
// its header documents it: the response status, the bytes debug transport moves, the DMI region. Never an
// abort, never a byte touched outside the payload's buffers (the sanitizer build checks).
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/bank_stream_initiator.h"
#include "harness/sc_test_support.h"
#include "harness/tlm_fuzz.h"
#include "harness/tlm_test_parts.h"
#include "models/address_router.h"
#include "models/cpu_memory.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/pcie_link.h"
#include "models/pim_unit.h"

namespace aqpim::models {
namespace {

using test::FuzzRandom;
using test::FuzzVerdict;
using test::PayloadCase;
using Statuses = std::set<tlm::tlm_response_status>;

constexpr size_t kCases = 20000;

// What a target promises: the statuses a payload may get and the bytes debug transport moves for it.
struct Contract {
  std::function<Statuses(const PayloadCase&)> response;
  std::function<unsigned(const PayloadCase&)> debug_bytes;
  std::vector<uint64_t> edges;  // region starts and ends, where the generator aims
  uint64_t span;                // the target answers for [0, span); DMI regions stay inside
};

// One fuzz run from an initiator's thread: b_transport, debug transport and a DMI request per case.
void fuzz_socket(const std::string& name, uint64_t seed, tlm::tlm_fw_transport_if<>& target, const Contract& contract) {
  test::PayloadBuffers buffers;
  test::run_fuzz(name, seed, kCases, [&](FuzzRandom& random, size_t) {
    const PayloadCase c = test::random_payload(random, contract.edges, contract.span);
    tlm::tlm_generic_payload payload;
    buffers.fill(payload, c, random);
    sc_core::sc_time delay;
    target.b_transport(payload, delay);
    FuzzVerdict verdict = test::judge_response(c, payload.get_response_status(), contract.response(c));
    if (!verdict.passed) return verdict;

    PayloadCase debug = c;
    debug.command = random() % 2 ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND;
    debug.byte_enable_length = 0;
    buffers.fill(payload, debug, random);
    const unsigned moved = target.transport_dbg(payload);
    if (moved != contract.debug_bytes(debug))
      return test::failed("debug " + debug.describe() + ": moved " + std::to_string(moved) + ", expected " +
                          std::to_string(contract.debug_bytes(debug)));
    const FuzzVerdict dmi = test::check_dmi(target, test::random_address(random, contract.edges, contract.span),
                                            random() % 2 ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND, contract.span);
    return dmi.passed ? verdict : dmi;
  });
}

// Runs the fuzz from an initiator bound to `socket`, then the simulation.
template <class Socket>
void fuzz_target(const std::string& name, uint64_t seed, Socket& socket, const Contract& contract) {
  auto& initiator = test::make_module<test::TestInitiator>(
      "fuzzer", [=](test::TestInitiator& self) { fuzz_socket(name, seed, *self.socket.operator->(), contract); });
  initiator.socket.bind(socket);
  sc_core::sc_start();
}

// The plain memories' checks, in their order: an ignored command succeeds untouched, then the range
// (`zero_length_ok`: whether an empty access inside is fine), streaming. Byte enables are honoured.
Statuses memory_response(const PayloadCase& c, uint64_t size, bool zero_length_ok) {
  if (c.command == tlm::TLM_IGNORE_COMMAND) return {tlm::TLM_OK_RESPONSE};
  if (!c.in(size) || (c.length == 0 && !zero_length_ok)) return {tlm::TLM_ADDRESS_ERROR_RESPONSE};
  if (c.streaming()) return {tlm::TLM_BURST_ERROR_RESPONSE};
  return {tlm::TLM_OK_RESPONSE};
}
unsigned memory_debug_bytes(const PayloadCase& c, uint64_t size) {
  return c.with_data && c.length > 0 && c.in(size) && c.command != tlm::TLM_IGNORE_COMMAND ? c.length : 0;
}

Hbm3PseudoChannelConfig small_channel(bool store_data) {
  Hbm3PseudoChannelConfig config;  // 2 x 2 banks of 64 rows of 256 bytes: 64 KiB
  config.bank_groups = 2;
  config.banks_per_group = 2;
  config.rows_per_bank = 64;
  config.row_bytes = 256;
  config.store_data = store_data;
  config.store_chunk_bytes = 4096;
  return config;
}

void fuzz_channel_host_socket(bool store_data, uint64_t seed) {
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel(store_data));
  const uint64_t size = channel.capacity_bytes();
  fuzz_target("HBM host socket", seed, channel.target_socket,
              {[=](const PayloadCase& c) { return memory_response(c, size, false); },
               [=](const PayloadCase& c) {
                 const bool moves = store_data || c.command == tlm::TLM_READ_COMMAND;  // timing-only reads zeros
                 return moves ? memory_debug_bytes(c, size) : 0u;
               },
               {0, 4096, size / 2, size}, size});
}

TEST(FuzzTlmTargets, HbmChannelHostSocket) { fuzz_channel_host_socket(true, 11); }
TEST(FuzzTlmTargets, HbmChannelHostSocketTimingOnly) { fuzz_channel_host_socket(false, 12); }

TEST(FuzzTlmTargets, CpuMemory) {
  CpuMemoryConfig config;
  config.capacity_bytes = 1 << 20;
  auto& memory = test::make_module<CpuMemory>("memory", config);
  const uint64_t size = config.capacity_bytes;
  fuzz_target("CPU memory", 13, memory.socket,
              {[=](const PayloadCase& c) { return memory_response(c, size, true); },
               [=](const PayloadCase& c) { return memory_debug_bytes(c, size); }, {0, size / 2, size}, size});
}

TEST(FuzzTlmTargets, PcieLinkToCpuMemory) {
  CpuMemoryConfig config;
  config.capacity_bytes = 1 << 20;
  auto& link = test::make_module<PcieLink>("link", PcieLinkConfig{});
  auto& memory = test::make_module<CpuMemory>("memory", config);
  link.initiator_socket.bind(memory.socket);
  const uint64_t size = config.capacity_bytes;
  fuzz_target("PCIe link", 14, link.target_socket,
              {[=](const PayloadCase& c) { return memory_response(c, size, true); },
               [=](const PayloadCase& c) { return memory_debug_bytes(c, size); }, {0, size / 2, size}, size});
}

TEST(FuzzTlmTargets, AddressRouterToTwoMemories) {
  // Two CPU memories mapped with a hole between and after them.
  struct Route {
    uint64_t base, size;
  };
  const Route routes[] = {{0x1000, 0x10000}, {0x40000, 0x8000}};
  auto& router = test::make_module<AddressRouter>("router", sc_core::SC_ZERO_TIME);
  for (unsigned index = 0; index < 2; ++index) {
    CpuMemoryConfig config;
    config.capacity_bytes = routes[index].size;
    auto& memory = test::make_module<CpuMemory>(("memory" + std::to_string(index)).c_str(), config);
    router.initiator_socket.bind(memory.socket);
    router.map(index, routes[index].base, routes[index].size, "memory" + std::to_string(index));
  }
  // A payload wholly inside a route gets that memory's answer at its local address; any other is unmapped.
  const auto local = [routes](PayloadCase c, const Route*& route) {
    route = nullptr;
    for (const Route& candidate : routes)
      if (c.address >= candidate.base && c.address - candidate.base < candidate.size &&
          c.length <= candidate.size - (c.address - candidate.base))
        route = &candidate;
    if (route) c.address -= route->base;
    return c;
  };
  fuzz_target("address router", 15, router.target_socket,
              {[=](const PayloadCase& c) {
                 const Route* route;
                 const PayloadCase inside = local(c, route);
                 return route ? memory_response(inside, route->size, true) : Statuses{tlm::TLM_ADDRESS_ERROR_RESPONSE};
               },
               [=](const PayloadCase& c) {
                 const Route* route;
                 const PayloadCase inside = local(c, route);
                 return route ? memory_debug_bytes(inside, route->size) : 0u;
               },
               {0x1000, 0x11000, 0x40000, 0x48000}, 0x48000});
}

// The PIM unit's host socket: registers at their exact offsets with their direction and length rules
// (hwif::pim::kRegisters), memory windows of the configured sizes (hwif::pim::kWindows), no DMI.
PimUnitConfig small_unit() {
  PimUnitConfig config;
  config.bank_groups = 2;
  config.banks_per_group = 2;
  config.codebook_sram_bytes = 4096;
  config.lut_sram_bytes = 2048;
  config.histogram_entries = 512;
  config.buffer_accumulator_entries = 1024;
  config.io_buffer_bytes = 4096;
  config.command_queue_entries = 8;
  return config;
}

struct Window {
  uint64_t base, size;
};
std::vector<Window> unit_windows(const PimUnitConfig& config, uint32_t pes) {
  namespace reg = hwif::pim::reg;
  std::vector<Window> windows = {{reg::command_queue, config.command_queue_entries * sizeof(hwif::pim::Command)},
                                 {reg::io_buffer, config.io_buffer_bytes},
                                 {reg::buffer_accumulators, config.buffer_accumulator_entries * 4}};
  for (uint64_t pe = 0; pe < pes; ++pe) {
    const uint64_t base = reg::pe_windows + pe * reg::pe_window;
    windows.push_back({base + reg::pe_codebook, config.codebook_sram_bytes});
    windows.push_back({base + reg::pe_lut, config.lut_sram_bytes});
    windows.push_back({base + reg::pe_accumulators, config.histogram_entries * 4});
  }
  return windows;
}

Statuses register_response(const PayloadCase& c) {
  namespace pim = hwif::pim;
  for (const pim::RegisterInfo& info : pim::kRegisters) {
    if (c.address != info.offset) continue;
    const pim::Length rule = c.command == tlm::TLM_READ_COMMAND ? info.read : info.write;
    const bool length_ok = rule == pim::Length::any ||
                           (c.with_data && c.length > 0 &&
                            (rule == pim::Length::exact ? c.length == info.bytes
                                                        : rule == pim::Length::up_to && c.length <= info.bytes));
    if (!length_ok) return {tlm::TLM_COMMAND_ERROR_RESPONSE};
    if (c.command == tlm::TLM_WRITE_COMMAND && info.offset == pim::reg::command)
      return {tlm::TLM_OK_RESPONSE, tlm::TLM_GENERIC_ERROR_RESPONSE};  // a random descriptor runs or is refused
    if (c.command == tlm::TLM_WRITE_COMMAND && info.offset == pim::reg::queue_tail)
      return {tlm::TLM_OK_RESPONSE, tlm::TLM_GENERIC_ERROR_RESPONSE, tlm::TLM_COMMAND_ERROR_RESPONSE};
    return {tlm::TLM_OK_RESPONSE};
  }
  return {tlm::TLM_ADDRESS_ERROR_RESPONSE};
}

TEST(FuzzTlmTargets, PimUnitHostSocket) {
  const PimUnitConfig config = small_unit();
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel(true));
  auto& unit = test::make_module<PimUnit>("pim", config);
  unit.bank_socket.bind(channel.bank_socket);
  const std::vector<Window> windows = unit_windows(config, unit.pe_count());
  // The window an address falls in (each owns its 64 MiB sub-window), or null.
  const auto window_of = [windows](uint64_t address) -> const Window* {
    for (const Window& window : windows)
      if (address >= window.base && address - window.base < hwif::pim::reg::sub_window) return &window;
    return nullptr;
  };
  const auto inside = [](const PayloadCase& c, const Window& window) {  // an empty access may sit at the end
    const uint64_t offset = c.address - window.base;
    return offset <= window.size && c.length <= window.size - offset;
  };
  std::vector<uint64_t> edges = {0, hwif::pim::reg::status, hwif::pim::reg::fence, hwif::pim::reg::queue_tail,
                                 hwif::pim::reg::registers_end};
  for (const Window& window : windows) edges.insert(edges.end(), {window.base, window.base + window.size});
  fuzz_target("PIM unit host socket", 16, unit.target_socket,
              {[=](const PayloadCase& c) -> Statuses {
                 if (c.command == tlm::TLM_IGNORE_COMMAND) return {tlm::TLM_OK_RESPONSE};
                 if (c.streaming()) return {tlm::TLM_BURST_ERROR_RESPONSE};
                 if (c.address < hwif::pim::reg::registers_end) {
                   Statuses statuses = register_response(c);
                   // A register write with some bytes disabled (the random pattern may disable any) is refused.
                   if (c.byte_enable_length && c.with_data && c.command == tlm::TLM_WRITE_COMMAND)
                     statuses.insert(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
                   return statuses;
                 }
                 const Window* window = window_of(c.address);
                 return {window && inside(c, *window) ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE};
               },
               [=](const PayloadCase& c) -> unsigned {
                 if (!c.with_data || c.length == 0) return 0;
                 if (c.address == hwif::pim::reg::status)
                   return c.command == tlm::TLM_READ_COMMAND && c.length <= sizeof(hwif::pim::Status) ? c.length : 0;
                 const Window* window = c.address >= hwif::pim::reg::registers_end ? window_of(c.address) : nullptr;
                 return window && inside(c, *window) ? c.length : 0;
               },
               edges, windows.back().base + hwif::pim::reg::sub_window});
}

// The channel's bank-side socket (models/bank_stream_protocol.h): the extension is required, the mask must
// name existing banks, the range must stay in a bank, data (when given) must cover every bank's bytes.
TEST(FuzzTlmTargets, HbmChannelBankSocket) {
  auto& channel = test::make_module<Hbm3PseudoChannel>("channel", small_channel(true));
  constexpr unsigned kBanks = 4;
  constexpr uint64_t kBankBytes = 64 * 256;
  auto& initiator = test::make_module<test::BankStreamInitiator>("fuzzer", [&](test::BankStreamInitiator& self) {
    std::vector<unsigned char> data;
    test::run_fuzz("HBM bank socket", 17, kCases, [&](FuzzRandom& random, size_t) {
      using test::near_limit;
      const bool with_extension = random() % 8 != 0;
      const auto command = test::pick(random, {tlm::TLM_READ_COMMAND, tlm::TLM_WRITE_COMMAND, tlm::TLM_IGNORE_COMMAND});
      const uint64_t mask = near_limit(random, uint64_t(1) << kBanks);
      const uint64_t offset = near_limit(random, kBankBytes), bytes = near_limit(random, kBankBytes);
      const uint64_t needed = mask >> kBanks ? 0 : bytes * uint64_t(__builtin_popcountll(mask));
      const bool with_data = random() % 4 != 0 && needed <= test::kMaxFuzzBuffer;
      const uint64_t length = with_data ? (random() % 4 ? needed : needed - std::min<uint64_t>(needed, 1)) : 0;
      data.assign(length, 0x5a);
      sc_core::sc_time delay;
      tlm::tlm_response_status got;
      if (with_extension) {
        got = self.stream(command, mask, offset, bytes, with_data ? data.data() : nullptr, length, delay);
      } else {
        tlm::tlm_generic_payload payload;
        payload.set_command(command);
        payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        self.socket->b_transport(payload, delay);
        got = payload.get_response_status();
      }
      Statuses expected;
      if (!with_extension) expected = {tlm::TLM_COMMAND_ERROR_RESPONSE};
      else if (mask == 0 || mask >> kBanks) expected = {tlm::TLM_GENERIC_ERROR_RESPONSE};
      else if (offset > kBankBytes || bytes > kBankBytes - offset) expected = {tlm::TLM_ADDRESS_ERROR_RESPONSE};
      else if (command == tlm::TLM_IGNORE_COMMAND) expected = {tlm::TLM_OK_RESPONSE};
      else if (with_data && length < needed) expected = {tlm::TLM_GENERIC_ERROR_RESPONSE};
      else expected = {tlm::TLM_OK_RESPONSE};
      PayloadCase shown;
      shown.command = command;
      shown.address = offset;
      shown.length = uint32_t(length);
      shown.with_data = with_data;
      return test::judge_response(shown, got, expected);
    });
  });
  initiator.socket.bind(channel.bank_socket);
  sc_core::sc_start();
}

}  // namespace
}  // namespace aqpim::models
