// Provokes one kind of error inside a simulation (argv[1] names it) under the aqpim binary's own entry
// path: its report handler and guarded(). test_sim_errors runs it once per kind and expects one line on
// stderr and exit 1, never an abort or a core dump. "clean" runs an error-free simulation (exit 0).
#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include <systemc>

#include "apps/cli_options.h"
#include "harness/tlm_test_parts.h"
#include "models/address_router.h"
#include "models/pim_plan.h"

namespace {

// A module whose one process (thread or method) runs `body` 5 ns into the simulation.
class Faulty : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Faulty);
  Faulty(sc_core::sc_module_name name, std::function<void()> body, bool method)
      : sc_core::sc_module(name), body_(std::move(body)) {
    if (method) {
      SC_METHOD(method_body);
      sensitive << tick_;
      dont_initialize();
    } else {
      SC_THREAD(thread_body);
    }
    SC_THREAD(ticker);
  }

 private:
  void thread_body() {
    wait(5, sc_core::SC_NS);
    body_();
  }
  void method_body() { body_(); }
  void ticker() {
    wait(5, sc_core::SC_NS);
    tick_.notify();
  }

  std::function<void()> body_;
  sc_core::sc_event tick_;
};

void build(const std::string& kind) {
  const std::map<std::string, std::pair<std::function<void()>, bool>> faults = {
      {"clean", {[] {}, false}},
      {"report_error", {[] { SC_REPORT_ERROR("probe/model", "a model reported an error"); }, false}},
      {"report_fatal", {[] { SC_REPORT_FATAL("probe/model", "a model reported a fatal error"); }, false}},
      {"thread_exception", {[] { throw std::runtime_error("a thread threw"); }, false}},
      {"method_exception", {[] { throw std::out_of_range("a method threw"); }, true}},
      // A model's invariant check (sc_assert is compiled out in release builds; the models throw).
      {"invariant", {[] {
                       aqpim::models::pim::BankStreams streams;
                       for (int i = 0; i < 5; ++i) streams.push_back({});
                     },
                     false}},
  };
  if (kind == "router_elaboration") {
    // A real model's elaboration check: a route to target 3 of a router with one target bound.
    auto* router = new aqpim::models::AddressRouter("router");
    auto* memory = new aqpim::test::TestMemory("memory", 4096, sc_core::SC_ZERO_TIME);
    auto* initiator = new aqpim::test::TestInitiator("initiator", [](aqpim::test::TestInitiator&) {});
    initiator->socket.bind(router->target_socket);
    router->initiator_socket.bind(memory->socket);
    router->map(3, 0, 4096, "missing");
    return;
  }
  const auto fault = faults.find(kind);
  if (fault == faults.end()) throw aqpim::apps::UsageError("unknown probe '" + kind + "'");
  new Faulty("faulty", fault->second.first, fault->second.second);  // modules outlive the kernel
}

}  // namespace

int sc_main(int argc, char** argv) {
  const std::string kind = argc > 1 ? argv[1] : "";
  return aqpim::apps::guarded([&] {
    build(kind);
    sc_core::sc_start();
    return aqpim::apps::kExitOk;
  });
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  aqpim::apps::install_report_handler();
  return sc_core::sc_elab_and_sim(argc, argv);
}
