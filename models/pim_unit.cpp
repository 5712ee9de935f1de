#include "models/pim_unit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/kernels.h"
#include "core/pq_codec.h"
#include "models/bank_access_extension.h"

namespace aqpim::models {

using pim::Opcode;
using pim::StreamRole;

namespace {

// Bank and IO bytes are unaligned host images: every typed view is a copy.
template <class T>
std::vector<T> load_array(const unsigned char* bytes, size_t count) {
  std::vector<T> values(count);
  if (count) std::memcpy(values.data(), bytes, count * sizeof(T));
  return values;
}
template <class T>
void store_array(const std::vector<T>& values, unsigned char* bytes) {
  if (!values.empty()) std::memcpy(bytes, values.data(), values.size() * sizeof(T));
}

std::vector<float> widen(const core::fp16_bits* values, size_t count) {
  std::vector<float> result(count);
  std::transform(values, values + count, result.begin(), core::fp16_to_float);
  return result;
}

pim::Geometry make_geometry(const PimUnitConfig& config) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("PimUnitConfig: " + what);
  };
  const uint64_t banks = uint64_t(config.bank_groups) * config.banks_per_group;
  require(banks >= 1 && banks <= 64, "bank_groups x banks_per_group must be 1..64 (a 64-bit bank mask)");
  require(config.macs_per_unit && config.buffer_macs && config.sram_bytes_per_cycle && config.link_bytes_per_cycle,
          "macs_per_unit, buffer_macs, sram_bytes_per_cycle and link_bytes_per_cycle must be positive");
  require(config.clock_period > sc_core::SC_ZERO_TIME, "clock_period must be positive");
  require(config.command_queue_entries >= 1 &&
              uint64_t(config.command_queue_entries) * sizeof(pim::Command) <= pim::reg::sub_window,
          "command_queue_entries must be 1.." + std::to_string(pim::reg::sub_window / sizeof(pim::Command)));
  pim::Geometry geometry;
  geometry.banks_per_pe = config.placement == PimPlacement::bank ? 1 : config.banks_per_group;
  geometry.pe_count = uint32_t(banks / geometry.banks_per_pe);
  geometry.codebook_entries = config.codebook_sram_bytes / sizeof(core::fp16_bits);
  geometry.lut_entries = config.lut_sram_bytes / sizeof(float);
  geometry.accumulator_entries = config.histogram_entries;
  geometry.buffer_accumulator_entries = config.buffer_accumulator_entries;
  geometry.io_buffer_bytes = config.io_buffer_bytes;
  const uint64_t window = pim::reg::sub_window;
  require(config.codebook_sram_bytes <= window && config.lut_sram_bytes <= window &&
              config.histogram_entries * sizeof(float) <= window &&
              config.buffer_accumulator_entries * sizeof(float) <= window && config.io_buffer_bytes <= window,
          "every SRAM must fit its 64 MiB register window");
  return geometry;
}

pim::Rates make_rates(const PimUnitConfig& config) {
  return {config.macs_per_unit, config.buffer_macs, config.sram_bytes_per_cycle, config.link_bytes_per_cycle,
          config.issue_overhead_cycles};
}

