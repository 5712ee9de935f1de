#include "models/hbm3_pseudo_channel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <stdexcept>
#include <string>
#include <utility>

#include "models/arrival_order.h"
#include "models/byte_enables.h"

namespace aqpim::models {
namespace {

// SystemC ticks are powers of ten of a second: 1 ps is a whole number of ticks (resolution 1, 10 or 100 fs)
// or a tick a whole number of picoseconds. Returns {ps_per_tick, ticks_per_ps}.
std::pair<uint64_t, uint64_t> picosecond_ratio() {
  const double ps = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
  const double ticks = 1.0 / ps;
  if (ps >= 1.0 && std::fabs(ps - std::round(ps)) < 1e-9 * ps) return {uint64_t(std::llround(ps)), 1};
  if (ps < 1.0 && std::fabs(ticks - std::round(ticks)) < 1e-9 * ticks) return {1, uint64_t(std::llround(ticks))};
  throw std::invalid_argument("Hbm3PseudoChannel: SystemC time resolution " +
                              sc_core::sc_get_time_resolution().to_string() +
                              " is neither a whole number of picoseconds nor a whole fraction of one");
}

}  // namespace

void Hbm3PseudoChannelConfig::validate() const { timing_config(); }

HbmTimingConfig Hbm3PseudoChannelConfig::timing_config() const {
  if (data_width_bits == 0 || burst_length == 0 || (uint64_t(data_width_bits) * burst_length) % 8 != 0)
    throw std::invalid_argument("data_width_bits x burst_length = " + std::to_string(data_width_bits) + " x " +
                                std::to_string(burst_length) + ": must be a positive whole number of bytes");
  if (!(data_rate_gbps > 0)) throw std::invalid_argument("data_rate_gbps must be positive");
  if (tCK <= sc_core::SC_ZERO_TIME) throw std::invalid_argument("tCK must be positive");
  if (store_chunk_bytes == 0 || (store_chunk_bytes & (store_chunk_bytes - 1)) != 0)
    throw std::invalid_argument("store_chunk_bytes = " + std::to_string(store_chunk_bytes) + ": must be a power of two");
  HbmTimingConfig result;
  result.geometry.bank_groups = bank_groups;
  result.geometry.banks_per_group = banks_per_group;
  result.geometry.rows_per_bank = rows_per_bank;
  result.geometry.row_bytes = row_bytes;
  result.geometry.access_bytes = access_bytes();
  result.mapping = address_mapping;
  result.address_bits = address_bits;
  result.page_policy = page_policy;
  result.cycles = timing;
  result.tck_ps = uint64_t(std::llround(tCK.to_seconds() * 1e12));
  result.burst_ps = uint64_t(std::llround(burst_length * 1000.0 / data_rate_gbps));
  result.refresh = refresh;
  result.scheduler = scheduler;
  result.queue_depth = queue_depth;
  result.validate();
  return result;
}

Hbm3PseudoChannel::Hbm3PseudoChannel(sc_core::sc_module_name name, const Hbm3PseudoChannelConfig& config)
    : sc_core::sc_module(name),
      target_socket("target_socket"),
      bank_socket("bank_socket"),
      config_(config),
      engine_(config.timing_config()),
      store_(config.capacity_bytes(), config.store_chunk_bytes),
      capacity_(config.capacity_bytes()),
      ps_per_tick_(picosecond_ratio().first),
      ticks_per_ps_(picosecond_ratio().second) {
  engine_.share_memo(config.timing_memo);
  target_socket.register_b_transport(this, &Hbm3PseudoChannel::b_transport);
  target_socket.register_get_direct_mem_ptr(this, &Hbm3PseudoChannel::get_direct_mem_ptr);
  target_socket.register_transport_dbg(this, &Hbm3PseudoChannel::transport_dbg);
  bank_socket.register_b_transport(this, &Hbm3PseudoChannel::bank_transport);
}

void Hbm3PseudoChannel::discard_data() {
  for (unsigned i = 0; i < target_socket.size(); ++i) target_socket[i]->invalidate_direct_mem_ptr(0, capacity_ - 1);
  store_.clear();
}

void Hbm3PseudoChannel::move_data(tlm::tlm_generic_payload& payload) {
  unsigned char* data = payload.get_data_ptr();
  if (!data) return;
  const uint64_t address = payload.get_address();
  const bool is_read = payload.is_read();
  for_each_enabled_run(payload, [&](unsigned offset, unsigned bytes) {
    if (is_read) {
      if (config_.store_data)
        store_.read(address + offset, data + offset, bytes);
      else
        std::memset(data + offset, 0, bytes);
    } else if (config_.store_data) {
      store_.write(address + offset, data + offset, bytes);
    }
  });
}

void Hbm3PseudoChannel::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const tlm::tlm_command command = payload.get_command();
  if (command == tlm::TLM_IGNORE_COMMAND) return payload.set_response_status(tlm::TLM_OK_RESPONSE);
  const uint64_t address = payload.get_address();
  const uint64_t length = payload.get_data_length();
  if (length == 0 || address >= capacity_ || length > capacity_ - address)
    return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  if (!byte_enables_valid(payload)) return payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  if (payload.get_streaming_width() != 0 && payload.get_streaming_width() < length)
    return payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);

  if (config_.order_by_arrival) synchronise_to_arrival(delay);
  move_data(payload);
  const uint64_t arrival = to_ps(sc_core::sc_time_stamp() + delay);
  const uint64_t completion = engine_.access(arrival, address, length, command == tlm::TLM_WRITE_COMMAND);
  delay += from_ps(completion - arrival);
  if (trace_) trace(command == tlm::TLM_WRITE_COMMAND ? "host write" : "host read", arrival, completion, length);
  payload.set_dmi_allowed(config_.store_data && config_.allow_dmi);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

