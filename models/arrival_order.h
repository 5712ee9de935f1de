// Arrival-time ordering for LT targets shared by several initiators. A blocking target is called in the
// order the initiators' threads run, and a temporally decoupled initiator calls with a local time ahead of
// the others: a target that keeps a queue (a channel's banks and bus, a memory's pipe) would serve it first.
// Waiting inside b_transport until the request's own arrival time lets the SystemC scheduler order the
// requests by time, so each is timed when its time has come. Must be called from a thread (b_transport may
// wait under the LT rules).
#pragma once

#include <systemc>

namespace aqpim::models {

inline void synchronise_to_arrival(sc_core::sc_time& delay) {
  if (delay <= sc_core::SC_ZERO_TIME) return;
  sc_core::wait(delay);
  delay = sc_core::SC_ZERO_TIME;
}

}  // namespace aqpim::models
