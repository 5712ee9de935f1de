// Minimal TLM parts for testbenches: a byte-array memory target and an initiator that runs a test body
// inside an SC_THREAD (where b_transport callers may wait). Deliberately tiny: they exist to exercise the
// project's models, not to model anything themselves.
#pragma once

#include <cstring>
#include <functional>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace aqpim::test {

class TestMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TestMemory> socket;
  std::vector<unsigned char> bytes;
  sc_core::sc_time latency;
  unsigned transactions = 0;

  TestMemory(sc_core::sc_module_name name, size_t size, sc_core::sc_time access_latency)
      : sc_core::sc_module(name), socket("socket"), bytes(size), latency(access_latency) {
    socket.register_b_transport(this, &TestMemory::b_transport);
    socket.register_get_direct_mem_ptr(this, &TestMemory::get_direct_mem_ptr);
    socket.register_transport_dbg(this, &TestMemory::transport_dbg);
  }

  void invalidate_all() { socket->invalidate_direct_mem_ptr(0, bytes.size() - 1); }

 private:
  bool in_range(const tlm::tlm_generic_payload& p) const {
    return p.get_address() < bytes.size() && p.get_data_length() <= bytes.size() - p.get_address();
  }
  void copy(tlm::tlm_generic_payload& p) {
    if (!p.get_data_ptr()) return;  // timing-only access: sized, no data
    unsigned char* cell = bytes.data() + p.get_address();
    if (p.is_read()) std::memcpy(p.get_data_ptr(), cell, p.get_data_length());
    if (p.is_write()) std::memcpy(cell, p.get_data_ptr(), p.get_data_length());
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    ++transactions;
    if (!in_range(p)) return p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    copy(p);
    delay += latency;
    p.set_dmi_allowed(true);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    dmi.set_dmi_ptr(bytes.data());
    dmi.set_start_address(0);
    dmi.set_end_address(bytes.size() - 1);
    dmi.set_read_latency(latency);
    dmi.set_write_latency(latency);
    dmi.allow_read_write();
    return true;
  }
  unsigned int transport_dbg(tlm::tlm_generic_payload& p) {
    if (!in_range(p)) return 0;
    copy(p);
    return p.get_data_length();
  }
};

class TestInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TestInitiator> socket;
  std::function<void(TestInitiator&)> body;
  std::vector<std::pair<uint64_t, uint64_t>> invalidations;

  SC_HAS_PROCESS(TestInitiator);
  TestInitiator(sc_core::sc_module_name name, std::function<void(TestInitiator&)> test_body)
      : sc_core::sc_module(name), socket("socket"), body(std::move(test_body)) {
    socket.register_invalidate_direct_mem_ptr(this, &TestInitiator::invalidate);
    SC_THREAD(run);
  }

  // One blocking access; returns the response status and adds the annotated delay to `delay`.
  tlm::tlm_response_status access(tlm::tlm_command command, uint64_t address, void* data, unsigned length,
                                  sc_core::sc_time& delay) {
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(address);
    payload.set_data_ptr(static_cast<unsigned char*>(data));
    payload.set_data_length(length);
    payload.set_streaming_width(length);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(payload, delay);
    return payload.get_response_status();
  }

  // Typed block transfers on top of access(), for testbenches that move arrays of values.
  template <class T>
  tlm::tlm_response_status write_values(uint64_t address, const std::vector<T>& values, sc_core::sc_time& delay) {
    return access(tlm::TLM_WRITE_COMMAND, address, const_cast<T*>(values.data()), unsigned(values.size() * sizeof(T)),
                  delay);
  }
  template <class T>
  std::vector<T> read_values(uint64_t address, size_t count, sc_core::sc_time& delay,
                             tlm::tlm_response_status& status) {
    std::vector<T> values(count);
    status = access(tlm::TLM_READ_COMMAND, address, values.data(), unsigned(count * sizeof(T)), delay);
    return values;
  }

 private:
  void run() { body(*this); }
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.emplace_back(start, end); }
};

}  // namespace aqpim::test
