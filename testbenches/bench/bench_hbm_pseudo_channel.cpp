// Simulation speed of one HBM3 pseudo-channel: 1,000,000 64-byte reads per iteration through b_transport
// from a quantum-keeper initiator (1 us quantum), sequential and random addresses, for each scheduler
// (hbm.scheduler). Two shapes: "blocking", as an LT initiator issues them (each request's delay added to
// local time, so one request at a time), and "all at once" (every request of an iteration arriving at the
// same time, the shape that shows a scheduler's bandwidth; the iteration then waits for the last one).
// Unlike the elaborate-then-drive pattern in docs/testing.md, the benchmarks run inside an SC_THREAD, so
// the quantum keeper can really synchronise (wait()) as an LT initiator does; elaboration happens once.
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

using aqpim::models::HbmScheduler;

class BenchmarkDriver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<BenchmarkDriver> in_order;
  tlm_utils::simple_initiator_socket<BenchmarkDriver> bank_parallel;

  SC_HAS_PROCESS(BenchmarkDriver);
  explicit BenchmarkDriver(sc_core::sc_module_name name)
      : sc_core::sc_module(name), in_order("in_order"), bank_parallel("bank_parallel") {
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
aqpim::models::Hbm3PseudoChannel* channels[2] = {nullptr, nullptr};  // by HbmScheduler

enum class Shape { Blocking, AllAtOnce };

void read_stream(benchmark::State& state, const std::vector<uint64_t>& addresses, bool with_data,
                 HbmScheduler scheduler, Shape shape) {
  auto& socket = scheduler == HbmScheduler::InOrder ? driver->in_order : driver->bank_parallel;
  aqpim::models::Hbm3PseudoChannel& channel = *channels[int(scheduler)];
  unsigned char buffer[kRequestBytes];
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_data_ptr(with_data ? buffer : nullptr);
  payload.set_data_length(kRequestBytes);
  payload.set_streaming_width(kRequestBytes);
  tlm_utils::tlm_quantumkeeper keeper;
  keeper.reset();
  channel.reset_statistics();
  const sc_core::sc_time simulated_start = sc_core::sc_time_stamp();
  double busy_seconds = 0;
  for (auto _ : state) {
    sc_core::sc_time longest = sc_core::SC_ZERO_TIME;
    for (uint64_t address : addresses) {
      payload.set_address(address);
      payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time local = shape == Shape::Blocking ? keeper.get_local_time() : sc_core::SC_ZERO_TIME;
      socket->b_transport(payload, local);
      if (shape == Shape::AllAtOnce) {
        longest = std::max(longest, local);
        continue;
      }
      keeper.set(local);
      if (keeper.need_sync()) keeper.sync();
    }
    if (shape == Shape::AllAtOnce) {  // let the channel drain before the next iteration
      busy_seconds += longest.to_seconds();
      sc_core::wait(longest);
    }
  }
  keeper.sync();
  if (!payload.is_response_ok()) state.SkipWithError("read failed");
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(addresses.size()));
  state.counters["simulated_us"] = (sc_core::sc_time_stamp() - simulated_start).to_seconds() * 1e6;
  state.counters["row_hit_rate"] = channel.statistics().total().row_hit_rate();
  if (shape == Shape::AllAtOnce)
    state.counters["GB_per_s"] = double(kRequestBytes) * double(addresses.size()) * double(state.iterations()) /
                                 busy_seconds / 1e9;
}

std::vector<uint64_t> sequential_addresses() {
  std::vector<uint64_t> addresses(kRequests);
  for (size_t i = 0; i < kRequests; ++i) addresses[i] = uint64_t(i) * kRequestBytes;
  return addresses;
}

std::vector<uint64_t> random_addresses() {
  std::vector<uint64_t> addresses(kRequests);
  std::mt19937_64 random(1);
  const uint64_t slots = channels[0]->capacity_bytes() / kRequestBytes;
  for (auto& address : addresses) address = (random() % slots) * kRequestBytes;
  return addresses;
}

const std::vector<uint64_t>& sequential_stream() {
  static const auto addresses = sequential_addresses();
  return addresses;
}
const std::vector<uint64_t>& random_stream() {
  static const auto addresses = random_addresses();
  return addresses;
}

void BM_SequentialReads64B(benchmark::State& state) {
  read_stream(state, sequential_stream(), true, HbmScheduler::InOrder, Shape::Blocking);
}
BENCHMARK(BM_SequentialReads64B)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_RandomReads64B(benchmark::State& state) {
  read_stream(state, random_stream(), true, HbmScheduler::InOrder, Shape::Blocking);
}
BENCHMARK(BM_RandomReads64B)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_SequentialReads64BTimingOnly(benchmark::State& state) {
  read_stream(state, sequential_stream(), false, HbmScheduler::InOrder, Shape::Blocking);
}
BENCHMARK(BM_SequentialReads64BTimingOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_BankParallelSequentialReads64B(benchmark::State& state) {
  read_stream(state, sequential_stream(), true, HbmScheduler::BankParallel, Shape::Blocking);
}
BENCHMARK(BM_BankParallelSequentialReads64B)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_BankParallelRandomReads64B(benchmark::State& state) {
  read_stream(state, random_stream(), true, HbmScheduler::BankParallel, Shape::Blocking);
}
BENCHMARK(BM_BankParallelRandomReads64B)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_RandomReads64BAllAtOnce(benchmark::State& state) {
  read_stream(state, random_stream(), true, HbmScheduler::InOrder, Shape::AllAtOnce);
}
BENCHMARK(BM_RandomReads64BAllAtOnce)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_BankParallelRandomReads64BAllAtOnce(benchmark::State& state) {
  read_stream(state, random_stream(), true, HbmScheduler::BankParallel, Shape::AllAtOnce);
}
BENCHMARK(BM_BankParallelRandomReads64BAllAtOnce)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace

int sc_main(int argc, char** argv) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
  aqpim::models::Hbm3PseudoChannelConfig config;  // HBM3 6400 defaults
  channels[int(HbmScheduler::InOrder)] = new aqpim::models::Hbm3PseudoChannel("hbm_in_order", config);
  config.scheduler = HbmScheduler::BankParallel;
  channels[int(HbmScheduler::BankParallel)] = new aqpim::models::Hbm3PseudoChannel("hbm_bank_parallel", config);
  driver = new BenchmarkDriver("driver");
  driver->in_order.bind(channels[0]->target_socket);
  driver->bank_parallel.bind(channels[1]->target_socket);
  benchmark::Initialize(&argc, argv);
  sc_core::sc_start();
  benchmark::Shutdown();
  return 0;
}
