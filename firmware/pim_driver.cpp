#include "firmware/pim_driver.h"

#include <algorithm>
#include <vector>

namespace aqpim::firmware {

namespace pim = hwif::pim;

PimDriver::PimDriver(hwif::Hal& hal, const hwif::PlatformView& view)
    : hal_(hal), view_(view), map_(view.mapping, view.hbm, view.address_bits), queue_tails_(view.units.size(), kTailUnknown) {}

void PimDriver::submit(uint32_t unit, const std::vector<pim::Command>& commands) {
  const uint64_t base = view_.units.at(unit).registers_base, entries = view_.command_queue_entries;
  uint64_t& tail = queue_tails_.at(unit);
  // The unit's count runs on from whatever queued before this driver: read the head once.
  if (tail == kTailUnknown) hal_.read(base + pim::reg::queue_tail, &tail, sizeof tail);
  for (size_t done = 0; done < commands.size();) {
    // Up to a full ring per doorbell, in stretches that do not wrap around its end.
    const size_t batch = std::min<size_t>(commands.size() - done, entries);
    for (size_t written = 0; written < batch;) {
      const uint64_t slot = (tail + written) % entries;
      const size_t stretch = std::min<size_t>(batch - written, entries - slot);
      hal_.write(base + view_.register_map.command_queue() + slot * sizeof(pim::Command), &commands[done + written],
                 stretch * sizeof(pim::Command));
      written += stretch;
    }
    tail += batch;
    ring_doorbell(unit, tail);
    done += batch;
  }
}

void PimDriver::ring_doorbell(uint32_t unit, uint64_t tail) {
  const uint64_t base = view_.units.at(unit).registers_base;
  try {
    hal_.write(base + pim::reg::queue_tail, &tail, sizeof tail);
  } catch (const hwif::HalError& error) {
    // The unit refused a descriptor of the batch: say which and why (its STATUS), not just that a write failed.
    pim::Status status;
    hal_.read(base + pim::reg::status, &status, sizeof status);
    throw hwif::HalError("PIM unit " + std::to_string(unit) + " rejected a command with opcode " +
                         std::to_string(status.error_opcode) + ": " + pim::to_string(pim::Error(status.error)) +
                         " (" + error.what() + ")");
  }
}

void PimDriver::fence(uint32_t unit) {
  uint64_t completed = 0;  // registers carry data in both modes: only payload data is left out in timing-only
  hal_.read(view_.units.at(unit).registers_base + pim::reg::fence, &completed, sizeof completed);
}

void PimDriver::write_io(uint32_t unit, uint32_t offset, const void* data, size_t bytes) {
  hal_.write(view_.units.at(unit).registers_base + view_.register_map.io_buffer() + offset, data, bytes);
}

void PimDriver::read_io(uint32_t unit, uint32_t offset, void* data, size_t bytes) {
  hal_.read(view_.units.at(unit).registers_base + view_.register_map.io_buffer() + offset, data, bytes);
}

uint64_t PimDriver::all_pes_mask() const {
  return view_.pes_per_unit >= 64 ? ~uint64_t(0) : (uint64_t(1) << view_.pes_per_unit) - 1;
}

void PimDriver::write_banks(uint32_t unit, uint64_t bank_offset, uint64_t bytes_per_bank,
                            const unsigned char* per_bank) {
  const auto& geometry = view_.hbm;
  const uint64_t row_bytes = geometry.row_bytes, access = geometry.access_bytes, banks = geometry.banks();
  const uint64_t base = view_.units.at(unit).memory_base;
  if (bytes_per_bank == 0) return;

  if (bank_offset % row_bytes == 0 && bytes_per_bank % row_bytes == 0) {
    const uint64_t first_row = bank_offset / row_bytes, rows = bytes_per_bank / row_bytes;
    std::vector<unsigned char> image;
    if (per_bank) {
      image.resize(rows * row_bytes * banks);
      for (uint64_t bank = 0; bank < banks; ++bank)
        for (uint64_t row = 0; row < rows; ++row)
          for (uint64_t column = 0; column < row_bytes / access; ++column) {
            hwif::HbmLocation location{unsigned(bank / geometry.banks_per_group),
                                         unsigned(bank % geometry.banks_per_group), first_row + row, column};
            const uint64_t address = map_.encode(location) - first_row * row_bytes * banks;
            std::copy_n(per_bank + bank * bytes_per_bank + row * row_bytes + column * access, access,
                        image.data() + address);
          }
    }
    hal_.write_async(base + first_row * row_bytes * banks, per_bank ? image.data() : nullptr, rows * row_bytes * banks);
    return;
  }
  // A partial row: one write per run of column accesses that stays contiguous in the address space.
  if (bank_offset % access != 0 || bytes_per_bank % access != 0)
    throw hwif::HalError("write_banks: bank_offset and bytes_per_bank must be multiples of the " +
                   std::to_string(access) + "-byte column access");
  for (uint64_t bank = 0; bank < banks; ++bank) {
    uint64_t run_address = 0, run_bytes = 0;
    const unsigned char* run_data = nullptr;
    auto flush = [&] {
      if (run_bytes) hal_.write_async(base + run_address, run_data, run_bytes);
      run_bytes = 0;
    };
    for (uint64_t offset = 0; offset < bytes_per_bank; offset += access) {
      const uint64_t in_bank = bank_offset + offset;
      hwif::HbmLocation location{unsigned(bank / geometry.banks_per_group), unsigned(bank % geometry.banks_per_group),
                                   in_bank / row_bytes, (in_bank % row_bytes) / access};
      const uint64_t address = map_.encode(location);
      const unsigned char* data = per_bank ? per_bank + bank * bytes_per_bank + offset : nullptr;
      if (run_bytes && address == run_address + run_bytes && (!data || data == run_data + run_bytes)) {
        run_bytes += access;
        continue;
      }
      flush();
      run_address = address, run_data = data, run_bytes = access;
    }
    flush();
  }
}

}  // namespace aqpim::firmware
