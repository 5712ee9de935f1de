// The contract between a PIM unit and the HBM pseudo-channel it sits in. A PIM unit reads and writes
// bank data from inside the DRAM die: it does not use the pseudo-channel's external data bus, many banks
// stream in lockstep (all-bank commands), and the column rate is the bank's internal one. It marks such a
// transaction with this extension; the pseudo-channel then times it as bank-side streaming and moves the
// data (if any) between its store and the payload.
//
// Payload fields on such a transaction:
//   command      TLM_READ_COMMAND or TLM_WRITE_COMMAND
//   address      ignored (the bank-local position is bank_offset below)
//   data_ptr     null in timing-only mode (nothing is copied); else data_length bytes laid out bank by
//                bank in ascending bank index: [bank b0: bytes_per_bank][bank b1: bytes_per_bank]...
//   data_length  bytes_per_bank x popcount(bank_mask), or 0 when data_ptr is null
// The target adds the streaming time to `delay` (never waits) and sets TLM_OK_RESPONSE, or
// TLM_ADDRESS_ERROR_RESPONSE when the range leaves a bank, or TLM_GENERIC_ERROR_RESPONSE when the mask
// names banks that do not exist.
#pragma once

#include <cstdint>

#include <tlm>

namespace aqpim::models {

struct BankAccessExtension : tlm::tlm_extension<BankAccessExtension> {
  // Bit b = flat bank index b = bank_group * banks_per_group + bank. All-bank commands set every bank.
  uint64_t bank_mask = 0;
  // Byte offset inside each bank's own space: row = bank_offset / row_bytes, column byte = the rest.
  // The same offset in every bank taking part.
  uint64_t bank_offset = 0;
  uint64_t bytes_per_bank = 0;

  tlm::tlm_extension_base* clone() const override { return new BankAccessExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const BankAccessExtension&>(other);
  }
};

}  // namespace aqpim::models