template <class Move>
void Hbm3PseudoChannel::for_each_bank_piece(unsigned flat_bank, uint64_t bank_offset, uint64_t bytes, Move&& move) const {
  const hwif::HbmAddressMap& map = engine_.address_map();
  const uint64_t row_bytes = config_.row_bytes;
  const uint64_t access_bytes = config_.access_bytes();
  hwif::HbmLocation location;
  location.bank_group = flat_bank / config_.banks_per_group;
  location.bank = flat_bank % config_.banks_per_group;
  uint64_t done = 0;
  while (done < bytes) {
    const uint64_t position = bank_offset + done;
    location.row = position / row_bytes;
    location.column = (position % row_bytes) / access_bytes;
    const uint64_t byte_in_access = position % access_bytes;
    const uint64_t piece = std::min(bytes - done, access_bytes - byte_in_access);
    move(map.encode(location) + byte_in_access, done, piece);
    done += piece;
  }
}

namespace {

// The bank ranges a bank-side transaction's data covers, in the order its payload holds them per bank.
struct BankRange {
  uint64_t offset, bytes;
};
std::vector<BankRange> data_ranges(const BankAccessExtension& access, uint64_t row_bytes) {
  if (!access.indirect) return {{access.bank_offset, access.bytes_per_bank}};
  const hbm::IndirectPass& pass = access.pass;
  std::vector<BankRange> ranges;
  for (unsigned s = 0; s < 2; ++s)
    if (pass.index[s].bits_per_token) ranges.push_back({pass.index[s].offset, pass.index_bytes(s)});
  ranges.push_back({pass.table_offset, pass.table_rows * row_bytes});
  return ranges;
}

}  // namespace