const pim::BankStream* find_stream(const pim::Plan& plan, StreamRole role) {
  for (const auto& stream : plan.streams)
    if (stream.role == role) return &stream;
  return nullptr;
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
  if (config_.functional) {
    pes_.resize(geometry_.pe_count);
    for (auto& pe : pes_) {
      pe.codebook.assign(geometry_.codebook_entries, 0);
      pe.lut.assign(geometry_.lut_entries, 0.0f);
      pe.accumulators.assign(geometry_.accumulator_entries, 0.0f);
    }
    buffer_accumulators_.assign(geometry_.buffer_accumulator_entries, 0.0f);
    io_buffer_.assign(geometry_.io_buffer_bytes, 0);
  }
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
  if (payload.get_byte_enable_ptr()) return payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  if (payload.get_address() < pim::reg::registers_end)
    return payload.set_response_status(access_registers(payload, delay));
  const WindowRange window = resolve_window(payload.get_address(), payload.get_data_length());
  if (!window.valid) return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  unsigned char* data = payload.get_data_ptr();
  const size_t length = payload.get_data_length();
  if (data && payload.is_read()) {
    if (window.data)
      std::memcpy(data, window.data, length);
    else
      std::memset(data, 0, length);
  }
  if (data && window.data && payload.is_write()) std::memcpy(window.data, data, length);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int PimUnit::transport_dbg(tlm::tlm_generic_payload& payload) {
  const uint64_t address = payload.get_address();
  const size_t length = payload.get_data_length();
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
  auto inside = [&](uint64_t base, uint64_t size, unsigned char* storage) {
    if (address < base || address - base > size || length > size - (address - base)) return WindowRange{};
    return WindowRange{true, storage ? storage + (address - base) : nullptr};
  };
  auto bytes = [](auto& vector) { return vector.empty() ? nullptr : reinterpret_cast<unsigned char*>(vector.data()); };
  if (address >= pim::reg::command_queue && address < pim::reg::command_queue + pim::reg::sub_window)
    return inside(pim::reg::command_queue, command_queue_.size(), command_queue_.data());
  if (address >= pim::reg::io_buffer && address < pim::reg::io_buffer + pim::reg::sub_window)
    return inside(pim::reg::io_buffer, geometry_.io_buffer_bytes, bytes(io_buffer_));
  if (address >= pim::reg::buffer_accumulators && address < pim::reg::buffer_accumulators + pim::reg::sub_window)
    return inside(pim::reg::buffer_accumulators, geometry_.buffer_accumulator_entries * sizeof(float),
                  bytes(buffer_accumulators_));
  if (address < pim::reg::pe_windows) return {};
  const uint64_t pe = (address - pim::reg::pe_windows) / pim::reg::pe_window;
  if (pe >= geometry_.pe_count) return {};
  const uint64_t base = pim::reg::pe_windows + pe * pim::reg::pe_window;
  ProcessingElement* storage = pes_.empty() ? nullptr : &pes_[pe];
  const uint64_t sub = (address - base) / pim::reg::sub_window * pim::reg::sub_window;
  if (sub == pim::reg::pe_codebook)
    return inside(base + sub, geometry_.codebook_entries * sizeof(core::fp16_bits),
                  storage ? bytes(storage->codebook) : nullptr);
  if (sub == pim::reg::pe_lut)
    return inside(base + sub, geometry_.lut_entries * sizeof(float), storage ? bytes(storage->lut) : nullptr);
  if (sub == pim::reg::pe_accumulators)
    return inside(base + sub, geometry_.accumulator_entries * sizeof(float),
                  storage ? bytes(storage->accumulators) : nullptr);
  return {};
}

pim::Status PimUnit::status_at(sc_core::sc_time when) {
  while (!pending_completions_.empty() && pending_completions_.front() <= when) {
    pending_completions_.pop_front();
    ++completed_;
  }
  return {uint32_t(last_error_), last_error_opcode_, completed_, issued_};
}

tlm::tlm_response_status PimUnit::access_registers(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const uint64_t address = payload.get_address();
  const size_t length = payload.get_data_length();
  unsigned char* data = payload.get_data_ptr();
  if (address == pim::reg::command && payload.is_write() && length == sizeof(pim::Command) && data) {
    pim::Command command;
    std::memcpy(&command, data, sizeof command);
    return execute(command, delay) ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE;
  }
  if (address == pim::reg::status && payload.is_read() && length <= sizeof(pim::Status) && data) {
    const pim::Status status = status_at(sc_core::sc_time_stamp() + delay);
    std::memcpy(data, &status, length);
    return tlm::TLM_OK_RESPONSE;
  }
  if (address == pim::reg::status && payload.is_write()) {
    last_error_ = pim::Error::none;
    last_error_opcode_ = 0;
    last_error_reason_.clear();
    return tlm::TLM_OK_RESPONSE;
  }
  if (address == pim::reg::fence && payload.is_read() && length == sizeof(uint64_t) && data) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (busy_until_ > now + delay) delay = busy_until_ - now;
    const uint64_t completed = status_at(now + delay).completed;
    std::memcpy(data, &completed, sizeof completed);
    return tlm::TLM_OK_RESPONSE;
  }
  if (address == pim::reg::queue_tail && length == sizeof(uint64_t) && data) {
    if (payload.is_read()) {
      std::memcpy(data, &queue_head_, sizeof queue_head_);
      return tlm::TLM_OK_RESPONSE;
    }
    uint64_t tail;
    std::memcpy(&tail, data, sizeof tail);
    return run_queue(tail, delay);
  }
  if (address == pim::reg::command || address == pim::reg::status || address == pim::reg::fence ||
      address == pim::reg::queue_tail) {
    last_error_ = pim::Error::bad_register_access;
    const char* name = address == pim::reg::command  ? "COMMAND"
                       : address == pim::reg::status ? "STATUS"
                       : address == pim::reg::fence  ? "FENCE"
                                                     : "QUEUE_TAIL";
    last_error_reason_ = std::string(name) + ": wrong direction or length " + std::to_string(length);
    return tlm::TLM_COMMAND_ERROR_RESPONSE;
  }
  return tlm::TLM_ADDRESS_ERROR_RESPONSE;
}

