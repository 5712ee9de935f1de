#include "models/pim_unit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <iterator>

#include "models/bank_stream_protocol.h"
#include "models/byte_enables.h"
#include "models/pim_opcodes.h"

namespace aqpim::models {

using pim::Opcode;
using pim::StreamRole;

namespace {

pim::Geometry make_geometry(const PimUnitConfig& config) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("PimUnitConfig: " + what);
  };
  const uint64_t banks = uint64_t(config.bank_groups) * config.banks_per_group;
  require(banks >= 1 && banks <= 64, "bank_groups x banks_per_group must be 1..64 (a 64-bit bank mask)");
  require(config.macs_per_unit && config.buffer_macs && config.sram_bytes_per_cycle && config.link_bytes_per_cycle,
          "macs_per_unit, buffer_macs, sram_bytes_per_cycle and link_bytes_per_cycle must be positive");
  require(config.clock_period > sc_core::SC_ZERO_TIME, "clock_period must be positive");
  require(config.bank_bandwidth_limit >= 0.0, "bank_bandwidth_limit must be 0 (none) or positive");
  config.register_map.validate();
  const uint64_t window = config.register_map.window_bytes;
  require(config.command_queue_entries >= 1 && uint64_t(config.command_queue_entries) * sizeof(pim::Command) <= window,
          "command_queue_entries must be 1.." + std::to_string(window / sizeof(pim::Command)) +
              " (register_map.window_bytes / " + std::to_string(sizeof(pim::Command)) + ")");
  pim::Geometry geometry;
  geometry.banks_per_pe = config.placement == PimPlacement::bank ? 1 : config.banks_per_group;
  geometry.pe_count = uint32_t(banks / geometry.banks_per_pe);
  geometry.codebook_entries = config.codebook_sram_bytes / sizeof(core::fp16_bits);
  geometry.lut_entries = config.lut_sram_bytes / sizeof(float);
  geometry.accumulator_entries = config.histogram_entries;
  geometry.buffer_accumulator_entries = config.buffer_accumulator_entries;
  geometry.io_buffer_bytes = config.io_buffer_bytes;
  require(config.row_bytes >= 64 && (config.row_bytes & (config.row_bytes - 1)) == 0,
          "row_bytes must be a power of two of at least 64");
  require(config.grf_entries >= 1, "grf_entries must be positive");
  require(config.column_bytes >= 1 && config.row_bytes % config.column_bytes == 0,
          "column_bytes must divide row_bytes");
  geometry.row_bytes = config.row_bytes;
  geometry.column_bytes = config.column_bytes;
  geometry.grf_entries = config.grf_entries;
  require(config.codebook_sram_bytes <= window && config.lut_sram_bytes <= window &&
              config.histogram_entries * sizeof(float) <= window &&
              config.buffer_accumulator_entries * sizeof(float) <= window && config.io_buffer_bytes <= window,
          "every SRAM must fit its window of register_map.window_bytes = " + std::to_string(window) + " bytes");
  return geometry;
}

pim::Rates make_rates(const PimUnitConfig& config) {
  return {config.macs_per_unit, config.buffer_macs, config.sram_bytes_per_cycle, config.link_bytes_per_cycle,
          config.issue_overhead_cycles};
}

}  // namespace

PimUnit::PimUnit(sc_core::sc_module_name name, const PimUnitConfig& config)
    : sc_core::sc_module(name),
      target_socket("target_socket"),
      bank_socket("bank_socket"),
      interrupt("interrupt"),
      config_(config),
      geometry_(make_geometry(config)),
      rates_(make_rates(config)),
      completions_("completions"),
      issues_("issues") {
  target_socket.register_b_transport(this, &PimUnit::b_transport);
  target_socket.register_transport_dbg(this, &PimUnit::transport_dbg);
  command_queue_.assign(size_t(config_.command_queue_entries) * sizeof(pim::Command), 0);
  if (config_.functional) datapath_ = std::make_unique<pim::PimDatapath>(geometry_);
  SC_METHOD(update_interrupt);
  sensitive << completions_ << issues_;
  dont_initialize();
}

uint64_t PimUnit::bank_mask_of(uint32_t pe) const {
  const uint64_t group = geometry_.banks_per_pe == 64 ? ~uint64_t(0) : (uint64_t(1) << geometry_.banks_per_pe) - 1;
  return group << (uint64_t(pe) * geometry_.banks_per_pe);
}