void Hbm3PseudoChannel::bank_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const auto* access_extension = payload.get_extension<BankAccessExtension>();
  if (!access_extension) return payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
  const BankAccessExtension& access = *access_extension;
  const unsigned banks = config_.bank_groups * config_.banks_per_group;
  if (access.bank_mask == 0 || (banks < 64 && (access.bank_mask >> banks) != 0))
    return payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  const uint64_t bank_bytes = config_.rows_per_bank * config_.row_bytes;
  const std::vector<BankRange> ranges = data_ranges(access, config_.row_bytes);
  for (const BankRange& range : ranges)
    if (range.offset > bank_bytes || range.bytes > bank_bytes - range.offset)
      return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  const tlm::tlm_command command = payload.get_command();
  if (command == tlm::TLM_IGNORE_COMMAND) return payload.set_response_status(tlm::TLM_OK_RESPONSE);
  // Lookups read their tables: an indirect pass never writes.
  if (access.indirect && command != tlm::TLM_READ_COMMAND)
    return payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
  if (access.indirect && access.pass.table_offset % config_.row_bytes != 0)
    return payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);

  const uint64_t bytes_per_bank = access.data_bytes_per_bank(config_.row_bytes);
  if (unsigned char* data = payload.get_data_ptr()) {
    const uint64_t needed = bytes_per_bank * uint64_t(__builtin_popcountll(access.bank_mask));
    if (payload.get_data_length() < needed) return payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    move_bank_data(access.bank_mask, ranges, data, command == tlm::TLM_WRITE_COMMAND);
  }
  const uint64_t arrival = to_ps(sc_core::sc_time_stamp() + delay);
  const bool is_write = command == tlm::TLM_WRITE_COMMAND;
  // A lookup moves a whole column inside the bank: a traced pass shows the bytes its banks moved.
  const uint64_t moved_before = trace_ && access.indirect ? engine_.stats().total().pim_bytes_read : 0;
  const uint64_t completion =
      access.indirect ? engine_.bank_indirect(arrival, access.bank_mask, access.pass)
                      : engine_.bank_stream(arrival, access.bank_mask, access.bank_offset, access.bytes_per_bank, is_write);
  if (trace_)
    trace(access.indirect ? "bank lookups" : is_write ? "bank write" : "bank read", arrival, completion,
          access.indirect ? engine_.stats().total().pim_bytes_read - moved_before
                          : bytes_per_bank * uint64_t(__builtin_popcountll(access.bank_mask)));
  delay += from_ps(completion - arrival);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

template <class Ranges>
void Hbm3PseudoChannel::move_bank_data(uint64_t bank_mask, const Ranges& ranges, unsigned char* data, bool is_write) {
  const unsigned banks = config_.bank_groups * config_.banks_per_group;
  unsigned char* bank_data = data;  // the payload holds the banks one after another, ascending
  for (unsigned bank = 0; bank < banks; ++bank) {
    if (!(bank_mask >> bank & 1)) continue;
    for (const auto& range : ranges) {
      for_each_bank_piece(bank, range.offset, range.bytes, [&](uint64_t address, uint64_t at, uint64_t bytes) {
        if (!is_write) {
          if (config_.store_data)
            store_.read(address, bank_data + at, bytes);
          else
            std::memset(bank_data + at, 0, bytes);
        } else if (config_.store_data) {
          store_.write(address, bank_data + at, bytes);
        }
      });
      bank_data += range.bytes;
    }
  }
}

bool Hbm3PseudoChannel::get_direct_mem_ptr(int, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
  const uint64_t address = payload.get_address();
  dmi.allow_none();
  if (address >= capacity_) {
    dmi.set_start_address(capacity_);
    dmi.set_end_address(~sc_dt::uint64(0));
    return false;
  }
  if (!config_.store_data || !config_.allow_dmi) {  // timing-only, or every access timed: no DMI anywhere
    dmi.set_start_address(0);
    dmi.set_end_address(capacity_ - 1);
    return false;
  }
  dmi.set_dmi_ptr(store_.chunk(address));
  dmi.set_start_address(store_.chunk_base(address));
  dmi.set_end_address(store_.chunk_last(address));
  dmi.set_read_latency(from_ps(engine_.row_hit_read_ps()));
  dmi.set_write_latency(from_ps(engine_.row_hit_write_ps()));
  dmi.allow_read_write();
  ++dmi_grants_;
  return true;
}

unsigned int Hbm3PseudoChannel::transport_dbg(int, tlm::tlm_generic_payload& payload) {
  const uint64_t address = payload.get_address();
  const uint64_t length = payload.get_data_length();
  if (!payload.get_data_ptr() || address >= capacity_ || length > capacity_ - address) return 0;
  if (payload.is_write() && !config_.store_data) return 0;
  if (!payload.is_read() && !payload.is_write()) return 0;
  move_data(payload);
  return unsigned(length);
}

void Hbm3PseudoChannel::set_trace_sink(hwif::TraceSink* sink) {
  trace_ = sink;
  if (trace_) track_ = trace_->add_track("HBM", name());
}

void Hbm3PseudoChannel::trace(const char* name, uint64_t arrival_ps, uint64_t completion_ps, uint64_t bytes) {
  // A request that finished inside an earlier one's span (other banks) still shows, as a zero-length span.
  const uint64_t start = std::max(arrival_ps, traced_until_ps_);
  trace_->span(track_, name, start, completion_ps > start ? completion_ps - start : 0, {{"bytes", double(bytes)}});
  traced_until_ps_ = std::max(traced_until_ps_, completion_ps);
}

}  // namespace aqpim::models
