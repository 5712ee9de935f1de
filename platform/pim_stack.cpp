#include "platform/pim_stack.h"

#include <stdexcept>
#include <string>

namespace aqpim::platform {
namespace {

uint64_t power_of_two_at_least(uint64_t bytes) {
  uint64_t power = 1;
  while (power < bytes) power <<= 1;
  return power;
}

}  // namespace

uint64_t PimStackConfig::memory_window() const { return power_of_two_at_least(channel.capacity_bytes()); }

void PimStackConfig::validate() const {
  if (pseudo_channels == 0 || pseudo_channels > 4096)
    throw std::invalid_argument("PimStackConfig.pseudo_channels = " + std::to_string(pseudo_channels) +
                                ": expected an integer in [1, 4096]");
  channel.validate();
  if (unit.bank_groups != channel.bank_groups || unit.banks_per_group != channel.banks_per_group)
    throw std::invalid_argument("PimStackConfig.unit bank geometry must equal the channel's (" +
                                std::to_string(channel.bank_groups) + " x " + std::to_string(channel.banks_per_group) +
                                " banks)");
  if (memory_window() * pseudo_channels > registers_offset)
    throw std::invalid_argument("PimStackConfig.registers_offset = " + std::to_string(registers_offset) +
                                ": must be at least the memory's span, " +
                                std::to_string(memory_window() * pseudo_channels));
  unit.register_map.validate();
  const uint64_t unit_span = unit.register_map.span(pes_per_unit());
  if (registers_window < unit_span || registers_window > (uint64_t(1) << 48))
    throw std::invalid_argument("PimStackConfig.registers_window = " + std::to_string(registers_window) +
                                ": expected [" + std::to_string(unit_span) + ", 2^48] (the unit's register map span)");
  if (registers_offset > (uint64_t(1) << 56))
    throw std::invalid_argument("PimStackConfig.registers_offset = " + std::to_string(registers_offset) +
                                ": expected at most 2^56");
}

uint32_t PimStackConfig::pes_per_unit() const {
  return unit.placement == models::PimPlacement::bank ? unit.bank_groups * unit.banks_per_group : unit.bank_groups;
}

PimStackConfig& PimStackConfig::use_compact_layout() {
  unit.register_map = hwif::pim::RegisterMap::compact();
  registers_window = power_of_two_at_least(unit.register_map.span(pes_per_unit()));
  registers_offset = memory_window() * pseudo_channels;
  return *this;
}

PimStack::PimStack(sc_core::sc_module_name name, const PimStackConfig& config)
    : sc_core::sc_module(name),
      router("router", config.routing_latency),
      target_socket(router.target_socket),
      config_((config.validate(), config)) {
  // The stack's channels are alike and its units run one firmware loop: one channel times a request, the
  // others meeting it in the same state replay the result (exact; see models::HbmTimingMemo).
  models::Hbm3PseudoChannelConfig channel = config.channel;
  if (!channel.timing_memo) channel.timing_memo = std::make_shared<models::HbmTimingMemo>();
  for (uint32_t index = 0; index < config.pseudo_channels; ++index) {
    const std::string suffix = std::to_string(index);
    channels_.push_back(std::make_unique<models::Hbm3PseudoChannel>(("channel_" + suffix).c_str(), channel));
    units_.push_back(std::make_unique<models::PimUnit>(("pim_" + suffix).c_str(), config.unit));
    units_.back()->bank_socket.bind(channels_.back()->bank_socket);
    router.initiator_socket.bind(channels_.back()->target_socket);
    router.map(2 * index, memory_base(index), config.channel.capacity_bytes(), "channel_" + suffix);
    router.initiator_socket.bind(units_.back()->target_socket);
    router.map(2 * index + 1, registers_base(index), config_.registers_window, "pim_" + suffix);
  }
}

uint64_t PimStack::memory_base(uint32_t index) const { return uint64_t(index) * config_.memory_window(); }

uint64_t PimStack::registers_base(uint32_t index) const {
  return config_.registers_offset + uint64_t(index) * config_.registers_window;
}

hwif::PlatformView PimStack::view(uint64_t base) const {
  hwif::PlatformView view;
  for (uint32_t index = 0; index < size(); ++index)
    view.units.push_back({base + registers_base(index), base + memory_base(index)});
  view.pes_per_unit = units_.front()->pe_count();
  view.command_queue_entries = units_.front()->config().command_queue_entries;
  view.register_map = config_.unit.register_map;
  view.hbm = channels_.front()->address_map().geometry();
  view.mapping = config_.channel.address_mapping;
  view.address_bits = config_.channel.address_bits;
  return view;
}

}  // namespace aqpim::platform