const sc_core::sc_event& PimUnit::completion_event() const {
  if (!announce_completions_) {
    announce_completions_ = true;
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    for (const sc_core::sc_time& end : unannounced_)
      if (end > now) completions_.notify(end - now);
    unannounced_.clear();
  }
  return completions_.default_event();
}

void PimUnit::update_interrupt() {
  if (interrupt.size() == 0) return;
  interrupt->write(issued_ > 0 && sc_core::sc_time_stamp() >= busy_until_);
}

// ---- host side ----------------------------------------------------------------------------------------

void PimUnit::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  delay += config_.host_access_latency;
  // An ignored command must not reach a register: a write to COMMAND would run a descriptor.
  if (payload.get_command() == tlm::TLM_IGNORE_COMMAND) return payload.set_response_status(tlm::TLM_OK_RESPONSE);
  if (!byte_enables_valid(payload)) return payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  const unsigned streaming_width = payload.get_streaming_width();
  if (streaming_width != 0 && streaming_width < payload.get_data_length())
    return payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
  if (payload.get_address() < pim::reg::registers_end)
    return payload.set_response_status(access_registers_masked(payload, delay));
  const WindowRange window = resolve_window(payload.get_address(), payload.get_data_length());
  if (!window.valid) return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  unsigned char* data = payload.get_data_ptr();
  const bool is_read = payload.is_read(), is_write = payload.is_write();
  if (data)
    for_each_enabled_run(payload, [&](unsigned offset, unsigned bytes) {
      if (is_read && window.data) std::memcpy(data + offset, window.data + offset, bytes);
      if (is_read && !window.data) std::memset(data + offset, 0, bytes);
      if (is_write && window.data) std::memcpy(window.data + offset, data + offset, bytes);
    });
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

// A register write acts on the whole register (a descriptor, a tail index): with some bytes disabled it
// has no meaning and is refused. A masked read reads the register and returns only the enabled bytes.
tlm::tlm_response_status PimUnit::access_registers_masked(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  unsigned char* data = payload.get_data_ptr();
  if (!payload.get_byte_enable_ptr() || !data) return access_registers(payload, delay);
  if (!payload.is_read()) return all_bytes_enabled(payload) ? access_registers(payload, delay)
                                                            : tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  std::vector<unsigned char> whole(payload.get_data_length());
  payload.set_data_ptr(whole.data());
  const tlm::tlm_response_status status = access_registers(payload, delay);
  payload.set_data_ptr(data);
  for_each_enabled_run(payload, [&](unsigned offset, unsigned bytes) { std::memcpy(data + offset, whole.data() + offset, bytes); });
  return status;
}

unsigned int PimUnit::transport_dbg(tlm::tlm_generic_payload& payload) {
  const uint64_t address = payload.get_address();
  const size_t length = payload.get_data_length();
  if (!payload.get_data_ptr() || (!payload.is_read() && !payload.is_write())) return 0;
  if (payload.get_address() == pim::reg::status && payload.is_read() && length <= sizeof(pim::Status)) {
    const pim::Status status = status_at(sc_core::sc_time_stamp());
    std::memcpy(payload.get_data_ptr(), &status, length);
    return unsigned(length);
  }
  const WindowRange window = address >= pim::reg::registers_end ? resolve_window(address, length) : WindowRange{};
  if (!window.valid || !window.data) return 0;
  if (payload.is_read()) std::memcpy(payload.get_data_ptr(), window.data, length);
  if (payload.is_write()) std::memcpy(window.data, payload.get_data_ptr(), length);
  return unsigned(length);
}

