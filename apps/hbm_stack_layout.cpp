#include "apps/hbm_stack_layout.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace aqpim::apps {
namespace {

unsigned log2_of(uint64_t value) {
  unsigned bits = 0;
  while ((uint64_t(1) << bits) < value) ++bits;
  return bits;
}

void require_power_of_two(const char* what, uint64_t value) {
  if (value == 0 || (value & (value - 1)) != 0)
    throw std::invalid_argument(std::string(what) + " = " + std::to_string(value) + ": must be a power of two");
}

// DRAMSys's field names and the letter of each in our bit lists ('P': picks the channel, '.': byte in an
// access).
const std::map<std::string, char> kDramSysFields = {
    {"STACK_BIT", 'P'}, {"CHANNEL_BIT", 'P'}, {"PSEUDOCHANNEL_BIT", 'P'}, {"BYTE_BIT", '.'}, {"BURST_BIT", '.'},
    {"BANKGROUP_BIT", 'G'}, {"BANK_BIT", 'B'}, {"ROW_BIT", 'R'}, {"COLUMN_BIT", 'C'}};

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read address mapping '" + path + "'");
  try {
    nlohmann::json document = nlohmann::json::parse(in);
    return document.contains("addressmapping") ? document["addressmapping"] : document;
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument("address mapping '" + path + "' is not valid JSON");
  }
}

}  // namespace

StackLayout StackLayout::row_major(unsigned channels, uint64_t channel_bytes) {
  require_power_of_two("pseudo-channels", channels);
  require_power_of_two("channel capacity", channel_bytes);
  StackLayout layout;
  layout.channel_bytes_ = channel_bytes;
  for (unsigned bit = 0; (1u << bit) < channels; ++bit) layout.channel_bits_.push_back(log2_of(channel_bytes) + bit);
  return layout;
}

StackLayout StackLayout::interleaved(unsigned channels, uint64_t interleave_bytes, uint64_t channel_bytes) {
  require_power_of_two("interleave", interleave_bytes);
  StackLayout layout = row_major(channels, channel_bytes);
  for (unsigned i = 0; i < layout.channel_bits_.size(); ++i) layout.channel_bits_[i] = log2_of(interleave_bytes) + i;
  return layout;
}

StackLayout StackLayout::from_dramsys_file(const std::string& path, uint64_t access_bytes) {
  const nlohmann::json fields = read_json(path);
  std::map<unsigned, char> letter_at;  // address bit -> letter
  for (const auto& [name, bits] : fields.items()) {
    const auto known = kDramSysFields.find(name);
    if (known == kDramSysFields.end() || !bits.is_array())
      throw std::invalid_argument("address mapping '" + path + "': unsupported field '" + name + "'");
    int64_t previous = -1;
    for (const auto& bit : bits) {
      if (!bit.is_number_unsigned() || bit.get<uint64_t>() > 63 || int64_t(bit.get<uint64_t>()) <= previous)
        throw std::invalid_argument("address mapping '" + path + "': " + name + " must list ascending bits below 64");
      previous = int64_t(bit.get<uint64_t>());
      if (!letter_at.emplace(unsigned(previous), known->second).second)
        throw std::invalid_argument("address mapping '" + path + "': bit " + std::to_string(previous) + " listed twice");
    }
  }
  const unsigned byte_bits = log2_of(access_bytes);
  StackLayout layout;
  for (unsigned bit = 0; bit < letter_at.size(); ++bit) {
    const auto found = letter_at.find(bit);
    if (found == letter_at.end())
      throw std::invalid_argument("address mapping '" + path + "': bit " + std::to_string(bit) + " is in no field");
    if ((found->second == '.') != (bit < byte_bits))
      throw std::invalid_argument("address mapping '" + path + "': BYTE and BURST bits must be the lowest " +
                                  std::to_string(byte_bits) + " (one " + std::to_string(access_bytes) + "-byte access)");
    if (found->second == 'P')
      layout.channel_bits_.push_back(bit);
    else if (found->second != '.')
      layout.address_bits_.insert(layout.address_bits_.begin(), found->second);  // most significant first
  }
  layout.channel_bytes_ = uint64_t(1) << (letter_at.size() - layout.channel_bits_.size());
  return layout;
}

uint64_t StackLayout::contiguous_bytes(uint64_t address) const {
  const uint64_t unit = channel_bits_.empty() ? capacity() : uint64_t(1) << channel_bits_.front();
  return unit - address % unit;
}

unsigned StackLayout::channel_of(uint64_t address) const {
  unsigned channel = 0;
  for (unsigned i = 0; i < channel_bits_.size(); ++i) channel |= unsigned((address >> channel_bits_[i]) & 1) << i;
  return channel;
}

uint64_t StackLayout::local_address(uint64_t address) const {
  for (size_t i = channel_bits_.size(); i-- > 0;) {  // highest first: lower positions stay put
    const unsigned bit = channel_bits_[i];
    address = ((address >> (bit + 1)) << bit) | (address & ((uint64_t(1) << bit) - 1));
  }
  return address;
}

}  // namespace aqpim::apps
