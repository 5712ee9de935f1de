// A stand-in for the HBM pseudo-channel on the PIM unit's side: `banks` byte arrays that serve
// BankAccessExtension transactions with a deliberately simple timing formula, so PIM tests can predict
// bank time independently of the unit:
//
//   bank-side transaction:  delay += access_latency + ceil(bytes_per_bank / bank_bytes_per_cycle) * clock
//   indirect pass:          delay += access_latency + ceil(index bytes / bank_bytes_per_cycle) * clock
//                                    + lookups * clock   (lookups: every table row's, over all chunks)
//
// (all banks of the mask stream in parallel, no row state, no contention between transactions).
// Tests put bank data straight into `bytes` (bank b at b * bank_bytes). Not a DRAM model.
#pragma once

#include <cstring>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/bank_stream_protocol.h"

namespace aqpim::test {

class FakeBankMemory : public sc_core::sc_module {
 public:
  static constexpr uint64_t kRowBytes = 1024;  // the row PimUnitConfig's default row_bytes assumes
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
    bool indirect;
  };

  models::BankStreamTargetSocket<FakeBankMemory> bank_socket;
  const Config config;
  std::vector<unsigned char> bytes;  // bank b's byte i at b * bank_bytes + i
  std::vector<BankTransaction> bank_log;

  FakeBankMemory(sc_core::sc_module_name name, const Config& memory_config)
      : sc_core::sc_module(name), bank_socket("bank_socket"), config(memory_config), bytes(config.banks * config.bank_bytes) {
    bank_socket.register_b_transport(this, &FakeBankMemory::bank_transport);
  }

  unsigned char* bank(unsigned index) { return bytes.data() + index * config.bank_bytes; }

  // The formulas above, for tests that predict a command's bank time.
  sc_core::sc_time bank_time(uint64_t bytes_per_bank) const {
    const uint64_t cycles = (bytes_per_bank + config.bank_bytes_per_cycle - 1) / config.bank_bytes_per_cycle;
    return config.access_latency + config.clock * double(cycles);
  }
  sc_core::sc_time indirect_time(const models::hbm::IndirectPass& pass) const {
    uint64_t lookups = 0;
    for (uint64_t chunk = 0; chunk < pass.chunks(); ++chunk) lookups += pass.table_rows * pass.lookups_per_row(chunk);
    return bank_time(pass.index_bytes(0) + pass.index_bytes(1)) + config.clock * double(lookups);
  }

 private:
  void bank_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    const auto* extension = payload.get_extension<models::BankAccessExtension>();
    if (!extension) return payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    const models::BankAccessExtension& access = *extension;
    if (access.bank_mask == 0 || (config.banks < 64 && (access.bank_mask >> config.banks) != 0))
      return payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    // The ranges the data holds per bank, in order (models/bank_stream_protocol.h).
    std::vector<std::pair<uint64_t, uint64_t>> ranges{{access.bank_offset, access.bytes_per_bank}};
    if (access.indirect) {
      ranges.clear();
      for (unsigned s = 0; s < 2; ++s)
        if (access.pass.index[s].bits_per_token) ranges.emplace_back(access.pass.index[s].offset, access.pass.index_bytes(s));
      ranges.emplace_back(access.pass.table_offset, access.pass.table_rows * kRowBytes);
    }
    for (const auto& [offset, bytes] : ranges)
      if (offset > config.bank_bytes || bytes > config.bank_bytes - offset)
        return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    unsigned char* data = payload.get_data_ptr();
    bank_log.push_back({payload.is_write(), data != nullptr, access.bank_mask, access.bank_offset,
                        access.data_bytes_per_bank(kRowBytes), access.indirect});
    for (unsigned b = 0; data && b < config.banks; ++b) {
      if (!(access.bank_mask >> b & 1)) continue;
      for (const auto& [offset, bytes] : ranges) {
        unsigned char* cell = bank(b) + offset;
        if (payload.is_read()) std::memcpy(data, cell, bytes);
        if (payload.is_write()) std::memcpy(cell, data, bytes);
        data += bytes;
      }
    }
    delay += access.indirect ? indirect_time(access.pass) : bank_time(access.bytes_per_bank);
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
  }

};

}  // namespace aqpim::test
