// The PCIe link against its formulas: an isolated transfer takes latency + bytes / bandwidth, transfers in
// one direction queue behind each other, the two directions are independent, and a memory slower than
// the link sets the pace.
#include <vector>

#include <gtest/gtest.h>

#include "harness/sc_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/pcie_link.h"

namespace aqpim::models {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

constexpr double kBandwidth = 64e9;
const sc_time kLatency(1000, SC_NS);

struct Bench {
  test::TestMemory& memory;
  PcieLink& link;
};

Bench make_bench(std::function<void(test::TestInitiator&)> body, sc_time memory_latency = sc_core::SC_ZERO_TIME) {
  auto& initiator = test::make_module<test::TestInitiator>("initiator", std::move(body));
  auto& link = test::make_module<PcieLink>("link", PcieLinkConfig{kBandwidth, kLatency});
  auto& memory = test::make_module<test::TestMemory>("memory", 1 << 22, memory_latency);
  initiator.socket.bind(link.target_socket);
  link.initiator_socket.bind(memory.socket);
  return {memory, link};
}

sc_time serialization(double bytes) { return sc_time(bytes / kBandwidth, sc_core::SC_SEC); }

TEST(PcieLink, IsolatedTransferTakesLatencyPlusBytesOverBandwidth) {
  std::vector<unsigned char> data(1 << 20, 7);
  sc_time delay;
  auto bench = make_bench([&](test::TestInitiator& initiator) {
    EXPECT_EQ(initiator.access(tlm::TLM_WRITE_COMMAND, 0, data.data(), unsigned(data.size()), delay),
              tlm::TLM_OK_RESPONSE);
  });
  sc_core::sc_start();
  EXPECT_EQ(delay, kLatency + serialization(1 << 20));
  EXPECT_EQ(bench.memory.bytes[12345], 7);
  EXPECT_EQ(bench.link.statistics().bytes[1], 1u << 20);
}

TEST(PcieLink, SameDirectionQueuesOppositeDirectionOverlaps) {
  sc_time first, second, opposite;
  make_bench([&](test::TestInitiator& initiator) {
    std::vector<unsigned char> data(64 << 10);
    initiator.access(tlm::TLM_READ_COMMAND, 0, data.data(), unsigned(data.size()), first);
    initiator.access(tlm::TLM_READ_COMMAND, 0, data.data(), unsigned(data.size()), second = sc_core::SC_ZERO_TIME);
    initiator.access(tlm::TLM_WRITE_COMMAND, 0, data.data(), unsigned(data.size()), opposite = sc_core::SC_ZERO_TIME);
  });
  sc_core::sc_start();
  EXPECT_EQ(first, kLatency + serialization(64 << 10));
  EXPECT_EQ(second, kLatency + serialization(2 * (64 << 10)));
  EXPECT_EQ(opposite, kLatency + serialization(64 << 10));
}

TEST(PcieLink, SlowMemorySetsThePace) {
  const sc_time memory_latency(50, sc_core::SC_US);  // far above 4 KiB / 64 GB/s = 64 ns
  sc_time delay;
  make_bench(
      [&](test::TestInitiator& initiator) {
        std::vector<unsigned char> data(4096);
        initiator.access(tlm::TLM_READ_COMMAND, 0, data.data(), unsigned(data.size()), delay);
      },
      memory_latency);
  sc_core::sc_start();
  EXPECT_EQ(delay, kLatency + memory_latency);
}

TEST(PcieLink, RejectsZeroBandwidth) {
  EXPECT_THROW(PcieLink("link", PcieLinkConfig{0.0, kLatency}), std::invalid_argument);
}

}  // namespace
}  // namespace aqpim::models
