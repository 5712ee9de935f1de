// The firmware's access to PIM units through the HAL: queue command descriptors and ring the unit's
// doorbell, wait for a unit, move data through a unit's IO buffer, and write bank regions of a
// pseudo-channel the way the host does (ordinary writes, placed onto banks through the address mapping).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hwif/hal.h"
#include "hwif/platform_view.h"
#include "hwif/pim_commands.h"

namespace aqpim::firmware {

class PimDriver {
 public:
  PimDriver(hwif::Hal& hal, const hwif::PlatformView& view);

  // Writes the commands into the unit's command queue ring (one write per contiguous stretch), then its
  // QUEUE_TAIL: two transactions instead of one per command, and the same timing when register writes
  // take no host time (they run at the doorbell, in order, as COMMAND writes would have run there).
  void submit(uint32_t unit, const std::vector<hwif::pim::Command>& commands);
  void fence(uint32_t unit);  // returns when every command issued to the unit so far has finished
  void write_io(uint32_t unit, uint32_t offset, const void* data, size_t bytes);
  void read_io(uint32_t unit, uint32_t offset, void* data, size_t bytes);

  // Writes `bytes_per_bank` bytes at bank offset `bank_offset` of every bank of the unit's pseudo-channel.
  // `per_bank` (null in timing-only mode) holds the banks' bytes back to back in flat bank order. Ranges of
  // whole DRAM rows become one contiguous write (the row is the top address field in every mapping).
  // The writes are copies (hwif::Hal::write_async): call hal().wait_copies() before work that reads them.
  void write_banks(uint32_t unit, uint64_t bank_offset, uint64_t bytes_per_bank, const unsigned char* per_bank);

  uint64_t all_pes_mask() const;
  hwif::Hal& hal() { return hal_; }
  const hwif::PlatformView& view() const { return view_; }

 private:
  hwif::Hal& hal_;
  const hwif::PlatformView& view_;
  hwif::HbmAddressMap map_;
  // Writes QUEUE_TAIL; when the unit refuses a descriptor, throws HalError naming its STATUS error.
  void ring_doorbell(uint32_t unit, uint64_t tail);

  static constexpr uint64_t kTailUnknown = ~uint64_t(0);
  std::vector<uint64_t> queue_tails_;  // per unit: the unit's descriptor count (free-running), once read
};

}  // namespace aqpim::firmware
