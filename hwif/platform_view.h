// What the firmware knows of the machine it runs on: where each PIM unit's registers and its pseudo-
// channel's memory sit in the host's address space, the PE count, the DRAM geometry and address mapping
// (the host writes KV into chosen banks, so it must know how addresses fall onto banks), and where the
// offload memory behind PCIe sits. The platform builder fills it; firmware never sees a model object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwif/hbm_address_mapping.h"
#include "hwif/pim_commands.h"

namespace aqpim::hwif {

struct PimUnitView {
  uint64_t registers_base = 0;  // the unit's register file and SRAM windows (hwif/pim_commands.h)
  uint64_t memory_base = 0;     // its pseudo-channel's memory, as the host addresses it
};

struct PlatformView {
  std::vector<PimUnitView> units;
  uint32_t pes_per_unit = 0;  // bank-level PEs per unit (= banks, or bank groups)
  uint32_t command_queue_entries = 1;  // descriptors each unit's command queue ring holds
  pim::RegisterMap register_map;       // where each unit's windows sit behind its registers_base
  HbmGeometry hbm;
  HbmAddressMapping mapping = HbmAddressMapping::RoBaBgCoCh;
  std::string address_bits;  // replaces `mapping` when not empty
  uint64_t cpu_memory_base = 0;  // offloaded KV, reached over PCIe
  uint64_t cpu_memory_bytes = 0;
};

}  // namespace aqpim::hwif
