// Transfers larger than one TLM payload can carry (its length is 32 bits) travel as parts. Each part
// carries a TransferPartExtension with its byte offset inside the whole transfer, so that a target timed
// as a bandwidth pipe charges each part exactly its share of the whole transfer's streaming time,
// time(offset + length) - time(offset): the shares add up to the unsplit transfer's time, rounded once,
// not to a sum of separately rounded parts. A payload without the extension is a whole transfer.
#pragma once

#include <cstdint>

#include <systemc>
#include <tlm>

namespace aqpim::models {

struct TransferPartExtension : tlm::tlm_extension<TransferPartExtension> {
  uint64_t offset = 0;  // of this part's first byte inside the whole transfer

  tlm::tlm_extension_base* clone() const override { return new TransferPartExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    offset = static_cast<const TransferPartExtension&>(other).offset;
  }
};

// Streaming time of the payload's bytes through a pipe of `bandwidth` bytes/s: its share of the whole
// transfer when it is a part, else data_length / bandwidth.
inline sc_core::sc_time streaming_time(const tlm::tlm_generic_payload& payload, double bandwidth) {
  const auto* part = payload.get_extension<TransferPartExtension>();
  const uint64_t before = part ? part->offset : 0;
  const uint64_t after = before + payload.get_data_length();
  const sc_core::sc_time whole(double(after) / bandwidth, sc_core::SC_SEC);
  return before == 0 ? whole : whole - sc_core::sc_time(double(before) / bandwidth, sc_core::SC_SEC);
}

}  // namespace aqpim::models
