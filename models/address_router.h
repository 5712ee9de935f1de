// Loosely-timed address decoder: any number of initiators, any number of targets, each target mapped at
// one address range. Addresses are rebased to the target's local space on the way in and DMI regions
// are translated back to the global space on the way out, so targets never know where they are mapped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace aqpim::models {

class AddressRouter : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<AddressRouter> target_socket;
  tlm_utils::multi_passthrough_initiator_socket<AddressRouter> initiator_socket;

  // routing_latency is added to every b_transport (decode + crossbar traversal).
  AddressRouter(sc_core::sc_module_name name, sc_core::sc_time routing_latency = sc_core::SC_ZERO_TIME);

  // Maps initiator_socket[target_index] at [base, base + size). Ranges must not overlap; call before
  // the simulation starts. Throws std::invalid_argument naming the clash.
  void map(unsigned target_index, uint64_t base, uint64_t size, const std::string& target_name = "");

  struct Route {
    unsigned target_index;
    uint64_t base;
    uint64_t size;
    std::string target_name;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  void b_transport(int initiator_id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int initiator_id, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(int initiator_id, tlm::tlm_generic_payload& payload);
  void invalidate_direct_mem_ptr(int target_id, sc_dt::uint64 start, sc_dt::uint64 end);
  void end_of_elaboration() override;

  // The route holding the whole access [address, address + length), or nullptr.
  const Route* decode(uint64_t address, uint64_t length) const;

  sc_core::sc_time routing_latency_;
  std::vector<Route> routes_;  // sorted by base
  // Firmware talks to one unit many times in a row: the route that matched last is tried first.
  mutable size_t last_route_ = 0;
};

}  // namespace aqpim::models
