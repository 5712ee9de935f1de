// The contract between a PIM unit and the HBM pseudo-channel it sits in: a protocol of its own, carried on
// sockets of their own. A PIM unit reads and writes bank data from inside the DRAM die: it does not use the
// pseudo-channel's external data bus, many banks stream in lockstep (all-bank commands), and the column
// rate is the bank's internal one. Because such a transaction means something else than a memory access,
// it travels on sockets typed with BankStreamProtocol (IEEE 1666 protocol types): binding a PIM unit's
// bank socket to a plain memory, or a plain initiator to a channel's bank socket, does not compile.
//
// Every transaction on these sockets carries a BankAccessExtension. Payload fields (an indirect pass's data
// layout per bank is in the extension below):
//   command      TLM_READ_COMMAND or TLM_WRITE_COMMAND
//   address      ignored (the bank-local position is bank_offset below)
//   data_ptr     null in timing-only mode (nothing is copied); else data_length bytes laid out bank by
//                bank in ascending bank index: [bank b0: bytes_per_bank][bank b1: bytes_per_bank]...
//   data_length  data_bytes_per_bank() x popcount(bank_mask), or 0 when data_ptr is null
// A transaction without the extension gets TLM_COMMAND_ERROR_RESPONSE. The target adds the streaming time to `delay` (never waits) and sets TLM_OK_RESPONSE, or
// TLM_ADDRESS_ERROR_RESPONSE when the range leaves a bank, or TLM_GENERIC_ERROR_RESPONSE when the mask is
// empty or names banks that do not exist.
#pragma once

#include <cstdint>

#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/hbm/indirect_pass.h"

namespace aqpim::models {

// The bank-side stream protocol: generic payload and phases (so the TLM utilities serve it), but a type
// distinct from tlm::tlm_base_protocol_types.
struct BankStreamProtocol {
  using tlm_payload_type = tlm::tlm_generic_payload;
  using tlm_phase_type = tlm::tlm_phase;
};

template <class Module>
using BankStreamInitiatorSocket = tlm_utils::simple_initiator_socket<Module, 32, BankStreamProtocol>;
// A channel need not have a PIM unit: its bank socket may stay unbound.
template <class Module>
using BankStreamTargetSocket = tlm_utils::multi_passthrough_target_socket_optional<Module, 32, BankStreamProtocol>;

struct BankAccessExtension : tlm::tlm_extension<BankAccessExtension> {
  // Bit b = flat bank index b = bank_group * banks_per_group + bank. All-bank commands set every bank.
  uint64_t bank_mask = 0;
  // Byte offset inside each bank's own space: row = bank_offset / row_bytes, column byte = the rest.
  // The same offset in every bank taking part.
  uint64_t bank_offset = 0;
  uint64_t bytes_per_bank = 0;
  // An intra-row indirection pass instead of a plain stream (bank_offset and bytes_per_bank unused): see
  // models/hbm/indirect_pass.h. Its data, where carried, is per bank: index stream 0's bytes, index
  // stream 1's, then the table rows (table_rows x row_bytes), each as the pass reads them.
  bool indirect = false;
  hbm::IndirectPass pass;

  // Bytes per bank the transaction's data holds.
  uint64_t data_bytes_per_bank(uint64_t row_bytes) const {
    return indirect ? pass.index_bytes(0) + pass.index_bytes(1) + pass.table_rows * row_bytes : bytes_per_bank;
  }

  tlm::tlm_extension_base* clone() const override { return new BankAccessExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const BankAccessExtension&>(other);
  }
};

}  // namespace aqpim::models
