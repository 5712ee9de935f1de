// Parts of the conformance testbench (sc/test_conformance.cpp): initiators written the way the Accellera
// TLM-2.0 examples write them (plain LT, DMI, temporally decoupled, big-endian through the TLM endianness
// helpers), and a reference memory that applies byte enables byte by byte, straight from IEEE 1666-2011
// 14.15, to judge the models' masked accesses against.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace aqpim::test {

// A byte array honouring byte enables one byte at a time: the model byte n of a payload obeys.
class ReferenceMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ReferenceMemory> socket;
  std::vector<unsigned char> bytes;

  ReferenceMemory(sc_core::sc_module_name name, size_t size) : sc_core::sc_module(name), socket("socket"), bytes(size) {
    socket.register_b_transport(this, &ReferenceMemory::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time&) {
    const unsigned char* enables = p.get_byte_enable_ptr();
    for (unsigned n = 0; n < p.get_data_length(); ++n) {
      if (enables && enables[n % p.get_byte_enable_length()] != TLM_BYTE_ENABLED) continue;
      unsigned char& cell = bytes.at(p.get_address() + n);
      if (p.is_read()) p.get_data_ptr()[n] = cell;
      if (p.is_write()) cell = p.get_data_ptr()[n];
    }
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// One access of a big-endian initiator on a little-endian host (or the reverse): the value travels through
// tlm_to_hostendian_generic / tlm_from_hostendian_generic as in the Accellera lt_mixed_endian example,
// which turns a narrow or unaligned access into whole bus words with byte enables.
template <class Word>
tlm::tlm_response_status foreign_endian_access(tlm::tlm_fw_transport_if<>& target, tlm::tlm_command command,
                                               uint64_t address, Word& value, unsigned bus_bytes,
                                               sc_core::sc_time& delay) {
  tlm::tlm_generic_payload payload;
  payload.set_command(command);
  payload.set_address(address);
  payload.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  payload.set_data_length(sizeof(Word));
  payload.set_streaming_width(sizeof(Word));
  payload.set_byte_enable_ptr(nullptr);
  payload.set_byte_enable_length(0);
  payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tlm::tlm_to_hostendian_generic<Word>(&payload, bus_bytes);
  target.b_transport(payload, delay);
  tlm::tlm_from_hostendian_generic<Word>(&payload, bus_bytes);
  return payload.get_response_status();
}

// A fixed pseudo-random mix of 1-, 2-, 4- and 8-byte foreign-endian stores and loads, aligned and not,
// inside [base, base + span): returns every loaded value and counts responses other than OK.
struct ForeignEndianLog {
  std::vector<uint64_t> loaded;
  unsigned failed = 0;
};
inline ForeignEndianLog foreign_endian_script(tlm::tlm_fw_transport_if<>& target, uint64_t base, unsigned span,
                                              unsigned bus_bytes, unsigned operations, sc_core::sc_time& delay) {
  ForeignEndianLog log;
  std::mt19937_64 random(20260415);
  for (unsigned op = 0; op < operations; ++op) {
    const unsigned size = 1u << (random() % (bus_bytes == 8 ? 4 : 3));
    const uint64_t address = base + random() % (span - size + 1);
    const tlm::tlm_command command = random() % 3 ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND;
    const uint64_t pattern = random();
    auto run = [&](auto word) {
      word = static_cast<decltype(word)>(pattern);
      log.failed += foreign_endian_access(target, command, address, word, bus_bytes, delay) != tlm::TLM_OK_RESPONSE;
      if (command == tlm::TLM_READ_COMMAND) log.loaded.push_back(uint64_t(word));
    };
    switch (size) {
      case 1: run(uint8_t{}); break;
      case 2: run(uint16_t{}); break;
      case 4: run(uint32_t{}); break;
      default: run(uint64_t{}); break;
    }
  }
  return log;
}

// An initiator as the Accellera lt_dmi example writes one: it asks for DMI where the target hints it may,
// keeps one region, and drops it when told to. `on_invalidate` runs inside the invalidation, before the
// region is dropped: while the initiator may still read through its pointer.
class DmiInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmiInitiator> socket;
  std::function<void(DmiInitiator&)> body;
  std::function<void(DmiInitiator&)> on_invalidate;
  tlm::tlm_dmi region;
  bool holding = false;
  unsigned invalidations = 0;

  SC_HAS_PROCESS(DmiInitiator);
  DmiInitiator(sc_core::sc_module_name name, std::function<void(DmiInitiator&)> test_body)
      : sc_core::sc_module(name), socket("socket"), body(std::move(test_body)) {
    socket.register_invalidate_direct_mem_ptr(this, &DmiInitiator::invalidate);
    SC_THREAD(run);
  }

  // Asks for a region holding `address`; true when granted (and then held).
  bool acquire(uint64_t address) {
    tlm::tlm_generic_payload request;
    request.set_command(tlm::TLM_READ_COMMAND);
    request.set_address(address);
    holding = socket->get_direct_mem_ptr(request, region);
    return holding;
  }
  unsigned char* pointer(uint64_t address) const { return region.get_dmi_ptr() + (address - region.get_start_address()); }

 private:
  void run() { body(*this); }
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) {
    if (!holding || end < region.get_start_address() || start > region.get_end_address()) return;
    ++invalidations;
    if (on_invalidate) on_invalidate(*this);
    holding = false;
  }
};

// An initiator as the Accellera lt_temporal_decouple example writes one: it runs ahead of simulated time
// inside its quantum, adding each access's delay to its local time, and synchronises only when the
// quantum is used up.
inline tlm::tlm_response_status decoupled_access(tlm::tlm_fw_transport_if<>& target, tlm_utils::tlm_quantumkeeper& keeper,
                                                 tlm::tlm_command command, uint64_t address, void* data,
                                                 unsigned length) {
  tlm::tlm_generic_payload payload;
  payload.set_command(command);
  payload.set_address(address);
  payload.set_data_ptr(static_cast<unsigned char*>(data));
  payload.set_data_length(length);
  payload.set_streaming_width(length);
  payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = keeper.get_local_time();
  target.b_transport(payload, delay);
  keeper.set(delay);
  if (keeper.need_sync()) keeper.sync();
  return payload.get_response_status();
}

// The target's bytes [address, address + length) through debug transport (empty when it moved fewer).
inline std::vector<unsigned char> debug_read(tlm::tlm_fw_transport_if<>& target, uint64_t address, unsigned length) {
  std::vector<unsigned char> bytes(length);
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_address(address);
  payload.set_data_ptr(bytes.data());
  payload.set_data_length(length);
  if (target.transport_dbg(payload) != length) bytes.clear();
  return bytes;
}

}  // namespace aqpim::test
