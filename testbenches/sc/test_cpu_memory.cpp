// CPU memory: data round-trips, accesses queue on one bandwidth pipe (bytes / bandwidth + latency), only
// touched chunks are allocated, DMI and debug transport reach the same bytes, bad accesses are errors.
#include <vector>

#include <gtest/gtest.h>

#include "harness/sc_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/cpu_memory.h"

namespace aqpim::models {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

const CpuMemoryConfig kConfig{uint64_t(1) << 40, 100e9, sc_time(80, SC_NS), true};

CpuMemory& bench(std::function<void(test::TestInitiator&)> body, const CpuMemoryConfig& config = kConfig) {
  auto& initiator = test::make_module<test::TestInitiator>("initiator", std::move(body));
  auto& memory = test::make_module<CpuMemory>("memory", config);
  initiator.socket.bind(memory.socket);
  return memory;
}

TEST(CpuMemory, AccessesQueueOnOneBandwidthPipe) {
  sc_time first, second;
  std::vector<unsigned char> data(1 << 20, 3), back(1 << 20);
  auto& memory = bench([&](test::TestInitiator& initiator) {
    initiator.access(tlm::TLM_WRITE_COMMAND, 5ull << 30, data.data(), unsigned(data.size()), first);
    initiator.access(tlm::TLM_READ_COMMAND, 5ull << 30, back.data(), unsigned(back.size()), second);
  });
  sc_core::sc_start();
  const sc_time streaming(double(1 << 20) / 100e9, sc_core::SC_SEC);
  EXPECT_EQ(first, streaming + sc_time(80, SC_NS));
  // The read is issued at time 0 too (its own zero delay), so it streams after the write's streaming.
  EXPECT_EQ(second, streaming + streaming + sc_time(80, SC_NS));
  EXPECT_EQ(back, data);
  EXPECT_EQ(memory.allocated_bytes(), uint64_t(1) << 20);
}

TEST(CpuMemory, TimingOnlyStoresNothingAndTakesTheSameTime) {
  CpuMemoryConfig config = kConfig;
  config.functional = false;
  sc_time delay;
  auto& memory = bench(
      [&](test::TestInitiator& initiator) {
        std::vector<unsigned char> data(4096, 1);
        initiator.access(tlm::TLM_WRITE_COMMAND, 0, data.data(), unsigned(data.size()), delay);
      },
      config);
  sc_core::sc_start();
  EXPECT_EQ(delay, sc_time(4096 / 100e9, sc_core::SC_SEC) + sc_time(80, SC_NS));
  EXPECT_EQ(memory.allocated_bytes(), 0u);
}

TEST(CpuMemory, OutOfRangeIsAnAddressError) {
  CpuMemoryConfig config = kConfig;
  config.capacity_bytes = 4096;
  tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
  bench(
      [&](test::TestInitiator& initiator) {
        unsigned char byte[8];
        sc_time delay;
        status = initiator.access(tlm::TLM_READ_COMMAND, 4092, byte, 8, delay);
      },
      config);
  sc_core::sc_start();
  EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(CpuMemory, DmiAndDebugTransportSeeTheSameBytes) {
  auto& memory = bench([](test::TestInitiator& initiator) {
    tlm::tlm_generic_payload request;
    request.set_address(0x123456);
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(initiator.socket->get_direct_mem_ptr(request, dmi));
    ASSERT_LE(dmi.get_start_address(), 0x123456u);
    dmi.get_dmi_ptr()[0x123456 - dmi.get_start_address()] = 42;
    unsigned char byte = 0;
    tlm::tlm_generic_payload debug;
    debug.set_read();
    debug.set_address(0x123456);
    debug.set_data_ptr(&byte);
    debug.set_data_length(1);
    EXPECT_EQ(initiator.socket->transport_dbg(debug), 1u);
    EXPECT_EQ(byte, 42);
  });
  sc_core::sc_start();
  EXPECT_EQ(memory.statistics().reads, 0u);
}

TEST(CpuMemory, RejectsZeroBandwidth) {
  CpuMemoryConfig config = kConfig;
  config.bandwidth = 0;
  EXPECT_THROW(CpuMemory("memory", config), std::invalid_argument);
}

}  // namespace
}  // namespace aqpim::models
