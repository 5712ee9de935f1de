// Pattern for SystemC benchmarks: elaborate once in main (one elaboration per process), finish
// elaboration with sc_start(SC_ZERO_TIME), then let Google Benchmark drive the sockets directly. Targets
// on the LT path never wait(), so calling b_transport from outside a process is legal here.
#include <benchmark/benchmark.h>

#include "harness/tlm_test_parts.h"
#include "models/address_router.h"

namespace {

aqpim::test::TestInitiator* initiator = nullptr;

void BM_RoutedBTransport(benchmark::State& state) {
  uint64_t data = 0;
  sc_core::sc_time delay;
  uint64_t address = 0x1000;
  for (auto _ : state) {
    initiator->access(tlm::TLM_READ_COMMAND, address, &data, 8, delay);
    address = 0x1000 + ((address + 64) & 0xfff);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RoutedBTransport);

}  // namespace

int sc_main(int argc, char** argv) {
  using namespace sc_core;
  auto* router = new aqpim::models::AddressRouter("router", sc_time(1, SC_NS));
  auto* memory = new aqpim::test::TestMemory("memory", 0x1000, sc_time(10, SC_NS));
  initiator = new aqpim::test::TestInitiator("initiator", [](aqpim::test::TestInitiator&) {});
  initiator->socket.bind(router->target_socket);
  router->initiator_socket.bind(memory->socket);
  router->map(0, 0x1000, 0x1000, "memory");
  sc_start(SC_ZERO_TIME);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
