#include "platform/energy.h"

#include <cstdio>
#include <sstream>

#include "platform/aqpim_system.h"

namespace aqpim::platform {
namespace {

constexpr double kPicojoule = 1e-12;
constexpr double kBitsPerByte = 8.0;

struct EventRow {
  EnergyEvent event;
  const char* name;
  const char* unit;
  double EnergyParams::*cost;  // pJ per counted unit
};
// One row per event: a new event is a row here, a counter in count_events and a parameter.
constexpr EventRow kEvents[] = {
    {EnergyEvent::hbm_activate, "hbm_activate", "activations", &EnergyParams::hbm_activate_pj},
    {EnergyEvent::hbm_read, "hbm_read", "bits", &EnergyParams::hbm_read_pj_per_bit},
    {EnergyEvent::hbm_write, "hbm_write", "bits", &EnergyParams::hbm_write_pj_per_bit},
    {EnergyEvent::hbm_bank_read, "hbm_bank_read", "bits", &EnergyParams::hbm_bank_read_pj_per_bit},
    {EnergyEvent::hbm_bank_write, "hbm_bank_write", "bits", &EnergyParams::hbm_bank_write_pj_per_bit},
    {EnergyEvent::pim_mac, "pim_mac", "operations", &EnergyParams::pim_mac_pj},
    {EnergyEvent::pim_buffer_op, "pim_buffer_op", "operations", &EnergyParams::pim_buffer_op_pj},
    {EnergyEvent::pim_sram, "pim_sram", "bits", &EnergyParams::pim_sram_pj_per_bit},
    {EnergyEvent::pim_grf, "pim_grf", "bits", &EnergyParams::pim_grf_pj_per_bit},
    {EnergyEvent::pim_link, "pim_link", "bits", &EnergyParams::pim_link_pj_per_bit},
    {EnergyEvent::pcie, "pcie_link", "bits", &EnergyParams::pcie_pj_per_bit},
    {EnergyEvent::cpu_memory, "cpu_memory", "bits", &EnergyParams::cpu_memory_pj_per_bit},
    {EnergyEvent::gpu_flop, "gpu_flop", "FLOPs", &EnergyParams::gpu_pj_per_flop},
    {EnergyEvent::gpu_hbm, "gpu_hbm", "bits", &EnergyParams::gpu_hbm_pj_per_bit},
};
static_assert(sizeof(kEvents) / sizeof(kEvents[0]) == kEnergyEvents, "an EnergyEvent lacks its row in kEvents");

const EventRow& row(EnergyEvent event) { return kEvents[size_t(event)]; }

double& at(EventCounts& counts, EnergyEvent event) { return counts[size_t(event)]; }

nlohmann::json components_json(const EnergyBreakdown& breakdown) {
  nlohmann::json components = nlohmann::json::object();
  for (const EventRow& event : kEvents) components[event.name] = breakdown.event_j[size_t(event.event)];
  components["static"] = breakdown.static_j;
  return components;
}

EnergyBreakdown sum(const EnergyBreakdown& a, const EnergyBreakdown& b) {
  EnergyBreakdown total;
  for (size_t event = 0; event < kEnergyEvents; ++event) total.event_j[event] = a.event_j[event] + b.event_j[event];
  total.static_j = a.static_j + b.static_j;
  return total;
}

}  // namespace

const char* energy_event_name(EnergyEvent event) { return row(event).name; }
const char* energy_event_unit(EnergyEvent event) { return row(event).unit; }

EventCounts count_events(const AqpimSystem& system) {
  EventCounts counts{};
  const PimStack& stack = system.stack();
  for (uint32_t index = 0; index < stack.size(); ++index) {
    const auto channel = stack.channel(index).statistics().total();
    at(counts, EnergyEvent::hbm_activate) += double(channel.activations + channel.pim_activations);
    at(counts, EnergyEvent::hbm_read) += kBitsPerByte * double(channel.bytes_read);
    at(counts, EnergyEvent::hbm_write) += kBitsPerByte * double(channel.bytes_written);
    at(counts, EnergyEvent::hbm_bank_read) += kBitsPerByte * double(channel.pim_bytes_read);
    at(counts, EnergyEvent::hbm_bank_write) += kBitsPerByte * double(channel.pim_bytes_written);
    for (const auto& opcode : stack.unit(index).opcode_stats()) {
      at(counts, EnergyEvent::pim_mac) += double(opcode.pe_macs);
      at(counts, EnergyEvent::pim_buffer_op) += double(opcode.buffer_ops);
      at(counts, EnergyEvent::pim_sram) += kBitsPerByte * double(opcode.sram_bytes);
      at(counts, EnergyEvent::pim_grf) += kBitsPerByte * double(opcode.grf_bytes);
      at(counts, EnergyEvent::pim_link) += kBitsPerByte * double(opcode.link_bytes);
    }
  }
  const auto& pcie = system.pcie().statistics();
  at(counts, EnergyEvent::pcie) = kBitsPerByte * double(pcie.bytes[0] + pcie.bytes[1]);
  const auto& cpu = system.cpu_memory().statistics();
  at(counts, EnergyEvent::cpu_memory) = kBitsPerByte * double(cpu.bytes_read + cpu.bytes_written);
  const auto& host = system.host().statistics();
  at(counts, EnergyEvent::gpu_flop) = host.gpu_flops;
  at(counts, EnergyEvent::gpu_hbm) = kBitsPerByte * host.gpu_bytes;
  return counts;
}

double EnergyBreakdown::total() const {
  double joules = static_j;
  for (const double event : event_j) joules += event;
  return joules;
}

EnergyBreakdown energy_of(const EventCounts& counts, double seconds, const PlatformParams& params) {
  EnergyBreakdown breakdown;
  for (const EventRow& event : kEvents)
    breakdown.event_j[size_t(event.event)] = counts[size_t(event.event)] * (params.energy.*event.cost) * kPicojoule;
  const EnergyParams& e = params.energy;
  breakdown.static_j = (e.gpu_static_w + e.hbm_static_w * double(params.hbm.stacks) + e.cpu_static_w) * seconds;
  return breakdown;
}

AreaReport area_of(const PlatformParams& params) {
  const models::PimUnitConfig& unit = params.pim.unit;
  const AreaParams& a = params.area;
  constexpr double kUm2PerMm2 = 1e6;
  AreaReport area;
  area.bank_pe_sram_bytes = double(unit.codebook_sram_bytes + unit.lut_sram_bytes) + 4.0 * double(unit.histogram_entries);
  area.bank_pe_register_bytes = 2.0 * double(unit.grf_entries);  // 16-bit lanes
  area.buffer_pe_sram_bytes = 4.0 * double(unit.buffer_accumulator_entries) + double(unit.io_buffer_bytes);
  area.bank_pe_macs = unit.macs_per_unit;
  area.buffer_pe_macs = unit.buffer_macs;
  area.per_bank_pe_storage = kBitsPerByte *
                             (area.bank_pe_sram_bytes * a.sram_um2_per_bit + area.bank_pe_register_bytes * a.register_um2_per_bit) /
                             kUm2PerMm2;
  area.per_bank_pe = area.per_bank_pe_storage + area.bank_pe_macs * a.mac_um2 / kUm2PerMm2;
  area.per_buffer_pe = (kBitsPerByte * area.buffer_pe_sram_bytes * a.sram_um2_per_bit + area.buffer_pe_macs * a.mac_um2) /
                       kUm2PerMm2;
  const double pseudo_channels = double(params.hbm.channels_per_stack) * double(params.hbm.pseudo_channels);
  const double banks = double(params.hbm.channel.bank_groups) * double(params.hbm.channel.banks_per_group);
  const double banks_per_pe = unit.placement == models::PimPlacement::bank ? 1.0 : double(params.hbm.channel.banks_per_group);
  area.bank_pes_per_stack = pseudo_channels * banks / banks_per_pe;
  area.buffer_pes_per_stack = pseudo_channels;  // one buffer-die PE per pseudo-channel's unit
  area.per_stack = area.bank_pes_per_stack * area.per_bank_pe + area.buffer_pes_per_stack * area.per_buffer_pe;
  const auto sram_mm2 = [&](double bytes) { return kBitsPerByte * bytes * a.sram_um2_per_bit / kUm2PerMm2; };
  const double register_mm2 = kBitsPerByte * area.bank_pe_register_bytes * a.register_um2_per_bit / kUm2PerMm2;
  area.storage_per_stack =
      area.bank_pes_per_stack * area.per_bank_pe_storage + area.buffer_pes_per_stack * sram_mm2(area.buffer_pe_sram_bytes);
  area.register_file_per_stack = area.bank_pes_per_stack * register_mm2;
  if (params.sim.design == Design::aqpim) {
    const PimSramNeeds needs = pim_sram_needs(params);
    area.bank_pe_sram_bytes_needed = double(needs.codebook_bytes + needs.lut_bytes) + 4.0 * double(needs.accumulator_entries);
    area.per_bank_pe_storage_needed = sram_mm2(area.bank_pe_sram_bytes_needed) + register_mm2;
    area.storage_per_stack_needed = area.bank_pes_per_stack * area.per_bank_pe_storage_needed +
                                    area.buffer_pes_per_stack * sram_mm2(4.0 * double(needs.buffer_accumulator_entries));
  }
  return area;
}

nlohmann::json energy_json(const EnergyReport& energy, double decode_steps) {
  const EnergyBreakdown total = sum(energy.prefill, energy.decode);
  return {{"total", total.total()},
          {"prefill", energy.prefill.total()},
          {"decode", energy.decode.total()},
          {"decode_per_step", decode_steps > 0 ? energy.decode.total() / decode_steps : 0.0},
          {"static", total.static_j},
          {"components", components_json(total)},
          {"prefill_components", components_json(energy.prefill)},
          {"decode_components", components_json(energy.decode)}};
}

nlohmann::json energy_events_json(const EnergyReport& energy) {
  nlohmann::json events = nlohmann::json::object();
  for (const EventRow& event : kEvents)
    events[event.name] = {{"prefill", energy.prefill_events[size_t(event.event)]},
                          {"decode", energy.decode_events[size_t(event.event)]}};
  return events;
}

nlohmann::json area_json(const AreaReport& area) {
  return {{"per_bank_pe", area.per_bank_pe},
          {"per_bank_pe_storage", area.per_bank_pe_storage},
          {"per_buffer_pe", area.per_buffer_pe},
          {"per_stack", area.per_stack},
          {"storage_per_stack", area.storage_per_stack},
          {"register_file_per_stack", area.register_file_per_stack},
          {"per_bank_pe_storage_needed", area.per_bank_pe_storage_needed},
          {"storage_per_stack_needed", area.storage_per_stack_needed},
          {"bank_pes_per_stack", area.bank_pes_per_stack},
          {"buffer_pes_per_stack", area.buffer_pes_per_stack},
          {"bytes", {{"bank_pe_sram", area.bank_pe_sram_bytes},
                     {"bank_pe_register_file", area.bank_pe_register_bytes},
                     {"buffer_pe_sram", area.buffer_pe_sram_bytes},
                     {"bank_pe_sram_needed", area.bank_pe_sram_bytes_needed}}}};
}

std::string energy_text(const EnergyReport& energy, const AreaReport& area, double decode_steps) {
  const EnergyBreakdown total = sum(energy.prefill, energy.decode);
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "Energy (counted events x energy.*)   total %.4g J: prefill %.4g J, decode %.4g J (%.4g J per step)\n",
                total.total(), energy.prefill.total(), energy.decode.total(),
                decode_steps > 0 ? energy.decode.total() / decode_steps : 0.0);
  out << line;
  std::snprintf(line, sizeof line, "  %-16s %14s %14s\n", "component", "prefill", "decode");
  out << line;
  for (const EventRow& event : kEvents) {
    const double prefill = energy.prefill.event_j[size_t(event.event)], decode = energy.decode.event_j[size_t(event.event)];
    if (prefill == 0.0 && decode == 0.0) continue;
    std::snprintf(line, sizeof line, "  %-16s %12.4g J %12.4g J\n", event.name, prefill, decode);
    out << line;
  }
  std::snprintf(line, sizeof line, "  %-16s %12.4g J %12.4g J\n", "static", energy.prefill.static_j, energy.decode.static_j);
  out << line;
  std::snprintf(line, sizeof line,
                "Area (pim.unit sizes x area.*)   bank PE %.4f mm^2 (SRAM + GRF %.4f), buffer PE %.4f mm^2, per stack "
                "%.2f mm^2\n",
                area.per_bank_pe, area.per_bank_pe_storage, area.per_buffer_pe, area.per_stack);
  out << line;
  std::snprintf(line, sizeof line, "  per stack: SRAM + GRF %.2f mm^2, GRF alone %.3f mm^2", area.storage_per_stack,
                area.register_file_per_stack);
  out << line;
  if (area.storage_per_stack_needed > 0) {
    std::snprintf(line, sizeof line, ", SRAM + GRF this mapping needs %.2f mm^2", area.storage_per_stack_needed);
    out << line;
  }
  out << "\n";
  return out.str();
}

}  // namespace aqpim::platform
