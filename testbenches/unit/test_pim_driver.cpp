// PimDriver::submit against a HAL that records every access: descriptors land in the unit's command queue
// ring in order, stretches never cross the ring's end, a batch larger than the ring goes out a ring at a
// time, and QUEUE_TAIL is written with the running descriptor count after each stretch of a batch.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "firmware/hal.h"
#include "firmware/pim_driver.h"
#include "models/pim_commands.h"

namespace aqpim::firmware {
namespace {

namespace pim = models::pim;

class RecordingHal : public Hal {
 public:
  struct Write {
    uint64_t address;
    std::vector<unsigned char> bytes;
  };
  std::vector<Write> writes;

  void write(uint64_t address, const void* data, size_t bytes) override {
    const auto* begin = static_cast<const unsigned char*>(data);
    writes.push_back({address, std::vector<unsigned char>(begin, begin + bytes)});
  }
  void read(uint64_t, void*, size_t) override {}
  void write_async(uint64_t, const void*, size_t) override {}
  void wait_copies() override {}
  void gpu_launch(const GpuWork&) override {}
  void gpu_wait() override {}
  Phase set_phase(Phase phase) override { return phase; }
  uint64_t phase_total_ps(Phase) override { return 0; }
  uint64_t now_ps() override { return 0; }
  bool functional() const override { return false; }
};

TEST(PimDriver, SubmitFillsTheRingInOrderAndRingsTheDoorbellPerRingfulOfDescriptors) {
  constexpr uint64_t kBase = 0x40'0000'0000;
  PlatformView view;
  view.units = {{0, 0}, {kBase, 0}};
  view.command_queue_entries = 4;
  RecordingHal hal;
  PimDriver driver(hal, view);
  std::vector<pim::Command> commands(13);
  for (uint32_t i = 0; i < commands.size(); ++i) commands[i].first_token = i;  // a marker per descriptor
  driver.submit(1, {commands.begin(), commands.begin() + 3});
  driver.submit(1, {commands.begin() + 3, commands.end()});

  // Replay the recorded writes into a model of the ring; each doorbell must name exactly the entries
  // written so far, and the ring must then hold them.
  std::vector<pim::Command> ring(4);
  uint64_t written = 0, rung = 0;
  for (const auto& write : hal.writes) {
    ASSERT_GE(write.address, kBase);
    const uint64_t offset = write.address - kBase;
    if (offset == pim::reg::queue_tail) {
      uint64_t tail;
      ASSERT_EQ(write.bytes.size(), sizeof tail);
      std::memcpy(&tail, write.bytes.data(), sizeof tail);
      EXPECT_EQ(tail, written);
      EXPECT_LE(tail - rung, 4u);  // never more than a ring outstanding
      for (uint64_t entry = rung; entry < tail; ++entry) EXPECT_EQ(ring[entry % 4].first_token, entry);
      rung = tail;
      continue;
    }
    ASSERT_GE(offset, pim::reg::command_queue);
    const uint64_t slot = (offset - pim::reg::command_queue) / sizeof(pim::Command);
    ASSERT_EQ(slot, written % 4);
    const size_t count = write.bytes.size() / sizeof(pim::Command);
    ASSERT_LE(slot + count, 4u) << "a stretch crossed the ring's end";
    std::memcpy(&ring[slot], write.bytes.data(), write.bytes.size());
    written += count;
  }
  EXPECT_EQ(rung, 13u);
  // 3 descriptors: one stretch and a doorbell. Then 10 from entry 3 on, as batches of 4, 4 and 2, each
  // in two stretches (slot 3, then from slot 0) and a doorbell.
  EXPECT_EQ(hal.writes.size(), 2u + 3u * 3u);
}

}  // namespace
}  // namespace aqpim::firmware