PimUnit::WindowRange PimUnit::resolve_window(uint64_t address, uint64_t length) {
  auto bytes = [](auto& vector) { return reinterpret_cast<unsigned char*>(vector.data()); };
  struct Window {
    uint64_t base;
    uint64_t size;
    unsigned char* storage;  // null in timing-only mode
  };
  auto inside = [&](const Window& window) {
    if (address < window.base || address - window.base > window.size || length > window.size - (address - window.base))
      return WindowRange{};
    return WindowRange{true, window.storage ? window.storage + (address - window.base) : nullptr};
  };
  pim::PimDatapath* functional = datapath_.get();
  const pim::RegisterMap& map = config_.register_map;
  if (address < map.pe_windows) {
    const Window unit_windows[] = {
        {map.command_queue(), command_queue_.size(), command_queue_.data()},
        {map.io_buffer(), geometry_.io_buffer_bytes, functional ? bytes(functional->io_buffer()) : nullptr},
        {map.buffer_accumulators(), geometry_.buffer_accumulator_entries * sizeof(float),
         functional ? bytes(functional->buffer_accumulators()) : nullptr}};
    for (const Window& window : unit_windows)
      if (address >= window.base && address - window.base < map.window_bytes) return inside(window);
    return {};
  }
  const uint64_t pe = (address - map.pe_windows) / map.window_stride;
  if (pe >= geometry_.pe_count) return {};
  pim::ProcessingElement* storage = functional ? &functional->pe(uint32_t(pe)) : nullptr;
  const Window pe_windows[] = {
      {map.pe_codebook(pe), geometry_.codebook_entries * sizeof(core::fp16_bits),
       storage ? bytes(storage->codebook) : nullptr},
      {map.pe_lut(pe), geometry_.lut_entries * sizeof(float), storage ? bytes(storage->lut) : nullptr},
      {map.pe_accumulators(pe), geometry_.accumulator_entries * sizeof(float),
       storage ? bytes(storage->accumulators) : nullptr}};
  for (const Window& window : pe_windows)
    if (address >= window.base && address - window.base < map.window_bytes) return inside(window);
  return {};
}

pim::Status PimUnit::status_at(sc_core::sc_time when) {
  while (!pending_completions_.empty() && pending_completions_.front() <= when) {
    pending_completions_.pop_front();
    ++completed_;
  }
  return {uint32_t(last_error_), last_error_opcode_, completed_, issued_};
}

// Indexed like pim::kRegisters: COMMAND, STATUS, FENCE, QUEUE_TAIL.
const PimUnit::RegisterHandlers PimUnit::kRegisterHandlers[] = {
    {nullptr, &PimUnit::write_command},
    {&PimUnit::read_status, &PimUnit::clear_status},
    {&PimUnit::read_fence, nullptr},
    {&PimUnit::read_queue_head, &PimUnit::write_queue_tail},
};
static_assert(std::size(pim::kRegisters) == 4, "one handler pair per register");

tlm::tlm_response_status PimUnit::access_registers(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const uint64_t address = payload.get_address();
  const size_t length = payload.get_data_length();
  unsigned char* data = payload.get_data_ptr();
  for (size_t index = 0; index < std::size(pim::kRegisters); ++index) {
    const pim::RegisterInfo& info = pim::kRegisters[index];
    if (address != info.offset) continue;
    const pim::Length rule = payload.is_read() ? info.read : info.write;
    const bool length_ok =
        rule == pim::Length::any ||
        (data && (rule == pim::Length::exact ? length == info.bytes
                                             : rule == pim::Length::up_to && length >= 1 && length <= info.bytes));
    const RegisterHandler handler = payload.is_read() ? kRegisterHandlers[index].read : kRegisterHandlers[index].write;
    if (!handler || !length_ok) {
      last_error_ = pim::Error::bad_register_access;
      last_error_reason_ = std::string(info.name) + ": wrong direction or length " + std::to_string(length);
      return tlm::TLM_COMMAND_ERROR_RESPONSE;
    }
    return (this->*handler)(data, length, delay);
  }
  return tlm::TLM_ADDRESS_ERROR_RESPONSE;
}

tlm::tlm_response_status PimUnit::write_command(unsigned char* data, size_t, sc_core::sc_time& delay) {
  pim::Command command;
  std::memcpy(&command, data, sizeof command);
  return execute(command, delay) ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE;
}

tlm::tlm_response_status PimUnit::read_status(unsigned char* data, size_t length, sc_core::sc_time& delay) {
  const pim::Status status = status_at(sc_core::sc_time_stamp() + delay);
  std::memcpy(data, &status, length);
  return tlm::TLM_OK_RESPONSE;
}

tlm::tlm_response_status PimUnit::clear_status(unsigned char*, size_t, sc_core::sc_time&) {
  last_error_ = pim::Error::none;
  last_error_opcode_ = 0;
  last_error_reason_.clear();
  return tlm::TLM_OK_RESPONSE;
}

tlm::tlm_response_status PimUnit::read_fence(unsigned char* data, size_t, sc_core::sc_time& delay) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (busy_until_ > now + delay) delay = busy_until_ - now;
  const uint64_t completed = status_at(now + delay).completed;
  std::memcpy(data, &completed, sizeof completed);
  return tlm::TLM_OK_RESPONSE;
}

