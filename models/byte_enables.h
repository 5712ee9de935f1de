// TLM-2.0 byte enables as every target of this project honours them (IEEE 1666-2011, 14.8 and 14.15):
// byte n of the data is enabled unless byte_enable[n % byte_enable_length] is TLM_BYTE_DISABLED, so the
// pattern repeats over the data length. A write stores only enabled bytes; a read fills only enabled bytes
// and leaves the others of the initiator's buffer as they were. Targets still time the whole burst: the
// DRAM moves every beat whatever its mask, as a data mask on the pins does.
#pragma once

#include <tlm>

namespace aqpim::models {

// A byte-enable pointer without a length describes no pattern: the target answers
// TLM_BYTE_ENABLE_ERROR_RESPONSE.
inline bool byte_enables_valid(const tlm::tlm_generic_payload& payload) {
  return !payload.get_byte_enable_ptr() || payload.get_byte_enable_length() > 0;
}

// Calls move(offset, bytes) for each maximal run of enabled bytes of the payload's data, in address
// order; once for the whole data when the payload has no byte enables.
template <class Move>
void for_each_enabled_run(const tlm::tlm_generic_payload& payload, Move&& move) {
  const unsigned length = payload.get_data_length();
  const unsigned char* enables = payload.get_byte_enable_ptr();
  if (!enables) {
    if (length) move(0u, length);
    return;
  }
  const unsigned pattern = payload.get_byte_enable_length();
  const auto enabled = [&](unsigned at) { return enables[at % pattern] != TLM_BYTE_DISABLED; };
  for (unsigned start = 0; start < length;) {
    while (start < length && !enabled(start)) ++start;
    unsigned end = start;
    while (end < length && enabled(end)) ++end;
    if (end > start) move(start, end - start);
    start = end;
  }
}

// True when the payload writes or reads every byte of its data (no byte enables, or none disabled).
inline bool all_bytes_enabled(const tlm::tlm_generic_payload& payload) {
  unsigned enabled = 0;
  for_each_enabled_run(payload, [&](unsigned, unsigned bytes) { enabled += bytes; });
  return enabled == payload.get_data_length();
}

}  // namespace aqpim::models
