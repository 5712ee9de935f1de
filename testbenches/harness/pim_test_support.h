// Shared by the PIM testbenches: a command descriptor with the shape fields every test command carries.
#pragma once

#include <cstdint>

#include "hwif/pim_commands.h"

namespace aqpim::test {

inline hwif::pim::Command pim_command(hwif::pim::Opcode opcode, uint64_t pe_mask, uint32_t tokens,
                                        uint32_t sub_vectors, uint32_t clusters, uint32_t dim) {
  hwif::pim::Command command;
  command.opcode = uint32_t(opcode);
  command.pe_mask = pe_mask;
  command.count = tokens;
  command.sub_vectors = sub_vectors;
  command.clusters = clusters;
  command.dim = dim;
  return command;
}

}  // namespace aqpim::test
