// The host side of a PIM testbench: register accesses, descriptors and SRAM/IO windows of one PimUnit,
// through a TestInitiator, as a mixin for a testbench struct that owns `host` (TestInitiator&), `pim`
// (PimUnit&) and `delay` (the host's local time offset; loosely timed, it never waits).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "harness/tlm_test_parts.h"
#include "hwif/pim_commands.h"
#include "models/pim_opcodes.h"

namespace aqpim::test {

// Host addresses of a unit's windows (hwif/pim_commands.h, "Register map").
inline uint64_t pe_codebook(uint32_t pe, uint64_t entry = 0) {
  namespace reg = hwif::pim::reg;
  return reg::pe_windows + pe * reg::pe_window + reg::pe_codebook + entry * sizeof(uint16_t);
}
inline uint64_t pe_lut(uint32_t pe, uint64_t entry = 0) {
  namespace reg = hwif::pim::reg;
  return reg::pe_windows + pe * reg::pe_window + reg::pe_lut + entry * sizeof(float);
}
inline uint64_t pe_accumulators(uint32_t pe, uint64_t entry = 0) {
  namespace reg = hwif::pim::reg;
  return reg::pe_windows + pe * reg::pe_window + reg::pe_accumulators + entry * sizeof(float);
}
inline uint64_t buffer_accumulators(uint64_t entry = 0) {
  return hwif::pim::reg::buffer_accumulators + entry * sizeof(float);
}
inline uint64_t io(uint64_t byte = 0) { return hwif::pim::reg::io_buffer + byte; }

template <class Bench>
class PimHostAccess {
 public:
  using Command = hwif::pim::Command;

  tlm::tlm_response_status issue(const Command& command) {
    Command copy = command;
    return bench().host.access(tlm::TLM_WRITE_COMMAND, hwif::pim::reg::command, &copy, sizeof copy, bench().delay);
  }
  void run(const Command& command) {
    ASSERT_EQ(issue(command), tlm::TLM_OK_RESPONSE)
        << models::pim::opcode_name(command.opcode) << ": " << bench().pim.last_error_reason();
  }
  uint64_t fence() {
    uint64_t completed = 0;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, hwif::pim::reg::fence, &completed, sizeof completed), tlm::TLM_OK_RESPONSE);
    return completed;
  }
  hwif::pim::Status status() {
    hwif::pim::Status status;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, hwif::pim::reg::status, &status, sizeof status), tlm::TLM_OK_RESPONSE);
    return status;
  }
  template <class T>
  void write(uint64_t address, const std::vector<T>& values) {
    ASSERT_EQ(bench().host.write_values(address, values, bench().delay), tlm::TLM_OK_RESPONSE);
  }
  template <class T>
  std::vector<T> read(uint64_t address, size_t count) {
    tlm::tlm_response_status status;
    auto values = bench().host.template read_values<T>(address, count, bench().delay, status);
    EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
    return values;
  }
  // Writes descriptors into the command queue ring from entry `first` on (no wrap) and rings QUEUE_TAIL.
  tlm::tlm_response_status queue(uint64_t first, const std::vector<Command>& commands, uint64_t tail) {
    const uint64_t slot = first % bench().pim.config().command_queue_entries;
    EXPECT_EQ(bench().host.write_values(hwif::pim::reg::command_queue + slot * sizeof(Command), commands, bench().delay),
              tlm::TLM_OK_RESPONSE);
    return access(tlm::TLM_WRITE_COMMAND, hwif::pim::reg::queue_tail, &tail, sizeof tail);
  }
  uint64_t queue_head() {
    uint64_t head = 0;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, hwif::pim::reg::queue_tail, &head, sizeof head), tlm::TLM_OK_RESPONSE);
    return head;
  }

 private:
  Bench& bench() { return static_cast<Bench&>(*this); }
  tlm::tlm_response_status access(tlm::tlm_command command, uint64_t address, void* data, unsigned length) {
    return bench().host.access(command, address, data, length, bench().delay);
  }
};

}  // namespace aqpim::test
