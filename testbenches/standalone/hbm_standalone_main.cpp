// Stand-alone use of the HBM3 pseudo-channel model in a plain sc_main: one tiny initiator, the channel,
// nothing from the rest of the platform. Prints the bandwidth of a bulk read and of a stream of blocking
// 64-byte reads issued through a quantum keeper. Exit status 0 when every access succeeded and the bulk read
// ran at the bus peak less refresh (32 bits x 6.4 Gbit/s x (1 - tRFC / tREFI)), within 10 %.
#include <cstdio>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "models/hbm3_pseudo_channel.h"

namespace {

class StreamReader : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<StreamReader> socket;
  bool all_ok = true;

  SC_HAS_PROCESS(StreamReader);
  explicit StreamReader(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") { SC_THREAD(run); }

 private:
  bool read(uint64_t address, unsigned char* data, unsigned length, sc_core::sc_time& delay) {
    tlm::tlm_generic_payload payload;
    payload.set_command(tlm::TLM_READ_COMMAND);
    payload.set_address(address);
    payload.set_data_ptr(data);
    payload.set_data_length(length);
    payload.set_streaming_width(length);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(payload, delay);
    return payload.is_response_ok();
  }

  void run() {
    constexpr unsigned kBulk = 1 << 20;
    std::vector<unsigned char> buffer(kBulk);
    sc_core::sc_time delay;
    all_ok &= read(0, buffer.data(), kBulk, delay);
    const double achieved = kBulk / delay.to_seconds() / 1e9;
    // The HBM3 6400 defaults: 25.6 GB/s on the bus, refresh blocking 320 of every 6240 tCK.
    const double ceiling = 32 * 6.4 / 8 * (1.0 - 320.0 / 6240.0);
    const bool at_peak = achieved <= ceiling && achieved >= 0.9 * ceiling;
    all_ok &= at_peak;
    std::printf("bulk read of %u bytes: %.3f us, %.2f GB/s (%s %.2f GB/s, the peak less refresh)\n", kBulk,
                delay.to_seconds() * 1e6, achieved, at_peak ? "within 10 % of" : "NOT within 10 % of", ceiling);
    wait(delay);

    tlm_utils::tlm_quantumkeeper keeper;
    keeper.set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
    keeper.reset();
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    constexpr unsigned kRequests = 4096;
    for (unsigned i = 0; i < kRequests; ++i) {
      sc_core::sc_time local = keeper.get_local_time();
      all_ok &= read(uint64_t(i) * 64, buffer.data(), 64, local);
      keeper.set(local);
      if (keeper.need_sync()) keeper.sync();
    }
    keeper.sync();
    const double seconds = (sc_core::sc_time_stamp() - start).to_seconds();
    std::printf("%u blocking 64-byte reads: %.1f ns each, %.2f GB/s\n", kRequests, seconds / kRequests * 1e9,
                kRequests * 64.0 / seconds / 1e9);
  }
};

}  // namespace

int sc_main(int, char**) {
  aqpim::models::Hbm3PseudoChannelConfig config;  // HBM3 6400 defaults
  config.address_mapping = aqpim::hwif::HbmAddressMapping::RoCoBaBgCh;
  aqpim::models::Hbm3PseudoChannel channel("hbm", config);
  StreamReader reader("reader");
  reader.socket.bind(channel.target_socket);
  sc_core::sc_start();
  const auto total = channel.statistics().total();
  std::printf("activations %llu, column reads %llu, row-hit rate %.3f (peak %.1f GB/s)\n",
              static_cast<unsigned long long>(total.activations), static_cast<unsigned long long>(total.reads),
              total.row_hit_rate(), config.data_width_bits * config.data_rate_gbps / 8);
  return reader.all_ok ? 0 : 1;
}
