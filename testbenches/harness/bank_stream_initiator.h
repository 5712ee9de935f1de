// An initiator of bank-side streams (models/bank_stream_protocol.h) that runs a test body in an SC_THREAD:
// what a PIM unit sends its pseudo-channel, issued directly, so a test can time or fill banks without a unit.
#pragma once

#include <functional>

#include <systemc>
#include <tlm>

#include "models/bank_stream_protocol.h"

namespace aqpim::test {

class BankStreamInitiator : public sc_core::sc_module {
 public:
  models::BankStreamInitiatorSocket<BankStreamInitiator> socket;
  std::function<void(BankStreamInitiator&)> body;

  SC_HAS_PROCESS(BankStreamInitiator);
  BankStreamInitiator(sc_core::sc_module_name name, std::function<void(BankStreamInitiator&)> test_body)
      : sc_core::sc_module(name), socket("socket"), body(std::move(test_body)) {
    SC_THREAD(run);
  }

  // One stream: the banks in `mask` move [offset, offset + bytes_per_bank) of their own space; `data` (may
  // be null: timing only) holds `length` bytes laid out bank by bank. Adds the annotated delay to `delay`.
  tlm::tlm_response_status stream(tlm::tlm_command command, uint64_t mask, uint64_t offset, uint64_t bytes_per_bank,
                                  unsigned char* data, uint64_t length, sc_core::sc_time& delay) {
    models::BankAccessExtension extension;
    extension.bank_mask = mask;
    extension.bank_offset = offset;
    extension.bytes_per_bank = bytes_per_bank;
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(offset);
    payload.set_data_ptr(data);
    payload.set_data_length(unsigned(length));
    payload.set_streaming_width(unsigned(length));
    payload.set_extension(&extension);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(payload, delay);
    payload.clear_extension(&extension);
    return payload.get_response_status();
  }

 private:
  void run() { body(*this); }
};

}  // namespace aqpim::test