// ---- command execution --------------------------------------------------------------------------------

tlm::tlm_response_status PimUnit::run_queue(uint64_t tail, sc_core::sc_time& delay) {
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

  StreamData data;
  std::string failure;
  for (const auto& stream : plan.streams) {
    const uint64_t total = stream.bytes_per_bank * uint64_t(__builtin_popcountll(stream_bank_mask(command, stream)));
    // A payload's length is 32 bits; no bank is that large, so such a stream could never be valid.
    if (total > UINT32_MAX) return reject(command, pim::Error::bad_shape, "a bank stream exceeds 4 GiB");
    if (config_.functional) data[size_t(stream.role)].assign(total, 0);
  }
  if (!stream_banks(command, plan, false, data, offset, failure))
    return reject(command, pim::Error::bank_access_failed, failure);
  if (config_.functional) {
    const pim::Error error = compute(command, plan, data, failure);
    if (error != pim::Error::none) return reject(command, error, failure);
  }
  if (!stream_banks(command, plan, true, data, offset, failure))
    return reject(command, pim::Error::bank_access_failed, failure);

  const pim::PhaseCycles cycles = pim::phase_cycles(plan, rates_);
  const sc_core::sc_time bank_time = offset - (start - now);
  const sc_core::sc_time& tck = config_.clock_period;
  const sc_core::sc_time end = start + std::max(bank_time, tck * double(cycles.mac)) + tck * double(cycles.serial());

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
    trace_->span(track_, pim::to_string(Opcode(command.opcode)), ps(start), ps(end) - ps(start),
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
  return true;
}

uint64_t PimUnit::stream_bank_mask(const pim::Command& command, const pim::BankStream& stream) const {
  // The plan has checked that pe_mask names existing PEs only.
  if (geometry_.banks_per_pe == 1) return command.pe_mask;
  uint64_t mask = 0;
  for (uint64_t pes = command.pe_mask; pes != 0; pes &= pes - 1) {
    const uint64_t banks = bank_mask_of(uint32_t(__builtin_ctzll(pes)));
    mask |= stream.first_bank_only ? banks & (~banks + 1) : banks;
  }
  return mask;
}

bool PimUnit::stream_banks(const pim::Command& command, const pim::Plan& plan, bool writes, StreamData& data,
                           sc_core::sc_time& offset, std::string& failure) {
  for (const auto& stream : plan.streams) {
    if (stream.write != writes) continue;
    BankAccessExtension access;
    access.bank_mask = stream_bank_mask(command, stream);
    access.bank_offset = stream.offset;
    access.bytes_per_bank = stream.bytes_per_bank;
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
      failure = std::string(writes ? "bank write" : "bank read") + " at offset " + std::to_string(stream.offset) +
                " (" + std::to_string(stream.bytes_per_bank) +
                " bytes per bank) failed: " + payload.get_response_string();
      return false;
    }
  }
  return true;
}

