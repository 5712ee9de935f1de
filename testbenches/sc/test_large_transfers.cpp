// Host transfers above what one TLM payload carries (32-bit length): the host splits them into parts, and
// the offload path (PCIe link -> CPU memory) charges the parts exactly the unsplit transfer's time, here
// latency + bytes / bandwidth rounded once (the link's formula for a memory faster than the link).
#include <string>

#include <gtest/gtest.h>

#include "harness/sc_test_support.h"
#include "models/cpu_memory.h"
#include "models/host.h"
#include "models/pcie_link.h"

namespace aqpim::models {
namespace {

using sc_core::sc_time;

// Deliberately not a round number: a part's share then cannot round like a whole transfer by luck.
constexpr double kLinkBandwidth = 63.7e9;
const sc_time kLinkLatency(1, sc_core::SC_US);

uint64_t expected_ps(uint64_t bytes) {
  const sc_time transfer = kLinkLatency + sc_time(double(bytes) / kLinkBandwidth, sc_core::SC_SEC);
  return transfer.value();  // the default resolution is 1 ps
}

// Host -> PCIe -> CPU memory (timing-only), as the offload baselines wire them.
struct Chain {
  Host& host;
  PcieLink& link;
};

Chain make_chain(const std::string& name, uint64_t max_transaction_bytes, Host::Program program) {
  HostConfig host_config;
  host_config.functional = false;
  host_config.max_transaction_bytes = max_transaction_bytes;
  CpuMemoryConfig memory_config;  // 200 GB/s: faster than the link
  memory_config.functional = false;
  auto& host = test::make_module<Host>((name + "_host").c_str(), host_config, std::move(program));
  auto& link = test::make_module<PcieLink>((name + "_link").c_str(), PcieLinkConfig{kLinkBandwidth, kLinkLatency});
  auto& memory = test::make_module<CpuMemory>((name + "_memory").c_str(), memory_config);
  host.socket.bind(link.target_socket);
  link.initiator_socket.bind(memory.socket);
  return {host, link};
}

// A read, then an asynchronous write, each timed from its start.
struct Timed {
  uint64_t read_ps = 0, write_ps = 0;
};
Host::Program read_then_write(uint64_t bytes, Timed& timed) {
  return [bytes, &timed](hwif::Hal& hal) {
    uint64_t start = hal.now_ps();
    hal.read(0, nullptr, bytes);
    timed.read_ps = hal.now_ps() - start;
    start = hal.now_ps();
    hal.write_async(0, nullptr, bytes);
    hal.wait_copies();
    timed.write_ps = hal.now_ps() - start;
  };
}

TEST(LargeTransfers, PartsTakeExactlyTheUnsplitTime) {
  constexpr uint64_t kBytes = 3ull << 30;  // fits one payload
  Timed whole, parts;
  const Chain unsplit = make_chain("whole", UINT32_MAX, read_then_write(kBytes, whole));
  const Chain split = make_chain("parts", 100'000'007, read_then_write(kBytes, parts));  // 33 parts
  sc_core::sc_start();
  ASSERT_FALSE(unsplit.host.failure());
  ASSERT_FALSE(split.host.failure());
  EXPECT_EQ(whole.read_ps, expected_ps(kBytes));
  EXPECT_EQ(whole.write_ps, expected_ps(kBytes));
  EXPECT_EQ(parts.read_ps, expected_ps(kBytes));
  EXPECT_EQ(parts.write_ps, expected_ps(kBytes));
  EXPECT_EQ(unsplit.link.statistics().transfers[0], 1u);
  EXPECT_EQ(split.link.statistics().transfers[0], 33u);
  EXPECT_EQ(split.link.statistics().bytes[0], kBytes);
}

TEST(LargeTransfers, AboveFourGiBTheDefaultHostSplitsAndKeepsTheFormula) {
  constexpr uint64_t kBytes = 6326845440;  // one layer's offloaded KV of llama-2-7b at 32K, batch 16
  Timed timed;
  const Chain chain = make_chain("big", HostConfig{}.max_transaction_bytes, read_then_write(kBytes, timed));
  sc_core::sc_start();
  ASSERT_FALSE(chain.host.failure());
  EXPECT_EQ(timed.read_ps, expected_ps(kBytes));
  EXPECT_EQ(timed.write_ps, expected_ps(kBytes));
  EXPECT_EQ(chain.link.statistics().transfers[0], 3u);  // 2 GiB parts
  EXPECT_EQ(chain.link.statistics().bytes[1], kBytes);
}

TEST(LargeTransfers, APartPastTheEndFailsTheAccessNamingItsAddress) {
  Timed timed;
  CpuMemoryConfig defaults;
  const uint64_t start = defaults.capacity_bytes - (3ull << 30);  // the second 2 GiB part runs off the end
  const Chain chain = make_chain("edge", HostConfig{}.max_transaction_bytes,
                                 [&](hwif::Hal& hal) { hal.read(start, nullptr, 5ull << 30); });
  sc_core::sc_start();
  ASSERT_TRUE(chain.host.failure());
  try {
    std::rethrow_exception(chain.host.failure());
  } catch (const hwif::HalError& error) {
    EXPECT_NE(std::string(error.what()).find("at 0xffc0000000 failed: TLM_ADDRESS_ERROR_RESPONSE"), std::string::npos)
        << error.what();
  }
}

TEST(LargeTransfers, TheHostRefusesPartsAPayloadCannotCarry) {
  HostConfig config;
  config.max_transaction_bytes = uint64_t(1) << 32;
  EXPECT_THROW(Host("host", config, [](hwif::Hal&) {}), std::invalid_argument);
  config.max_transaction_bytes = 0;
  EXPECT_THROW(Host("host", config, [](hwif::Hal&) {}), std::invalid_argument);
}

}  // namespace
}  // namespace aqpim::models
