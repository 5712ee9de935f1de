// The PIM logic of one HBM pseudo-channel: N bank-level processing elements (one per bank or one per bank
// group) that execute broadcast commands in lockstep, plus the pseudo-channel's buffer-die PE. Each PE keeps
// its own codebook SRAM, LUT SRAM and fp32 accumulators; the buffer die holds an IO buffer the host fills
// with queries and reads results from. One module per pseudo-channel (not per PE) because every AQPIM/AttAcc
// command is an all-bank command: the PEs share one command stream and one completion time, so modeling
// them as one module keeps thousands of PEs cheap while their state stays per PE. See docs/models-pim.md.
//
// Sockets: target_socket (host: registers + SRAM/IO windows, pim_commands.h has the map), bank_socket
// (to the pseudo-channel's bank_socket, models/bank_stream_protocol.h), interrupt (optional level output).
// Functional results come from core/kernels.h on the same inputs, so they equal the golden model bit for bit.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "core/enum_names.h"
#include "models/bank_stream_protocol.h"
#include "core/fp16.h"
#include "hwif/pim_commands.h"
#include "models/pim_datapath.h"
#include "models/pim_plan.h"
#include "hwif/trace_sink.h"

namespace aqpim::models {

enum class PimPlacement { bank, bank_group };
inline constexpr core::EnumName<PimPlacement> kPimPlacementNames[] = {{PimPlacement::bank, "bank"},
                                                                  {PimPlacement::bank_group, "bank_group"}};

struct PimUnitConfig {
  PimPlacement placement = PimPlacement::bank;
  uint32_t bank_groups = 4;
  uint32_t banks_per_group = 4;
  sc_core::sc_time clock_period{625, sc_core::SC_PS};  // bank clock (tCK) the PE MAC lanes run at
  uint32_t macs_per_unit = 16;                         // FP16 MAC lanes per bank PE
  uint32_t buffer_macs = 16;                           // lanes of the buffer-die PE
  uint64_t codebook_sram_bytes = 64 * 1024;            // per bank PE, holds fp16 entries
  uint64_t lut_sram_bytes = 16 * 1024;                 // per bank PE, holds fp32 entries
  uint64_t histogram_entries = 4096;                   // fp32 accumulators per bank PE
  uint64_t buffer_accumulator_entries = 16384;         // fp32 accumulators of the buffer-die PE
  uint64_t io_buffer_bytes = 64 * 1024;                // buffer-die IO buffer
  uint32_t sram_bytes_per_cycle = 32;
  uint32_t link_bytes_per_cycle = 32;  // PEs <-> buffer die, shared by the pseudo-channel's PEs
  uint32_t issue_overhead_cycles = 4;  // command decode and broadcast
  uint32_t command_queue_entries = 64;  // descriptors the command queue ring holds (pim::reg::command_queue)
  uint64_t row_bytes = 1024;            // the pseudo-channel's DRAM row: an fp16 inner-product table fills one
  uint64_t column_bytes = 32;           // what one column access of its banks moves (data width x burst / 8)
  // 16-bit lanes of each PE's register file, which holds the code indices (and fp32 weights, two lanes each)
  // of an intra-row indirection pass: 16 registers of 256 bits, as in HBM-PIM (docs/models-pim.md).
  uint32_t grf_entries = 256;
  // Where the SRAM windows sit behind the registers (hwif/pim_commands.h): the standard map, or
  // RegisterMap::compact() for a 32-bit bus. Every SRAM must fit its window_bytes.
  pim::RegisterMap register_map;
  sc_core::sc_time host_access_latency = sc_core::SC_ZERO_TIME;  // each register/window access
  // HBM power limit on the banks' own streams (AttAcc's nCCDAB spacing of all-bank MACs): a command's bank
  // streams move at most this many bytes per second over all banks of the pseudo-channel, so its bank time
  // is at least bytes / limit. 0: no limit, the channel's timing alone (docs/models-pim.md, Power limit).
  double bank_bandwidth_limit = 0.0;
  bool functional = true;                                        // false: timing-only, no data is stored or moved
};

class PimUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PimUnit> target_socket;
  BankStreamInitiatorSocket<PimUnit> bank_socket;  // to its pseudo-channel's bank_socket
  // High while the unit is idle after having accepted at least one command; low while commands run.
  sc_core::sc_port<sc_core::sc_signal_inout_if<bool>, 1, sc_core::SC_ZERO_OR_MORE_BOUND> interrupt;

  SC_HAS_PROCESS(PimUnit);
  // Throws std::invalid_argument naming the field when the configuration cannot be built.
  PimUnit(sc_core::sc_module_name name, const PimUnitConfig& config);

  const PimUnitConfig& config() const { return config_; }
  const pim::Geometry& geometry() const { return geometry_; }
  uint32_t pe_count() const { return geometry_.pe_count; }
  // Flat indices of the banks PE `pe` computes on (one bank, or a bank group).
  uint64_t bank_mask_of(uint32_t pe) const;

  // Completion of each command, at its completion time (for initiators that prefer events to FENCE).
  // Completions are scheduled as events only once somebody asked for this event (or the interrupt port is
  // bound): decode runs millions of commands, and two kernel events each were a fifth of its wall time.
  // The first call schedules the completions still ahead.
  const sc_core::sc_event& completion_event() const;
  sc_core::sc_time busy_until() const { return busy_until_; }