tlm::tlm_response_status PimUnit::read_queue_head(unsigned char* data, size_t, sc_core::sc_time&) {
  std::memcpy(data, &queue_head_, sizeof queue_head_);
  return tlm::TLM_OK_RESPONSE;
}

// ---- command execution --------------------------------------------------------------------------------

tlm::tlm_response_status PimUnit::write_queue_tail(unsigned char* data, size_t, sc_core::sc_time& delay) {
  uint64_t tail;
  std::memcpy(&tail, data, sizeof tail);
  const uint64_t entries = config_.command_queue_entries;
  if (tail < queue_head_ || tail - queue_head_ > entries) {
    last_error_ = pim::Error::bad_register_access;
    last_error_opcode_ = 0;
    last_error_reason_ = "QUEUE_TAIL: " + std::to_string(tail) + " must be in [head, head + " + std::to_string(entries) +
                         "] with head = " + std::to_string(queue_head_);
    return tlm::TLM_COMMAND_ERROR_RESPONSE;
  }
  for (; queue_head_ < tail; ++queue_head_) {
    pim::Command command;
    std::memcpy(&command, command_queue_.data() + (queue_head_ % entries) * sizeof command, sizeof command);
    if (!execute(command, delay)) {
      queue_head_ = tail;  // a rejected descriptor ends the batch: the rest would run on a wrong premise
      return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
  }
  return tlm::TLM_OK_RESPONSE;
}

bool PimUnit::reject(const pim::Command& command, pim::Error error, const std::string& reason) {
  last_error_ = error;
  last_error_opcode_ = command.opcode;
  last_error_reason_ = reason;
  return false;
}

sc_core::sc_time PimUnit::busy_time() const {
  sc_core::sc_time busy;
  for (const OpcodeStats& opcode : stats_) busy += opcode.busy;
  return busy;
}

void PimUnit::set_trace_sink(hwif::TraceSink* sink) {
  trace_ = sink;
  if (trace_) track_ = trace_->add_track("PIM", name());
}

bool PimUnit::execute(const pim::Command& command, sc_core::sc_time& delay) {
  const pim::Plan plan = pim::plan_command(command, geometry_);
  if (!plan.ok()) return reject(command, plan.error, plan.reason);

  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = std::max(now + delay, busy_until_);
  sc_core::sc_time offset = start - now;  // bank transactions are issued at the command's start

  pim::StreamData data;
  std::string failure;
  uint64_t streamed_bytes = 0;  // over every stream and bank, for the power limit
  for (const auto& stream : plan.streams) {
    const uint64_t total =
        pim::stream_data_bytes_per_bank(stream, geometry_) * uint64_t(__builtin_popcountll(stream_bank_mask(command, stream)));
    // A payload's length is 32 bits; no bank is that large, so such a stream could never be valid.
    if (total > UINT32_MAX) return reject(command, pim::Error::bad_shape, "a bank stream exceeds 4 GiB");
    if (config_.functional) data[size_t(stream.role)].assign(total, 0);
    streamed_bytes += total;
  }
  if (!stream_banks(command, plan, false, data, offset, failure))
    return reject(command, pim::Error::bank_access_failed, failure);
  if (datapath_) {
    const pim::Error error = datapath_->compute(command, plan, data, failure);
    if (error != pim::Error::none) return reject(command, error, failure);
  }
  if (!stream_banks(command, plan, true, data, offset, failure))
    return reject(command, pim::Error::bank_access_failed, failure);

  const pim::PhaseCycles cycles = pim::phase_cycles(plan, rates_);
  // The power limit stretches the streams as a whole (the channel has booked them at its own pace): the
  // average column rate, not each column's spacing, is what the limit bounds.
  const sc_core::sc_time power_limited =
      config_.bank_bandwidth_limit > 0.0
          ? sc_core::sc_time(double(streamed_bytes) / config_.bank_bandwidth_limit, sc_core::SC_SEC)
          : sc_core::SC_ZERO_TIME;
  const sc_core::sc_time bank_time = std::max(offset - (start - now), power_limited);
  const sc_core::sc_time& tck = config_.clock_period;
  const sc_core::sc_time end = start + std::max(bank_time, tck * double(cycles.mac)) + tck * double(cycles.serial());

  record(command, cycles, start, end, bank_time, delay);
  count_events(command, plan);
  return true;
}

void PimUnit::count_events(const pim::Command& command, const pim::Plan& plan) {
  auto& stats = stats_[command.opcode];
  stats.pe_macs += plan.pe_mac_ops * plan.selected_pes;
  stats.buffer_ops += plan.buffer_ops;
  stats.sram_bytes += plan.sram_bytes * plan.selected_pes;
  stats.link_bytes += plan.link_bytes;
  for (const auto& stream : plan.streams)
    if (stream.indirect)
      stats.grf_bytes += (stream.pass.index_bytes(0) + stream.pass.index_bytes(1)) *
                         uint64_t(__builtin_popcountll(stream_bank_mask(command, stream)));
}

void PimUnit::record(const pim::Command& command, const pim::PhaseCycles& cycles, const sc_core::sc_time& start,
                     const sc_core::sc_time& end, const sc_core::sc_time& bank_time, const sc_core::sc_time& delay) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  busy_until_ = end;
  pending_completions_.push_back(end);
  ++issued_;
  last_command_ = {Opcode(command.opcode), start, end, bank_time, cycles};
  auto& stats = stats_[command.opcode];
  ++stats.commands;
  stats.busy += end - start;
  if (trace_) {
    // Rounded once, so that a command starting at busy_until_ never appears to overlap its predecessor.
    const auto ps = [](const sc_core::sc_time& time) { return uint64_t(std::llround(time.to_seconds() * 1e12)); };
    trace_->span(track_, pim::opcode_name(command.opcode), ps(start), ps(end) - ps(start),
                 {{"bank_time_ns", bank_time.to_seconds() * 1e9}, {"mac_cycles", double(cycles.mac)},
                  {"serial_cycles", double(cycles.serial())}});
  }
  // Only the interrupt and completion_event() observe these events.
  const bool interrupt_bound = interrupt.size() > 0;
  if (interrupt_bound) issues_.notify(delay);
  if (interrupt_bound || announce_completions_) {
    completions_.notify(end - now);
  } else {
    while (!unannounced_.empty() && unannounced_.front() <= now) unannounced_.pop_front();
    unannounced_.push_back(end);
  }
}

