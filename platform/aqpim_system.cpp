#include "platform/aqpim_system.h"

namespace aqpim::platform {

AqpimSystem::AqpimSystem(sc_core::sc_module_name name, const SystemConfig& config, const ProgramFactory& make_program)
    : sc_core::sc_module(name),
      config_(config),
      router_("router"),
      stack_("pim_stack", config.stack),
      pcie_("pcie", config.pcie),
      cpu_memory_("cpu_memory", config.cpu_memory) {
  router_.initiator_socket.bind(stack_.target_socket);
  router_.map(0, 0, config.stack.address_span(), "pim_stack");
  router_.initiator_socket.bind(pcie_.target_socket);
  router_.map(1, SystemConfig::cpu_memory_base, config.cpu_memory.capacity_bytes, "cpu_memory");
  pcie_.initiator_socket.bind(cpu_memory_.socket);

  view_ = stack_.view(0);
  view_.cpu_memory_base = SystemConfig::cpu_memory_base;
  view_.cpu_memory_bytes = config.cpu_memory.capacity_bytes;
  host_ = std::make_unique<models::Host>("host", config.host, make_program(view_));
  host_->socket.bind(router_.target_socket);
}

void AqpimSystem::set_trace_sink(hwif::TraceSink* sink) {
  host_->set_trace_sink(sink);
  for (uint32_t index = 0; index < stack_.size(); ++index) {
    stack_.unit(index).set_trace_sink(sink);
    stack_.channel(index).set_trace_sink(sink);
  }
  pcie_.set_trace_sink(sink);
}

}  // namespace aqpim::platform
