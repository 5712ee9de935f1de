// The PIM unit's opcodes, one table entry each: name, what it does (for the reference in docs/models-pim.md),
// its plan (operand checks, bank streams, operation counts: models/pim_plan.h) and its functional result
// (models/pim_datapath.h). Adding an opcode is an enumerator in hwif/pim_commands.h and one entry here.
// Plain C++, no SystemC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "models/pim_datapath.h"
#include "models/pim_plan.h"

namespace aqpim::models::pim {

struct OpcodeSpec {
  Opcode opcode;
  std::string_view name;
  std::string_view summary;  // operands and result, as the reference table shows them
  // Checks the descriptor's fields and fills the plan; false after Planner::fail().
  bool (*plan)(Planner& planner);
  // The functional result: once for the unit (null: none), then per selected PE (null: none).
  void (*compute_unit)(const ComputeStep& step);
  void (*compute_pe)(const ComputeStep& step, const PeOperands& operands, ProcessingElement& pe);
};

// Null for a value no opcode has.
const OpcodeSpec* find_opcode(uint32_t opcode);
// "unknown" for a value no opcode has.
std::string_view opcode_name(uint32_t opcode);
// The opcode numbers as a Markdown table, and the whole host interface (registers, windows, opcodes):
// docs/models-pim.md embeds the latter (`aqpim pim-reference`), and a test keeps them equal.
std::string opcode_reference_markdown();
std::string pim_reference_markdown();

}  // namespace aqpim::models::pim
