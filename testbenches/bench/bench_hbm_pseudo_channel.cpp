// Simulation speed of one HBM3 pseudo-channel: 1,000,000 64-byte reads per iteration through b_transport
// from a quantum-keeper initiator (1 us quantum), sequential and random addresses. Unlike the
// elaborate-then-drive pattern in docs/testing.md, the benchmarks run inside an SC_THREAD, so the quantum
// keeper can really synchronise (wait()) as an LT initiator does; elaboration still happens once.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "models/hbm3_pseudo_channel.h"

namespace {

constexpr size_t kRequests = 1'000'000;
constexpr unsigned kRequestBytes = 64;

class BenchmarkDriver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<BenchmarkDriver> socket;

  SC_HAS_PROCESS(BenchmarkDriver);
  explicit BenchmarkDriver(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") {
    SC_THREAD(run);
    set_stack_size(64 << 20);  // Google Benchmark's own bookkeeping runs on this coroutine stack
  }

 private:
  void run() {
    benchmark::RunSpecifiedBenchmarks();
    sc_core::sc_stop();
  }
};

BenchmarkDriver* driver = nullptr;
aqpim::models::Hbm3PseudoChannel* channel = nullptr;

void read_stream(benchmark::State& state, const std::vector<uint64_t>& addresses, bool with_data) {
  unsigned char buffer[kRequestBytes];
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_data_ptr(with_data ? buffer : nullptr);
  payload.set_data_length(kRequestBytes);
  payload.set_streaming_width(kRequestBytes);
  tlm_utils::tlm_quantumkeeper keeper;
  keeper.reset();
  channel->reset_statistics();
  const sc_core::sc_time simulated_start = sc_core::sc_time_stamp();
  for (auto _ : state) {
    for (uint64_t address : addresses) {
      payload.set_address(address);
      payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time local = keeper.get_local_time();
      driver->socket->b_transport(payload, local);
      keeper.set(local);
      if (keeper.need_sync()) keeper.sync();
    }
  }
  keeper.sync();
  if (!payload.is_response_ok()) state.SkipWithError("read failed");
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(addresses.size()));
  state.counters["simulated_us"] = (sc_core::sc_time_stamp() - simulated_start).to_seconds() * 1e6;
  state.counters["row_hit_rate"] = channel->statistics().total().row_hit_rate();
}

std::vector<uint64_t> sequential_addresses() {
  std::vector<uint64_t> addresses(kRequests);
  for (size_t i = 0; i < kRequests; ++i) addresses[i] = uint64_t(i) * kRequestBytes;
  return addresses;
}

std::vector<uint64_t> random_addresses() {
  std::vector<uint64_t> addresses(kRequests);
  std::mt19937_64 random(1);
  const uint64_t slots = channel->capacity_bytes() / kRequestBytes;
  for (auto& address : addresses) address = (random() % slots) * kRequestBytes;
  return addresses;
}

void BM_SequentialReads64B(benchmark::State& state) {
  static const auto addresses = sequential_addresses();
  read_stream(state, addresses, true);
}
BENCHMARK(BM_SequentialReads64B)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_RandomReads64B(benchmark::State& state) {
  static const auto addresses = random_addresses();
  read_stream(state, addresses, true);
}
BENCHMARK(BM_RandomReads64B)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_SequentialReads64BTimingOnly(benchmark::State& state) {
  static const auto addresses = sequential_addresses();
  read_stream(state, addresses, false);
}
BENCHMARK(BM_SequentialReads64BTimingOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace

int sc_main(int argc, char** argv) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
  channel = new aqpim::models::Hbm3PseudoChannel("hbm");  // HBM3 6400 defaults
  driver = new BenchmarkDriver("driver");
  driver->socket.bind(channel->target_socket);
  benchmark::Initialize(&argc, argv);
  sc_core::sc_start();
  benchmark::Shutdown();
  return 0;
}
