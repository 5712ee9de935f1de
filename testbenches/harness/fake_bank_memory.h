// A stand-in for the HBM pseudo-channel on the PIM unit's side: `banks` byte arrays that serve
// BankAccessExtension transactions with a deliberately simple timing formula, so PIM tests can predict
// bank time independently of the unit:
//
//   bank-side transaction:  delay += access_latency + ceil(bytes_per_bank / bank_bytes_per_cycle) * clock
//
// (all banks of the mask stream in parallel, no row state, no contention between transactions).
// Transactions without the extension see the banks as one flat space (bank b at b * bank_bytes) with
// access_latency each; that is how a host or a test writes KV data. Not a DRAM model.
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/bank_access_extension.h"

namespace aqpim::test {

class FakeBankMemory : public sc_core::sc_module {
 public:
  struct Config {
    unsigned banks = 16;
    uint64_t bank_bytes = 1 << 16;
    sc_core::sc_time clock{1, sc_core::SC_NS};
    uint64_t bank_bytes_per_cycle = 32;
    sc_core::sc_time access_latency{20, sc_core::SC_NS};
  };

  struct BankTransaction {
    bool write;
    bool has_data;
    uint64_t bank_mask, bank_offset, bytes_per_bank;
  };

  tlm_utils::simple_target_socket<FakeBankMemory> socket;
  const Config config;
  std::vector<unsigned char> bytes;  // bank b's byte i at b * bank_bytes + i
  std::vector<BankTransaction> bank_log;

  FakeBankMemory(sc_core::sc_module_name name, const Config& memory_config)
      : sc_core::sc_module(name), socket("socket"), config(memory_config), bytes(config.banks * config.bank_bytes) {
    socket.register_b_transport(this, &FakeBankMemory::b_transport);
    socket.register_transport_dbg(this, &FakeBankMemory::transport_dbg);
  }

  unsigned char* bank(unsigned index) { return bytes.data() + index * config.bank_bytes; }

  // The formula above, for tests that predict a command's bank time.
  sc_core::sc_time bank_time(uint64_t bytes_per_bank) const {
    const uint64_t cycles = (bytes_per_bank + config.bank_bytes_per_cycle - 1) / config.bank_bytes_per_cycle;
    return config.access_latency + config.clock * double(cycles);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    if (auto* access = payload.get_extension<models::BankAccessExtension>())
      return bank_access(payload, *access, delay);
    if (!transport_dbg(payload) && payload.get_data_length() != 0)
      return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    delay += config.access_latency;
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  void bank_access(tlm::tlm_generic_payload& payload, const models::BankAccessExtension& access,
                   sc_core::sc_time& delay) {
    if (access.bank_mask == 0 || (config.banks < 64 && (access.bank_mask >> config.banks) != 0))
      return payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    if (access.bank_offset > config.bank_bytes || access.bytes_per_bank > config.bank_bytes - access.bank_offset)
      return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    unsigned char* data = payload.get_data_ptr();
    bank_log.push_back(
        {payload.is_write(), data != nullptr, access.bank_mask, access.bank_offset, access.bytes_per_bank});
    for (unsigned b = 0; data && b < config.banks; ++b) {
      if (!(access.bank_mask >> b & 1)) continue;
      unsigned char* cell = bank(b) + access.bank_offset;
      if (payload.is_read()) std::memcpy(data, cell, access.bytes_per_bank);
      if (payload.is_write()) std::memcpy(cell, data, access.bytes_per_bank);
      data += access.bytes_per_bank;
    }
    delay += bank_time(access.bytes_per_bank);
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  unsigned int transport_dbg(tlm::tlm_generic_payload& payload) {
    const uint64_t address = payload.get_address(), length = payload.get_data_length();
    if (address > bytes.size() || length > bytes.size() - address) return 0;
    if (payload.is_read()) std::memcpy(payload.get_data_ptr(), bytes.data() + address, length);
    if (payload.is_write()) std::memcpy(bytes.data() + address, payload.get_data_ptr(), length);
    return unsigned(length);
  }
};

}  // namespace aqpim::test
