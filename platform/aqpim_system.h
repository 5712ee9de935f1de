// The modeled machine as one SystemC module: the host (firmware + GPU roofline) on a system router that
// reaches the PIM stack (HBM3 pseudo-channels with their PIM units) and, over the PCIe link, the CPU memory
// holding offloaded KV. Built from model config structs (system_config.h converts user parameters).
#pragma once

#include <functional>
#include <memory>

#include <systemc>

#include "hwif/platform_view.h"
#include "models/address_router.h"
#include "models/cpu_memory.h"
#include "models/host.h"
#include "models/pcie_link.h"
#include "platform/pim_stack.h"

namespace aqpim::platform {

struct SystemConfig {
  PimStackConfig stack;
  models::HostConfig host;
  models::PcieLinkConfig pcie;
  models::CpuMemoryConfig cpu_memory;
  // Where the CPU memory sits in the host's address space (the PIM stack starts at 0).
  static constexpr uint64_t cpu_memory_base = uint64_t(1) << 46;
};

class AqpimSystem : public sc_core::sc_module {
 public:
  // The firmware needs the platform's view (addresses, geometry), known only once the stack exists.
  using ProgramFactory = std::function<models::Host::Program(const hwif::PlatformView&)>;

  AqpimSystem(sc_core::sc_module_name name, const SystemConfig& config, const ProgramFactory& make_program);

  const hwif::PlatformView& view() const { return view_; }
  const models::Host& host() const { return *host_; }
  models::Host& host() { return *host_; }
  const PimStack& stack() const { return stack_; }
  const models::PcieLink& pcie() const { return pcie_; }
  const models::CpuMemory& cpu_memory() const { return cpu_memory_; }
  const SystemConfig& config() const { return config_; }
  // Wires a timeline sink into the host, the PCIe link and every PIM unit; call before sc_start.
  void set_trace_sink(hwif::TraceSink* sink);

 private:
  SystemConfig config_;
  models::AddressRouter router_;
  PimStack stack_;
  models::PcieLink pcie_;
  models::CpuMemory cpu_memory_;
  hwif::PlatformView view_;
  std::unique_ptr<models::Host> host_;
};

}  // namespace aqpim::platform
