// Energy of a run from its counted events, and the silicon area of the PIM additions.
//
// Energy is never estimated from time or bandwidth: every dynamic joule is a count the models keep (HBM
// activations and bits per pseudo-channel, PIM MACs, SRAM / register-file / link bytes per unit, PCIe and
// CPU-memory bytes, the host roofline's FLOPs and GPU HBM bytes) times a per-event energy (`energy.*`).
// Static power (W) is charged over simulated time. Counts are taken at the firmware's prefill_end milestone
// and at the end, so prefill and decode are reported apart. A new design gets its energy for free: it only
// has to move data through the same models. Sources of the defaults: docs/energy.md.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/params.h"

namespace aqpim::platform {

class AqpimSystem;

// The counted events, each in the unit its energy is given per (activations, bits, operations, FLOPs).
enum class EnergyEvent : size_t {
  hbm_activate, hbm_read, hbm_write, hbm_bank_read, hbm_bank_write,
  pim_mac, pim_buffer_op, pim_sram, pim_grf, pim_link,
  pcie, cpu_memory, gpu_flop, gpu_hbm, count_
};
inline constexpr size_t kEnergyEvents = size_t(EnergyEvent::count_);
using EventCounts = std::array<double, kEnergyEvents>;

// The report's component name of an event ("hbm_activate", ...) and what it counts ("activations", "bits"...).
const char* energy_event_name(EnergyEvent event);
const char* energy_event_unit(EnergyEvent event);

// Every event counted so far in the system's models.
EventCounts count_events(const AqpimSystem& system);

struct EnergyBreakdown {
  std::array<double, kEnergyEvents> event_j{};
  double static_j = 0;
  double total() const;
};
// Joules of `counts`, plus the static power of the platform over `seconds`.
EnergyBreakdown energy_of(const EventCounts& counts, double seconds, const PlatformParams& params);

struct EnergyReport {
  EventCounts prefill_events{}, decode_events{};
  EnergyBreakdown prefill, decode;
};

// The PIM additions' storage and their area (mm^2) from area.* and the pim.unit sizes.
struct AreaReport {
  double bank_pe_sram_bytes = 0, bank_pe_register_bytes = 0, buffer_pe_sram_bytes = 0;
  double bank_pe_macs = 0, buffer_pe_macs = 0;
  double per_bank_pe = 0, per_bank_pe_storage = 0, per_buffer_pe = 0;
  double bank_pes_per_stack = 0, buffer_pes_per_stack = 0;
  double per_stack = 0, storage_per_stack = 0;  // storage: SRAM + register file only (AQPIM's additions)
  double register_file_per_stack = 0;            // the GRF alone (what intra-row indirection reads codes from)
  // sim.design=aqpim: what the configured mapping needs of the SRAMs (pim_sram_needs), not what pim.unit has.
  double bank_pe_sram_bytes_needed = 0, per_bank_pe_storage_needed = 0, storage_per_stack_needed = 0;
};
AreaReport area_of(const PlatformParams& params);

// energy_j: total, prefill, decode, decode_per_step, components (whole run), prefill_components,
// decode_components, static; energy_events: the counts per phase, numbers only (sweep columns), in the
// units energy_event_unit names. area_mm2 and the bytes behind it.
nlohmann::json energy_json(const EnergyReport& energy, double decode_steps);
nlohmann::json energy_events_json(const EnergyReport& energy);
nlohmann::json area_json(const AreaReport& area);
std::string energy_text(const EnergyReport& energy, const AreaReport& area, double decode_steps);

}  // namespace aqpim::platform
