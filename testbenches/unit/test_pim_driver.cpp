// PimDriver::submit against a HAL that records every access: the driver starts from the unit's head (read
// once), descriptors land in the unit's command queue ring in order, stretches never cross the ring's end,
// a batch larger than the ring goes out a ring at a time, and QUEUE_TAIL is written with the running
// descriptor count after each batch.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "hwif/hal.h"
#include "firmware/pim_driver.h"
#include "hwif/pim_commands.h"

namespace aqpim::firmware {
namespace {

namespace pim = hwif::pim;
using namespace hwif;

class RecordingHal : public Hal {
 public:
  struct Write {
    uint64_t address;
    std::vector<unsigned char> bytes;
  };
  std::vector<Write> writes;
  uint64_t queue_head = 0;  // what a read of QUEUE_TAIL returns
  unsigned reads = 0;

  void write(uint64_t address, const void* data, size_t bytes) override {
    const auto* begin = static_cast<const unsigned char*>(data);
    writes.push_back({address, std::vector<unsigned char>(begin, begin + bytes)});
  }
  void read(uint64_t address, void* data, size_t bytes) override {
    ++reads;
    if (address % (uint64_t(1) << 34) == pim::reg::queue_tail && bytes == sizeof queue_head)
      std::memcpy(data, &queue_head, bytes);
  }
  void write_async(uint64_t, const void*, size_t) override {}
  void wait_copies() override {}
  uint64_t gpu_launch(const GpuWork&) override { return 0; }
  void wait_until(uint64_t) override {}
  void gpu_wait() override {}
  Phase set_phase(Phase phase) override { return phase; }
  uint64_t phase_total_ps(Phase) override { return 0; }
  uint64_t now_ps() override { return 0; }
  bool functional() const override { return false; }
};

// `ring_offset`: where the map puts COMMAND_QUEUE, written out by hand (docs/models-pim.md).
void expect_ring_filled_in_order(const pim::RegisterMap& map, uint64_t ring_offset) {
  constexpr uint64_t kBase = uint64_t(1) << 34;  // unit 1's registers
  PlatformView view;
  view.units = {{0, 0}, {kBase, 0}};
  view.command_queue_entries = 4;
  view.register_map = map;
  RecordingHal hal;
  hal.queue_head = 6;  // an earlier driver queued six descriptors on this unit
  PimDriver driver(hal, view);
  std::vector<pim::Command> commands(13);
  for (uint32_t i = 0; i < commands.size(); ++i) commands[i].first_token = 6 + i;  // its queue position
  driver.submit(1, {commands.begin(), commands.begin() + 3});
  driver.submit(1, {commands.begin() + 3, commands.end()});
  EXPECT_EQ(hal.reads, 1u);  // the head is read once

  // Replay the recorded writes into a model of the ring; each doorbell must name exactly the entries
  // written so far, and the ring must then hold them.
  std::vector<pim::Command> ring(4);
  uint64_t written = 6, rung = 6;
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
    ASSERT_GE(offset, ring_offset);
    const uint64_t slot = (offset - ring_offset) / sizeof(pim::Command);
    ASSERT_EQ(slot, written % 4);
    const size_t count = write.bytes.size() / sizeof(pim::Command);
    ASSERT_LE(slot + count, 4u) << "a stretch crossed the ring's end";
    std::memcpy(&ring[slot], write.bytes.data(), write.bytes.size());
    written += count;
  }
  EXPECT_EQ(rung, 6u + 13u);
  // From entry 6 (slot 2): 3 descriptors as slots 2-3 and slot 0, and a doorbell. Then 10 from entry 9
  // (slot 1) as batches of 4 (slots 1-3, then 0), 4 (the same) and 2 (slots 1-2), each with a doorbell.
  EXPECT_EQ(hal.writes.size(), 3u + 3u + 3u + 2u);
}

TEST(PimDriver, SubmitFillsTheRingInOrderAndRingsTheDoorbellPerRingfulOfDescriptors) {
  expect_ring_filled_in_order(pim::RegisterMap{}, 0x3000'0000);
}

TEST(PimDriver, SubmitFindsTheRingWhereTheCompactMapPutsIt) {
  expect_ring_filled_in_order(pim::RegisterMap::compact(), 0xc'0000);
}

}  // namespace
}  // namespace aqpim::firmware