// ---- functional results: core kernels on the PE's operands ------------------------------------------

namespace {

// One selected PE's view of a command: its slice of every bank stream (its banks in ascending order, so
// per-token operands of a bank-group PE are its banks' token ranges back to back) and its IO slot.
class PeOperands {
 public:
  PeOperands(const pim::Command& command, const pim::Plan& plan, const pim::Geometry& geometry, uint32_t rank, uint32_t pe,
             std::array<std::vector<unsigned char>, pim::stream_role_count>& data, std::vector<unsigned char>& io)
      : command_(command), plan_(plan), geometry_(geometry), rank_(rank), pe_(pe), data_(data), io_(io) {}

  size_t tokens() const { return size_t(plan_.tokens_per_pe); }
  size_t row() const { return size_t(command_.sub_vectors) * command_.dim; }

  unsigned char* stream(StreamRole role) const {
    const pim::BankStream* stream = find_stream(plan_, role);
    const uint64_t banks = stream->first_bank_only ? 1 : geometry_.banks_per_pe;
    return data_[size_t(role)].data() + rank_ * banks * stream->bytes_per_bank;
  }
  std::vector<core::fp16_bits> vectors() const {
    return load_array<core::fp16_bits>(stream(StreamRole::vectors), tokens() * row());
  }
  // The PE's banks hold byte-aligned pieces of one packed bit stream, so its slice unpacks as a whole.
  std::vector<uint16_t> codes() const {
    return core::unpack_codes(stream(StreamRole::codes), tokens() * command_.sub_vectors, command_.clusters);
  }
  std::vector<float> scalars() const { return load_array<float>(stream(StreamRole::scalars), tokens()); }
  void store_result(const std::vector<float>& values) const { store_array(values, stream(StreamRole::result)); }
  void store_codes(const std::vector<uint16_t>& values) const {
    store_array(core::pack_codes(values.data(), values.size(), command_.clusters), stream(StreamRole::codes));
  }

  unsigned char* io_slot() const { return io_.data() + command_.io_offset + size_t(pe_) * command_.io_stride; }
  // The shared query (build_lut, mac_dot) at io_offset.
  std::vector<float> query() const { return load_array<float>(io_.data() + command_.io_offset, row()); }

 private:
  const pim::Command& command_;
  const pim::Plan& plan_;
  const pim::Geometry& geometry_;
  uint64_t rank_;
  uint32_t pe_;
  std::array<std::vector<unsigned char>, pim::stream_role_count>& data_;
  std::vector<unsigned char>& io_;
};

}  // namespace

