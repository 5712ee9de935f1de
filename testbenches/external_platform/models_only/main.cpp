// The smallest outside use of one model: an HBM3 pseudo-channel behind a user's initiator, which stores a
// word, overwrites its middle two bytes with byte enables and reads it back. Exit status 0 when the bytes
// are the ones byte enables promise.
#include <cstdint>
#include <cstdio>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <aqpim/models/hbm3_pseudo_channel.h>

struct User : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<User> socket;
  uint32_t word = 0;

  SC_HAS_PROCESS(User);
  explicit User(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") { SC_THREAD(run); }

  void access(tlm::tlm_command command, uint32_t* data, unsigned char* enables, sc_core::sc_time& delay) {
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(0x40);
    payload.set_data_ptr(reinterpret_cast<unsigned char*>(data));
    payload.set_data_length(4);
    payload.set_streaming_width(4);
    payload.set_byte_enable_ptr(enables);
    payload.set_byte_enable_length(enables ? 4 : 0);
    socket->b_transport(payload, delay);
  }

  void run() {
    sc_core::sc_time delay;
    uint32_t first = 0x11223344, second = 0xaabbccdd;
    unsigned char middle[4] = {TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
    access(tlm::TLM_WRITE_COMMAND, &first, nullptr, delay);
    access(tlm::TLM_WRITE_COMMAND, &second, middle, delay);
    access(tlm::TLM_READ_COMMAND, &word, nullptr, delay);
    wait(delay);
  }
};

int sc_main(int, char*[]) {
  aqpim::models::Hbm3PseudoChannelConfig config;
  config.rows_per_bank = 1024;
  auto* channel = new aqpim::models::Hbm3PseudoChannel("channel", config);
  auto* user = new User("user");
  user->socket.bind(channel->target_socket);
  sc_core::sc_start();
  const bool passed = tlm::get_host_endianness() != tlm::TLM_LITTLE_ENDIAN || user->word == 0x11bbcc44u;
  std::printf("models only: read 0x%08x at %s\n", unsigned(user->word), sc_core::sc_time_stamp().to_string().c_str());
  return passed ? 0 : 1;
}
