// Fuzzing a TLM-2.0 target socket (with harness/fuzz.h): random generic payloads around the target's edges
// (wrong or ignored commands, zero, unaligned and huge lengths, addresses past the end, byte enables,
// streaming widths, null data), debug transport and DMI requests, each judged against the target's contract
// (which the test states from the model's documentation). Buffers are exactly as large as a payload says,
// so a target that touches more than it may is caught by the sanitizer build.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "harness/fuzz.h"

namespace aqpim::test {

struct PayloadCase {
  tlm::tlm_command command = tlm::TLM_READ_COMMAND;
  uint64_t address = 0;
  uint32_t length = 0;
  uint32_t streaming_width = 0;
  uint32_t byte_enable_length = 0;  // 0: no byte enables
  bool with_data = true;            // false: a null data pointer (a timing-only access)

  bool streaming() const { return streaming_width != 0 && streaming_width < length; }
  bool in(uint64_t size) const { return address < size && length <= size - address; }  // [address, +length) inside [0, size)
  std::string describe() const {
    static const char* const kCommands[] = {"read", "write", "ignore"};
    return std::string(kCommands[command]) + " at 0x" + [&] {
      char text[24];
      std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(address));
      return std::string(text);
    }() + " length " + std::to_string(length) + " streaming width " + std::to_string(streaming_width) +
           (byte_enable_length ? " byte enables " + std::to_string(byte_enable_length) : "") + (with_data ? "" : " no data");
  }
};

// Above this a payload carries no data pointer: no test buffer is that large, and no target under test may
// accept such a length.
constexpr uint32_t kMaxFuzzBuffer = 1u << 20;

// An address near one of the target's edges (region starts and ends), anywhere below `span`, or far away.
inline uint64_t random_address(FuzzRandom& random, const std::vector<uint64_t>& edges, uint64_t span) {
  switch (random() % 6) {
    case 0: return span + random() % 4096;
    case 1: return pick<uint64_t>(random, {~uint64_t(0), ~uint64_t(0) - 3, uint64_t(1) << 63, uint64_t(1) << 32});
    case 2: return random() % std::max<uint64_t>(span, 1);
    default: {
      const uint64_t edge = edges[random() % edges.size()];
      const uint64_t step = pick<uint64_t>(random, {0, 1, 2, 4, 8, 64});
      return random() % 2 ? edge + step : edge - std::min(edge, step);
    }
  }
}

inline PayloadCase random_payload(FuzzRandom& random, const std::vector<uint64_t>& edges, uint64_t span) {
  PayloadCase c;
  c.command = pick(random, {tlm::TLM_READ_COMMAND, tlm::TLM_WRITE_COMMAND, tlm::TLM_READ_COMMAND,
                            tlm::TLM_WRITE_COMMAND, tlm::TLM_IGNORE_COMMAND});
  c.address = random_address(random, edges, span);
  c.length = pick<uint32_t>(random, {0, 1, 3, 4, 7, 8, 24, 104, 4096, UINT32_MAX,
                                     uint32_t(between(random, 1, 512)), uint32_t(between(random, 1, 65536))});
  c.streaming_width = random() % 4 ? c.length : pick<uint32_t>(random, {0, 1, 4, c.length / 2, c.length + 1});
  c.byte_enable_length = random() % 8 ? 0 : uint32_t(between(random, 1, 8));
  c.with_data = c.length <= kMaxFuzzBuffer && random() % 8 != 0;
  return c;
}

// The data and byte-enable buffers of one payload, sized exactly.
class PayloadBuffers {
 public:
  void fill(tlm::tlm_generic_payload& payload, const PayloadCase& c, FuzzRandom& random) {
    data_.assign(c.with_data ? c.length : 0, 0);
    for (auto& byte : data_) byte = static_cast<unsigned char>(random());
    byte_enables_.assign(c.byte_enable_length, 0);
    for (auto& byte : byte_enables_) byte = random() % 2 ? TLM_BYTE_ENABLED : TLM_BYTE_DISABLED;
    payload.set_command(c.command);
    payload.set_address(c.address);
    payload.set_data_ptr(c.with_data ? data_.data() : nullptr);
    payload.set_data_length(c.length);
    payload.set_streaming_width(c.streaming_width);
    payload.set_byte_enable_ptr(c.byte_enable_length ? byte_enables_.data() : nullptr);
    payload.set_byte_enable_length(c.byte_enable_length);
    payload.set_dmi_allowed(false);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  }

 private:
  std::vector<unsigned char> data_, byte_enables_;
};

inline std::string status_name(tlm::tlm_response_status status) {
  tlm::tlm_generic_payload payload;
  payload.set_response_status(status);
  return payload.get_response_string();
}

// A response among the allowed ones (usually exactly one).
inline FuzzVerdict judge_response(const PayloadCase& c, tlm::tlm_response_status got,
                                  const std::set<tlm::tlm_response_status>& allowed) {
  if (allowed.count(got)) return passed(status_name(got));
  std::string expected;
  for (const auto status : allowed) expected += (expected.empty() ? "" : " or ") + status_name(status);
  return failed(c.describe() + ": " + status_name(got) + ", expected " + expected);
}

// The DMI contract at `address`: a granted region contains the address, lies inside [0, span), allows the
// access asked for and points at memory that can be accessed (the bytes at both ends of the region are
// read, and written back where writes are allowed); a refused request describes a region that contains the address.
template <class Types>
FuzzVerdict check_dmi(tlm::tlm_fw_transport_if<Types>& target, uint64_t address, tlm::tlm_command command, uint64_t span) {
  tlm::tlm_generic_payload request;
  request.set_command(command);
  request.set_address(address);
  tlm::tlm_dmi dmi;
  const bool granted = target.get_direct_mem_ptr(request, dmi);
  const std::string where = "DMI at " + std::to_string(address) + ": ";
  if (dmi.get_start_address() > address || dmi.get_end_address() < address)
    return failed(where + "region [" + std::to_string(dmi.get_start_address()) + ", " +
                  std::to_string(dmi.get_end_address()) + "] misses the address");
  if (!granted) return passed("DMI refused");
  if (!dmi.get_dmi_ptr() || dmi.get_end_address() >= span)
    return failed(where + "granted a region past the target's end or without a pointer");
  if (command == tlm::TLM_READ_COMMAND ? !dmi.is_read_allowed() : !dmi.is_write_allowed())
    return failed(where + "granted without the access asked for");
  for (const uint64_t at : {dmi.get_start_address(), dmi.get_end_address()}) {
    volatile unsigned char* byte = dmi.get_dmi_ptr() + (at - dmi.get_start_address());
    const unsigned char keep = *byte;
    if (dmi.is_write_allowed()) *byte = keep;
  }
  return passed("DMI granted");
}

}  // namespace aqpim::test