pim::Error PimUnit::compute(const pim::Command& command, const pim::Plan& plan, StreamData& data, std::string& reason) {
  const size_t m = command.sub_vectors, k = command.clusters, d = command.dim;
  std::vector<uint32_t> selected;
  for (uint32_t pe = 0; pe < geometry_.pe_count; ++pe)
    if (command.pe_mask >> pe & 1) selected.push_back(pe);
  auto operands = [&](uint32_t rank) {
    return PeOperands(command, plan, geometry_, rank, selected[rank], data, io_buffer_);
  };
  auto codebook = [&](uint32_t pe) { return widen(pes_[pe].codebook.data() + command.codebook_offset, m * k * d); };
  auto clear_if_asked = [&](float* accumulators, size_t entries) {
    if (command.flags & pim::flag_clear_accumulators) std::fill(accumulators, accumulators + entries, 0.0f);
  };

  // Stored codes index LUTs and codebooks: an out-of-range code is rejected before anything changes.
  if (const pim::BankStream* codes = find_stream(plan, StreamRole::codes); codes && !codes->write) {
    for (uint32_t rank = 0; rank < selected.size(); ++rank) {
      for (const uint16_t code : operands(rank).codes()) {
        if (code < k) continue;
        reason = std::string(to_string(Opcode(command.opcode))) + ": PE " + std::to_string(selected[rank]) +
                 " read code " + std::to_string(code) + " but clusters = " + std::to_string(k);
        return pim::Error::code_out_of_range;
      }
    }
  }

  switch (Opcode(command.opcode)) {
    case Opcode::reduce: {
      float* destination = buffer_accumulators_.data() + command.buffer_accumulator_offset;
      clear_if_asked(destination, command.length);
      for (const uint32_t pe : selected)
        core::add_into(destination, pes_[pe].accumulators.data() + command.accumulator_offset, command.length);
      return pim::Error::none;
    }
    case Opcode::update_centroids: {
      // Sums and weight sums sit in the buffer accumulators in kmeans_accumulate's layout; clusters nobody
      // chose keep the centroid of the first selected PE (all PEs of a head hold the same codebook).
      const float* sums = buffer_accumulators_.data() + command.buffer_accumulator_offset;
      const float* weight_sums = sums + m * k * d;
      std::vector<float> centroids = codebook(selected.front());
      for (size_t i = 0; i < m; ++i)
        core::finish_centroids(sums + i * k * d, weight_sums + i * k, k, d, centroids.data() + i * k * d);
      for (const uint32_t pe : selected)
        std::transform(centroids.begin(), centroids.end(), pes_[pe].codebook.begin() + command.codebook_offset,
                       core::float_to_fp16);
      return pim::Error::none;
    }
    default:
      break;
  }

  for (uint32_t rank = 0; rank < selected.size(); ++rank) {
    const PeOperands pe_operands = operands(rank);
    ProcessingElement& pe = pes_[selected[rank]];
    const size_t tokens = pe_operands.tokens(), row = pe_operands.row();
    float* accumulators = pe.accumulators.data() + command.accumulator_offset;
    switch (Opcode(command.opcode)) {
      case Opcode::load_codebook:
        std::memcpy(pe.codebook.data() + command.codebook_offset, pe_operands.stream(StreamRole::codebook_image),
                    m * k * d * sizeof(core::fp16_bits));
        break;
      case Opcode::store_codebook:
        std::memcpy(pe_operands.stream(StreamRole::codebook_image), pe.codebook.data() + command.codebook_offset,
                    m * k * d * sizeof(core::fp16_bits));
        break;
      case Opcode::kmeans_assign:
      case Opcode::encode: {
        const std::vector<float> rows = widen(pe_operands.vectors().data(), tokens * row);
        const std::vector<float> centroids = codebook(selected[rank]);
        std::vector<float> points(tokens * d);
        std::vector<uint32_t> sub_codes(tokens);
        std::vector<uint16_t> codes(tokens * m);
        for (size_t i = 0; i < m; ++i) {
          for (size_t n = 0; n < tokens; ++n) std::copy_n(rows.begin() + n * row + i * d, d, points.begin() + n * d);
          core::assign_nearest(points.data(), tokens, d, centroids.data() + i * k * d, k, sub_codes.data());
          for (size_t n = 0; n < tokens; ++n) codes[n * m + i] = uint16_t(sub_codes[n]);
        }
        pe_operands.store_codes(codes);
        break;
      }
      case Opcode::kmeans_accumulate: {
        const std::vector<float> rows = widen(pe_operands.vectors().data(), tokens * row);
        const std::vector<uint16_t> codes = pe_operands.codes();
        const bool weighted = !(command.flags & pim::flag_unweighted);
        const std::vector<float> weights = weighted ? pe_operands.scalars() : std::vector<float>();
        clear_if_asked(accumulators, m * k * (d + 1));
        std::vector<float> points(tokens * d);
        std::vector<uint32_t> sub_codes(tokens);
        for (size_t i = 0; i < m; ++i) {
          for (size_t n = 0; n < tokens; ++n) {
            std::copy_n(rows.begin() + n * row + i * d, d, points.begin() + n * d);
            sub_codes[n] = codes[n * m + i];
          }
          core::accumulate_by_code(points.data(), tokens, d, sub_codes.data(), weighted ? weights.data() : nullptr, k,
                                   accumulators + i * k * d, accumulators + m * k * d + i * k);
        }
        break;
      }
      case Opcode::build_lut: {
        const std::vector<float> query = pe_operands.query();
        const std::vector<float> centroids = codebook(selected[rank]);
        for (size_t i = 0; i < m; ++i)
          core::build_lut(query.data() + i * d, centroids.data() + i * k * d, k, d,
                          pe.lut.data() + command.lut_offset + i * k);
        break;
      }
      case Opcode::score: {
        std::vector<float> scores(tokens);
        core::score_codes(pe.lut.data() + command.lut_offset, m, k, pe_operands.codes().data(), tokens, scores.data());
        pe_operands.store_result(scores);
        break;
      }
      case Opcode::softmax_partial: {
        const core::SoftmaxPartial partial = core::softmax_partial(pe_operands.scalars().data(), tokens);
        const float pair[2] = {partial.max, partial.sum};
        std::memcpy(pe_operands.io_slot(), pair, sizeof pair);
        break;
      }
      case Opcode::softmax_normalize: {
        std::vector<float> probabilities(tokens);
        core::softmax_normalize(pe_operands.scalars().data(), tokens, {command.softmax_max, command.softmax_sum},
                                probabilities.data());
        pe_operands.store_result(probabilities);
        break;
      }
      case Opcode::value_histogram:
        clear_if_asked(accumulators, m * k);
        core::accumulate_histogram(pe_operands.scalars().data(), pe_operands.codes().data(), tokens, m, k,
                                   accumulators);
        break;
      case Opcode::value_output: {
        std::vector<float> out(row);
        core::histogram_times_codebook(accumulators, codebook(selected[rank]).data(), m, k, d, out.data());
        store_array(out, pe_operands.io_slot());
        break;
      }
      case Opcode::value_reconstruct:
        clear_if_asked(accumulators, row);
        core::accumulate_reconstructed(pe_operands.scalars().data(), pe_operands.codes().data(), tokens, m, k, d,
                                       codebook(selected[rank]).data(), accumulators);
        break;
      case Opcode::mac_dot: {
        std::vector<float> scores(tokens);
        core::dot_rows_fp16(pe_operands.vectors().data(), tokens, row, pe_operands.query().data(), scores.data());
        pe_operands.store_result(scores);
        break;
      }
      case Opcode::mac_weighted:
        clear_if_asked(accumulators, row);
        core::accumulate_rows_fp16(pe_operands.scalars().data(), pe_operands.vectors().data(), tokens, row,
                                   accumulators);
        break;
      case Opcode::move_bank_to_io:
        std::memcpy(pe_operands.io_slot(), pe_operands.stream(StreamRole::raw),
                    size_t(command.length) * geometry_.banks_per_pe);
        break;
      case Opcode::gather_accumulators:
        std::memcpy(pe_operands.io_slot(), accumulators, size_t(command.length) * sizeof(float));
        break;
      case Opcode::move_io_to_bank:
        std::memcpy(pe_operands.stream(StreamRole::raw), pe_operands.io_slot(),
                    size_t(command.length) * geometry_.banks_per_pe);
        break;
      default:
        break;
    }
  }
  return pim::Error::none;
}

}  // namespace aqpim::models
