#include "models/address_router.h"

#include <algorithm>
#include <stdexcept>

namespace aqpim::models {

AddressRouter::AddressRouter(sc_core::sc_module_name name, sc_core::sc_time routing_latency)
    : sc_core::sc_module(name),
      target_socket("target_socket"),
      initiator_socket("initiator_socket"),
      routing_latency_(routing_latency) {
  target_socket.register_b_transport(this, &AddressRouter::b_transport);
  target_socket.register_get_direct_mem_ptr(this, &AddressRouter::get_direct_mem_ptr);
  target_socket.register_transport_dbg(this, &AddressRouter::transport_dbg);
  initiator_socket.register_invalidate_direct_mem_ptr(this, &AddressRouter::invalidate_direct_mem_ptr);
}

void AddressRouter::map(unsigned target_index, uint64_t base, uint64_t size, const std::string& target_name) {
  if (size == 0) throw std::invalid_argument(std::string(name()) + ": empty range for target " + target_name);
  if (base + size < base) throw std::invalid_argument(std::string(name()) + ": range of " + target_name + " wraps");
  for (const auto& route : routes_) {
    if (base < route.base + route.size && route.base < base + size)
      throw std::invalid_argument(std::string(name()) + ": range of '" + target_name + "' overlaps '" +
                                  route.target_name + "'");
  }
  routes_.push_back({target_index, base, size, target_name});
  std::sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) { return a.base < b.base; });
}

void AddressRouter::end_of_elaboration() {
  for (const auto& route : routes_) {
    if (route.target_index >= initiator_socket.size())
      SC_REPORT_ERROR(name(), ("route '" + route.target_name + "' names target " + std::to_string(route.target_index) +
                               " but only " + std::to_string(initiator_socket.size()) + " are bound")
                                  .c_str());
  }
}

const AddressRouter::Route* AddressRouter::decode(uint64_t address, uint64_t length) const {
  const auto inside = [&](const Route& route) { return address >= route.base && address - route.base < route.size; };
  if (last_route_ >= routes_.size() || !inside(routes_[last_route_])) {
    auto after = std::upper_bound(routes_.begin(), routes_.end(), address,
                                  [](uint64_t a, const Route& route) { return a < route.base; });
    if (after == routes_.begin()) return nullptr;
    last_route_ = size_t(after - routes_.begin()) - 1;
  }
  const Route& route = routes_[last_route_];
  const uint64_t offset = address - route.base;
  if (offset >= route.size || length > route.size - offset) return nullptr;
  return &route;
}

void AddressRouter::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const uint64_t address = payload.get_address();
  const Route* route = decode(address, payload.get_data_length());
  if (!route) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  delay += routing_latency_;
  payload.set_address(address - route->base);
  initiator_socket[route->target_index]->b_transport(payload, delay);
  payload.set_address(address);
}

bool AddressRouter::get_direct_mem_ptr(int, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
  const uint64_t address = payload.get_address();
  const Route* route = decode(address, 1);
  if (!route) return false;
  payload.set_address(address - route->base);
  const bool granted = initiator_socket[route->target_index]->get_direct_mem_ptr(payload, dmi);
  payload.set_address(address);
  // Whether granted or not, the region describes the target's local space: translate and clip it.
  const uint64_t route_end = route->base + route->size - 1;
  dmi.set_start_address(std::min<uint64_t>(dmi.get_start_address() + route->base, route_end));
  dmi.set_end_address(std::min<uint64_t>(dmi.get_end_address() + route->base, route_end));
  return granted;
}

unsigned int AddressRouter::transport_dbg(int, tlm::tlm_generic_payload& payload) {
  const uint64_t address = payload.get_address();
  const Route* route = decode(address, payload.get_data_length());
  if (!route) return 0;
  payload.set_address(address - route->base);
  const unsigned int bytes = initiator_socket[route->target_index]->transport_dbg(payload);
  payload.set_address(address);
  return bytes;
}

void AddressRouter::invalidate_direct_mem_ptr(int target_id, sc_dt::uint64 start, sc_dt::uint64 end) {
  for (const auto& route : routes_) {
    if (route.target_index != unsigned(target_id)) continue;
    const uint64_t global_start = route.base + std::min<uint64_t>(start, route.size - 1);
    const uint64_t global_end = route.base + std::min<uint64_t>(end, route.size - 1);
    for (unsigned i = 0; i < target_socket.size(); ++i)
      target_socket[i]->invalidate_direct_mem_ptr(global_start, global_end);
  }
}

}  // namespace aqpim::models
