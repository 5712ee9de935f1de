// Compiled twice by the tests (testbenches/tests_pim.cmake): bound to a channel's bank socket it must
// compile; with AQPIM_BIND_TO_PLAIN_MEMORY, bound to an ordinary TLM target, it must not.
#include <tlm_utils/simple_target_socket.h>

#include "models/hbm3_pseudo_channel.h"
#include "models/pim_unit.h"

namespace {

struct PlainMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<PlainMemory> socket{"socket"};
  explicit PlainMemory(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
};

[[maybe_unused]] void bind_bank_socket() {
  aqpim::models::PimUnit unit("unit", aqpim::models::PimUnitConfig{});
#ifdef AQPIM_BIND_TO_PLAIN_MEMORY
  PlainMemory memory("memory");
  unit.bank_socket.bind(memory.socket);
#else
  aqpim::models::Hbm3PseudoChannel channel("channel");
  unit.bank_socket.bind(channel.bank_socket);
#endif
}

}  // namespace
