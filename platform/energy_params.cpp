// The energy.* and area.* rows of the parameter table. Sources of every default: docs/energy.md.
#include "platform/energy_params.h"

#include "platform/params.h"

namespace aqpim::platform {

void add_energy_and_area_parameters(std::vector<ParamSpec>& table, PlatformParams& p) {
  EnergyParams& e = p.energy;
  AreaParams& a = p.area;
  const auto picojoules = [](double& field) { return real(field, 0.0, 1e9); };
  const auto watts = [](double& field) { return real(field, 0.0, 1e6); };
  std::vector<ParamSpec> rows = {
      {"energy.hbm_activate_pj", "pJ", "HBM row activation + precharge (1 KiB row).", picojoules(e.hbm_activate_pj)},
      {"energy.hbm_read_pj_per_bit", "pJ/bit", "HBM read over the external bus, cell to interposer.",
       picojoules(e.hbm_read_pj_per_bit)},
      {"energy.hbm_write_pj_per_bit", "pJ/bit", "HBM write over the external bus.", picojoules(e.hbm_write_pj_per_bit)},
      {"energy.hbm_bank_read_pj_per_bit", "pJ/bit", "HBM bank-side read into a bank PE.",
       picojoules(e.hbm_bank_read_pj_per_bit)},
      {"energy.hbm_bank_write_pj_per_bit", "pJ/bit", "HBM bank-side write from a bank PE.",
       picojoules(e.hbm_bank_write_pj_per_bit)},
      {"energy.pim_mac_pj", "pJ", "One FP16 MAC-lane operation of a bank PE.", picojoules(e.pim_mac_pj)},
      {"energy.pim_buffer_op_pj", "pJ", "One operation of the buffer-die PE.", picojoules(e.pim_buffer_op_pj)},
      {"energy.pim_sram_pj_per_bit", "pJ/bit", "PIM SRAM access (codebook, LUT, accumulators).",
       picojoules(e.pim_sram_pj_per_bit)},
      {"energy.pim_grf_pj_per_bit", "pJ/bit", "PIM register-file access (code indices).",
       picojoules(e.pim_grf_pj_per_bit)},
      {"energy.pim_link_pj_per_bit", "pJ/bit", "Bank PE <-> buffer-die transfer.", picojoules(e.pim_link_pj_per_bit)},
      {"energy.pcie_pj_per_bit", "pJ/bit", "GPU <-> CPU link transfer.", picojoules(e.pcie_pj_per_bit)},
      {"energy.cpu_memory_pj_per_bit", "pJ/bit", "CPU DRAM access (offloaded KV).", picojoules(e.cpu_memory_pj_per_bit)},
      {"energy.gpu_pj_per_flop", "pJ/FLOP", "GPU dense compute, per FLOP (a MAC is 2).", picojoules(e.gpu_pj_per_flop)},
      {"energy.gpu_hbm_pj_per_bit", "pJ/bit", "GPU's own HBM traffic (roofline bytes).", picojoules(e.gpu_hbm_pj_per_bit)},
      {"energy.gpu_static_w", "W", "GPU static power, charged over the whole run.", watts(e.gpu_static_w)},
      {"energy.hbm_static_w", "W", "Static power per HBM stack (hbm.stacks of them).", watts(e.hbm_static_w)},
      {"energy.cpu_static_w", "W", "CPU + DRAM static power, charged over the whole run.", watts(e.cpu_static_w)},
      {"area.sram_um2_per_bit", "um^2/bit", "SRAM area per bit, periphery included.", real(a.sram_um2_per_bit, 0.0, 1e6)},
      {"area.register_um2_per_bit", "um^2/bit", "Register-file area per bit.", real(a.register_um2_per_bit, 0.0, 1e6)},
      {"area.mac_um2", "um^2", "Area of one FP16 MAC lane (multiplier + adder).", real(a.mac_um2, 0.0, 1e9)},
  };
  table.insert(table.end(), rows.begin(), rows.end());
}

}  // namespace aqpim::platform