  pim::Error last_error() const { return last_error_; }
  const std::string& last_error_reason() const { return last_error_reason_; }

  struct CommandRecord {
    pim::Opcode opcode = pim::Opcode::nop;
    sc_core::sc_time start, end, bank_time;
    pim::PhaseCycles cycles;
  };
  const CommandRecord& last_command() const { return last_command_; }

  struct OpcodeStats {
    uint64_t commands = 0;
    sc_core::sc_time busy;
    // Events an energy model counts, summed over every selected PE of every command: MAC-lane operations on
    // the bank PEs, operations on the buffer-die PE, SRAM bytes outside the MAC lanes (the plan's sram_bytes),
    // register-file bytes (code indices loaded for intra-row indirection) and PE <-> buffer-die link bytes.
    uint64_t pe_macs = 0, buffer_ops = 0, sram_bytes = 0, grf_bytes = 0, link_bytes = 0;
  };
  const std::array<OpcodeStats, size_t(pim::Opcode::count_)>& opcode_stats() const { return stats_; }
  // Time the unit spent executing commands (commands serialize: the sum over opcodes).
  sc_core::sc_time busy_time() const;

  // Each executed command becomes a span on this unit's track; null (the default) records nothing.
  void set_trace_sink(hwif::TraceSink* sink);

 private:
  // A resolved host access into one of the windows; data is null in timing-only mode.
  struct WindowRange {
    bool valid = false;
    unsigned char* data = nullptr;
  };
  // One register's behaviour per direction (hwif::pim::kRegisters gives its name, offset and lengths).
  using RegisterHandler = tlm::tlm_response_status (PimUnit::*)(unsigned char* data, size_t length,
                                                               sc_core::sc_time& delay);
  struct RegisterHandlers {
    RegisterHandler read;
    RegisterHandler write;
  };
  static const RegisterHandlers kRegisterHandlers[];

  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& payload);
  void update_interrupt();

  tlm::tlm_response_status access_registers(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  tlm::tlm_response_status access_registers_masked(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  tlm::tlm_response_status write_command(unsigned char* data, size_t length, sc_core::sc_time& delay);
  tlm::tlm_response_status read_status(unsigned char* data, size_t length, sc_core::sc_time& delay);
  tlm::tlm_response_status clear_status(unsigned char* data, size_t length, sc_core::sc_time& delay);
  tlm::tlm_response_status read_fence(unsigned char* data, size_t length, sc_core::sc_time& delay);
  tlm::tlm_response_status read_queue_head(unsigned char* data, size_t length, sc_core::sc_time& delay);
  // QUEUE_TAIL write: runs the ring's descriptors up to the tail; stops at the first one rejected.
  tlm::tlm_response_status write_queue_tail(unsigned char* data, size_t length, sc_core::sc_time& delay);
  WindowRange resolve_window(uint64_t address, uint64_t length);
  pim::Status status_at(sc_core::sc_time when);

  bool execute(const pim::Command& command, sc_core::sc_time& delay);
  bool reject(const pim::Command& command, pim::Error error, const std::string& reason);
  // Issues the plan's streams of one direction; returns false when the pseudo-channel refuses one.
  bool stream_banks(const pim::Command& command, const pim::Plan& plan, bool writes, pim::StreamData& data,
                    sc_core::sc_time& offset, std::string& failure);
  // Adds one accepted command's counted events (OpcodeStats) from its plan.
  void count_events(const pim::Command& command, const pim::Plan& plan);
  uint64_t stream_bank_mask(const pim::Command& command, const pim::BankStream& stream) const;
  // Statistics, trace span and completion bookkeeping of a command that ran from start to end.
  void record(const pim::Command& command, const pim::PhaseCycles& cycles, const sc_core::sc_time& start,
              const sc_core::sc_time& end, const sc_core::sc_time& bank_time, const sc_core::sc_time& delay);

  PimUnitConfig config_;
  pim::Geometry geometry_;
  pim::Rates rates_;
  std::unique_ptr<pim::PimDatapath> datapath_;  // null in timing-only mode
  // Descriptors are register contents: kept in both modes.
  std::vector<unsigned char> command_queue_;
  uint64_t queue_head_ = 0;  // descriptors consumed (free-running)

  sc_core::sc_time busy_until_;
  std::deque<sc_core::sc_time> pending_completions_;  // ascending
  uint64_t completed_ = 0, issued_ = 0;
  pim::Error last_error_ = pim::Error::none;
  uint32_t last_error_opcode_ = 0;
  std::string last_error_reason_;
  CommandRecord last_command_;
  std::array<OpcodeStats, size_t(pim::Opcode::count_)> stats_{};
  // Reused by every bank stream (constructing a payload allocates its extension array).
  tlm::tlm_generic_payload bank_payload_;
  // Logically const to observers: completion_event() starts announcing what happens anyway.
  mutable sc_core::sc_event_queue completions_;
  mutable bool announce_completions_ = false;
  mutable std::deque<sc_core::sc_time> unannounced_;  // completions not scheduled as events, ascending
  sc_core::sc_event_queue issues_;
  hwif::TraceSink* trace_ = nullptr;
  hwif::TraceSink::Track track_ = 0;
};

}  // namespace aqpim::models
