#include <gtest/gtest.h>

#include "harness/sc_test_support.h"
#include "harness/tlm_test_parts.h"
#include "models/address_router.h"

namespace aqpim::models {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using test::TestInitiator;
using test::TestMemory;

// Two memories behind the router: A at 0x1000 (4 KiB), B at 0x10000 (8 KiB).
struct TwoTargetBench {
  AddressRouter& router;
  TestMemory& a;
  TestMemory& b;
  TestInitiator& initiator;

  explicit TwoTargetBench(std::function<void(TestInitiator&)> body)
      : router(test::make_module<AddressRouter>("router", sc_time(2, SC_NS))),
        a(test::make_module<TestMemory>("a", 0x1000, sc_time(10, SC_NS))),
        b(test::make_module<TestMemory>("b", 0x2000, sc_time(20, SC_NS))),
        initiator(test::make_module<TestInitiator>("initiator", std::move(body))) {
    initiator.socket.bind(router.target_socket);
    router.initiator_socket.bind(a.socket);
    router.initiator_socket.bind(b.socket);
    router.map(0, 0x1000, 0x1000, "a");
    router.map(1, 0x10000, 0x2000, "b");
  }
};

TEST(AddressRouter, RoutesToTheOwningTargetAtItsLocalAddress) {
  sc_time delay_a, delay_b;
  tlm::tlm_response_status status_a{}, status_b{};
  TwoTargetBench bench([&](TestInitiator& self) {
    uint32_t word = 0xa5a5a5a5;
    status_a = self.access(tlm::TLM_WRITE_COMMAND, 0x1010, &word, 4, delay_a);
    word = 0x5a5a5a5a;
    status_b = self.access(tlm::TLM_WRITE_COMMAND, 0x11ffc, &word, 4, delay_b);
  });
  sc_core::sc_start();
  EXPECT_EQ(status_a, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(status_b, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(bench.a.bytes[0x10], 0xa5);
  EXPECT_EQ(bench.b.bytes[0x1ffc], 0x5a);
  // Router latency plus the target's own latency, nothing else.
  EXPECT_EQ(delay_a, sc_time(12, SC_NS));
  EXPECT_EQ(delay_b, sc_time(22, SC_NS));
}

TEST(AddressRouter, UnmappedOrStraddlingAccessIsAnAddressError) {
  std::vector<tlm::tlm_response_status> statuses;
  TwoTargetBench bench([&](TestInitiator& self) {
    uint64_t data = 0;
    sc_time delay;
    statuses.push_back(self.access(tlm::TLM_READ_COMMAND, 0x0, &data, 8, delay));      // below every range
    statuses.push_back(self.access(tlm::TLM_READ_COMMAND, 0x1ffc, &data, 8, delay));   // runs past A's end
    statuses.push_back(self.access(tlm::TLM_READ_COMMAND, 0x12000, &data, 1, delay));  // just past B
  });
  sc_core::sc_start();
  ASSERT_EQ(statuses.size(), 3u);
  for (auto status : statuses) EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(bench.a.transactions + bench.b.transactions, 0u);
}

TEST(AddressRouter, DmiRegionIsTranslatedToGlobalAddresses) {
  tlm::tlm_dmi dmi;
  bool granted = false;
  TwoTargetBench bench([&](TestInitiator& self) {
    tlm::tlm_generic_payload payload;
    payload.set_address(0x10800);
    granted = self.socket->get_direct_mem_ptr(payload, dmi);
  });
  sc_core::sc_start();
  ASSERT_TRUE(granted);
  EXPECT_EQ(dmi.get_start_address(), 0x10000u);
  EXPECT_EQ(dmi.get_end_address(), 0x11fffu);
  EXPECT_EQ(dmi.get_dmi_ptr(), bench.b.bytes.data());
}

TEST(AddressRouter, InvalidationReachesInitiatorsInGlobalAddresses) {
  TwoTargetBench bench([](TestInitiator&) {});
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  bench.b.invalidate_all();
  ASSERT_EQ(bench.initiator.invalidations.size(), 1u);
  EXPECT_EQ(bench.initiator.invalidations[0], std::make_pair(uint64_t(0x10000), uint64_t(0x11fff)));
}

TEST(AddressRouter, DebugTransportReachesTheTargetWithoutTime) {
  TwoTargetBench bench([](TestInitiator&) {});
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  bench.a.bytes[0x20] = 42;
  unsigned char value = 0;
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_address(0x1020);
  payload.set_data_ptr(&value);
  payload.set_data_length(1);
  EXPECT_EQ(bench.initiator.socket->transport_dbg(payload), 1u);
  EXPECT_EQ(value, 42);
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

TEST(AddressRouter, OverlappingRangesAreRejected) {
  auto& router = test::make_module<AddressRouter>("router");
  router.map(0, 0x1000, 0x1000, "a");
  EXPECT_THROW(router.map(1, 0x1800, 0x1000, "b"), std::invalid_argument);
  EXPECT_THROW(router.map(1, 0x0, 0x1001, "c"), std::invalid_argument);
  EXPECT_NO_THROW(router.map(1, 0x2000, 0x1000, "d"));
}

}  // namespace
}  // namespace aqpim::models
