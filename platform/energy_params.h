// Energy per counted event and area per bit and per MAC: the `energy.*` and `area.*` parameters. Defaults
// and their public sources are in docs/energy.md (mostly AttAcc's public simulator energy table).
#pragma once

#include <vector>

namespace aqpim::platform {

struct ParamSpec;
struct PlatformParams;

struct EnergyParams {
  double hbm_activate_pj = 901.12;         // one row activation + precharge of a 1 KiB row
  double hbm_read_pj_per_bit = 3.48;       // cell to interposer, through the external bus
  double hbm_write_pj_per_bit = 3.48;
  double hbm_bank_read_pj_per_bit = 0.44;  // cell to the bank's PE only
  double hbm_bank_write_pj_per_bit = 0.44;
  double pim_mac_pj = 0.32;                // one FP16 MAC-lane operation of a bank PE
  double pim_buffer_op_pj = 0.32;          // one operation of the buffer-die PE
  double pim_sram_pj_per_bit = 0.16;       // codebook / LUT / accumulator SRAM traffic
  double pim_grf_pj_per_bit = 0.0084375;   // register file (code indices)
  double pim_link_pj_per_bit = 2.74;       // bank PE <-> buffer die
  double pcie_pj_per_bit = 1.3;
  double cpu_memory_pj_per_bit = 14.0;
  double gpu_pj_per_flop = 0.16;
  double gpu_hbm_pj_per_bit = 3.59;
  double gpu_static_w = 0.0;
  double hbm_static_w = 0.0;  // per HBM stack
  double cpu_static_w = 0.0;
};

struct AreaParams {
  double sram_um2_per_bit = 0.848;      // SRAM macro incl. periphery
  double register_um2_per_bit = 1.0016; // a small register-file-sized array
  double mac_um2 = 3000.0;              // one FP16 multiplier + adder
};

// Appends the energy.* and area.* rows to the parameter table (platform/param_table.cpp).
void add_energy_and_area_parameters(std::vector<ParamSpec>& table, PlatformParams& params);

}  // namespace aqpim::platform