uint64_t PimUnit::stream_bank_mask(const pim::Command& command, const pim::BankStream& stream) const {
  // The plan has checked that pe_mask names existing PEs only.
  const uint64_t pe_mask = stream.lowest_pe_only ? command.pe_mask & (~command.pe_mask + 1) : command.pe_mask;
  if (geometry_.banks_per_pe == 1) return pe_mask;
  uint64_t mask = 0;
  for (uint64_t pes = pe_mask; pes != 0; pes &= pes - 1) {
    const uint64_t banks = bank_mask_of(uint32_t(__builtin_ctzll(pes)));
    mask |= stream.first_bank_only ? banks & (~banks + 1) : banks;
  }
  return mask;
}

bool PimUnit::stream_banks(const pim::Command& command, const pim::Plan& plan, bool writes, pim::StreamData& data,
                           sc_core::sc_time& offset, std::string& failure) {
  for (const auto& stream : plan.streams) {
    if (stream.write != writes) continue;
    BankAccessExtension access;
    access.bank_mask = stream_bank_mask(command, stream);
    access.bank_offset = stream.offset;
    access.bytes_per_bank = stream.bytes_per_bank;
    access.indirect = stream.indirect;
    access.pass = stream.pass;
    auto& bytes = data[size_t(stream.role)];  // sized by execute(); empty in timing-only mode

    tlm::tlm_generic_payload& payload = bank_payload_;
    payload.set_command(writes ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    payload.set_address(stream.offset);
    payload.set_data_ptr(bytes.empty() ? nullptr : bytes.data());
    payload.set_data_length(unsigned(bytes.size()));
    payload.set_streaming_width(unsigned(bytes.size()));
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    payload.set_extension(&access);
    bank_socket->b_transport(payload, offset);
    payload.clear_extension(&access);
    if (payload.get_response_status() != tlm::TLM_OK_RESPONSE) {
      failure = std::string(stream.indirect ? "bank lookups" : writes ? "bank write" : "bank read") + " at offset " +
                std::to_string(stream.indirect ? stream.pass.table_offset : stream.offset) +
                " (" + std::to_string(stream.bytes_per_bank) +
                " bytes per bank) failed: " + payload.get_response_string();
      return false;
    }
  }
  return true;
}

}  // namespace aqpim::models
