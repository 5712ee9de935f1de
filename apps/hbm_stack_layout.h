// How a trace's addresses fall onto the pseudo-channels of a stack: some address bits pick the channel,
// the others, closed up, are the address inside it. Three ways to say which bits:
//   - a row-major stack (the channel bits on top: each channel a contiguous range),
//   - channels interleaved every N bytes (the channel bits right above them),
//   - a DRAMSys address-mapping file (configs/addressmapping/*.json): its STACK, CHANNEL and
//     PSEUDOCHANNEL bits pick the channel; BYTE and BURST bits are the byte in one access; BANKGROUP,
//     BANK, ROW and COLUMN bits become the channel's bit list (hwif/hbm_address_mapping.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aqpim::apps {

class StackLayout {
 public:
  // channels x channel_bytes, channel i at [i x channel_bytes, (i + 1) x channel_bytes). Powers of two.
  static StackLayout row_major(unsigned channels, uint64_t channel_bytes);
  // Channel i holds the interleave-byte blocks i, i + channels, i + 2 x channels, ... Powers of two.
  static StackLayout interleaved(unsigned channels, uint64_t interleave_bytes, uint64_t channel_bytes);
  // Throws std::invalid_argument naming the problem (unreadable file, a bit listed twice or missing, a
  // field whose bits are not ascending, BYTE/BURST bits that are not the access size).
  static StackLayout from_dramsys_file(const std::string& path, uint64_t access_bytes);

  unsigned channels() const { return 1u << channel_bits_.size(); }
  uint64_t capacity() const { return channel_bytes_ << channel_bits_.size(); }
  // The channel's bit list from a DRAMSys file; empty otherwise (the channel keeps its own mapping).
  const std::string& address_bits() const { return address_bits_; }
  // Bytes from `address` on that stay in its channel and in consecutive addresses of it.
  uint64_t contiguous_bytes(uint64_t address) const;
  // The channel of `address` and the address inside it.
  unsigned channel_of(uint64_t address) const;
  uint64_t local_address(uint64_t address) const;

 private:
  std::vector<unsigned> channel_bits_;  // address bit positions, least significant first
  uint64_t channel_bytes_ = 0;
  std::string address_bits_;
};

}  // namespace aqpim::apps
