// The PIM memory as one SystemC module another platform can instantiate: `pseudo_channels` HBM3
// pseudo-channels, each with the PIM unit that sits in it, behind one address router. Bind any number of
// initiators to `target_socket`; addresses are local to the stack (see memory_base / registers_base, also
// gathered in view()). Example: testbenches/external_platform/ (built against the installed package).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "hwif/platform_view.h"
#include "models/address_router.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/pim_unit.h"

namespace aqpim::platform {

struct PimStackConfig {
  uint32_t pseudo_channels = 1;
  models::Hbm3PseudoChannelConfig channel;
  models::PimUnitConfig unit;
  sc_core::sc_time routing_latency = sc_core::SC_ZERO_TIME;

  // Address map, local to the stack: pseudo-channel u's memory at u x memory_window, its PIM unit's
  // registers and SRAM windows at registers_offset + u x registers_window (the unit's own layout inside is
  // unit.register_map). The defaults leave room for anything; use_compact_layout() packs the stack.
  uint64_t memory_window() const;
  uint64_t registers_offset = uint64_t(1) << 44;
  uint64_t registers_window = uint64_t(1) << 34;
  uint64_t address_span() const { return registers_offset + uint64_t(pseudo_channels) * registers_window; }
  // The compact register map in each unit, each unit's window the power of two that holds it, and the
  // register block right after the memory: with small enough channels the stack fits a 28-bit target
  // window of a 32-bit bus. Call after setting pseudo_channels, channel and unit.
  PimStackConfig& use_compact_layout();
  uint32_t pes_per_unit() const;
  // Throws std::invalid_argument naming the field.
  void validate() const;
};

class PimStack : public sc_core::sc_module {
 public:
  // Throws std::invalid_argument naming the field of a bad configuration.
  PimStack(sc_core::sc_module_name name, const PimStackConfig& config);

  models::AddressRouter router;
  decltype(router.target_socket)& target_socket;

  uint64_t memory_base(uint32_t pseudo_channel) const;
  uint64_t registers_base(uint32_t pseudo_channel) const;
  // What firmware needs to drive the stack, with every address offset by `base` (where the stack sits in
  // the initiator's address space).
  hwif::PlatformView view(uint64_t base = 0) const;

  uint32_t size() const { return uint32_t(channels_.size()); }
  const models::Hbm3PseudoChannel& channel(uint32_t index) const { return *channels_.at(index); }
  models::Hbm3PseudoChannel& channel(uint32_t index) { return *channels_.at(index); }
  const models::PimUnit& unit(uint32_t index) const { return *units_.at(index); }
  models::PimUnit& unit(uint32_t index) { return *units_.at(index); }
  const PimStackConfig& config() const { return config_; }

 private:
  PimStackConfig config_;
  std::vector<std::unique_ptr<models::Hbm3PseudoChannel>> channels_;
  std::vector<std::unique_ptr<models::PimUnit>> units_;
};

}  // namespace aqpim::platform
