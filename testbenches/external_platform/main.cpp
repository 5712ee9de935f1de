// Someone else's SystemC platform using our PIM stack as a library: their own initiator, on a 32-bit bus
// that gives each target a 28-bit window (as the Accellera TLM examples' bus does), writes fp16 rows into a
// pseudo-channel, asks the PIM unit of that channel for dot products (mac_dot), waits on the unit's FENCE
// register, and checks the scores against its own arithmetic. The stack uses the compact register map, so
// its memory and registers fit the window; every address the initiator sends is a uint32_t.
#include <cmath>
#include <cstdio>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <aqpim/core/fp16.h>
#include <aqpim/hwif/pim_commands.h>
#include <aqpim/models/address_router.h>
#include <aqpim/platform/pim_stack.h>

namespace pim = aqpim::hwif::pim;

struct UserInitiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<UserInitiator> socket;
  aqpim::hwif::PlatformView view;  // addresses of the stack as seen from this socket
  bool passed = false;

  SC_HAS_PROCESS(UserInitiator);
  explicit UserInitiator(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") { SC_THREAD(run); }

  bool access(tlm::tlm_command command, uint32_t address, void* data, unsigned length, sc_core::sc_time& delay) {
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(address);
    payload.set_data_ptr(static_cast<unsigned char*>(data));
    payload.set_data_length(length);
    payload.set_streaming_width(length);
    socket->b_transport(payload, delay);
    return payload.is_response_ok();
  }

  void run() {
    constexpr unsigned kDim = 64, kRowsPerBank = 4;
    const auto& unit = view.units.at(0);
    const unsigned banks = view.hbm.banks();
    const aqpim::hwif::HbmAddressMap map(view.mapping, view.hbm, view.address_bits);
    sc_core::sc_time delay;
    // Row r of bank b holds token b + r * banks: fp16 values the user chooses.
    std::vector<std::vector<float>> tokens(kRowsPerBank * banks, std::vector<float>(kDim));
    for (unsigned t = 0; t < tokens.size(); ++t)
      for (unsigned d = 0; d < kDim; ++d) tokens[t][d] = aqpim::core::round_to_fp16(std::sin(0.1f * t + 0.37f * d));
    for (unsigned t = 0; t < tokens.size(); ++t) {
      std::vector<aqpim::core::fp16_bits> bits(kDim);
      for (unsigned d = 0; d < kDim; ++d) bits[d] = aqpim::core::float_to_fp16(tokens[t][d]);
      const unsigned bank = t % banks, row_in_bank = t / banks;
      const uint64_t offset = row_in_bank * kDim * 2;  // bank-local byte offset; rows of 128 B within DRAM row 0
      for (uint64_t done = 0; done < kDim * 2; done += view.hbm.access_bytes) {
        aqpim::hwif::HbmLocation location{bank / view.hbm.banks_per_group, bank % view.hbm.banks_per_group, 0,
                                            (offset + done) / view.hbm.access_bytes};
        if (!access(tlm::TLM_WRITE_COMMAND, uint32_t(unit.memory_base + map.encode(location)),
                    reinterpret_cast<unsigned char*>(bits.data()) + done, unsigned(view.hbm.access_bytes), delay))
          return;
      }
    }
    std::vector<float> query(kDim);
    for (unsigned d = 0; d < kDim; ++d) query[d] = 0.01f * float(d) - 0.3f;
    access(tlm::TLM_WRITE_COMMAND, uint32_t(unit.registers_base + view.register_map.io_buffer()), query.data(), kDim * 4,
           delay);

    pim::Command dot;
    dot.opcode = uint32_t(pim::Opcode::mac_dot);
    dot.pe_mask = (uint64_t(1) << view.pes_per_unit) - 1;
    dot.count = kRowsPerBank;
    dot.sub_vectors = 1;
    dot.dim = kDim;
    dot.bank_offset = 0;
    dot.result_offset = 64 * 1024;  // fp32 scores, per bank
    if (!access(tlm::TLM_WRITE_COMMAND, uint32_t(unit.registers_base + pim::reg::command), &dot, sizeof dot, delay)) return;
    uint64_t completed = 0;
    access(tlm::TLM_READ_COMMAND, uint32_t(unit.registers_base + pim::reg::fence), &completed, 8, delay);
    wait(delay);

    size_t wrong = 0;
    for (unsigned t = 0; t < tokens.size(); ++t) {
      const unsigned bank = t % banks;
      float score = 0;
      aqpim::hwif::HbmLocation location{bank / view.hbm.banks_per_group, bank % view.hbm.banks_per_group,
                                          dot.result_offset / view.hbm.row_bytes, 0};
      access(tlm::TLM_READ_COMMAND, uint32_t(unit.memory_base + map.encode(location) + (t / banks) * 4), &score, 4, delay);
      float expected = 0;
      for (unsigned d = 0; d < kDim; ++d) expected += tokens[t][d] * query[d];
      wrong += std::fabs(score - expected) > 1e-4f * (1 + std::fabs(expected));
    }
    std::printf("external platform: %zu of %zu PIM dot products wrong, PIM done at %s\n", wrong, tokens.size(),
                sc_core::sc_time_stamp().to_string().c_str());
    passed = completed == 1 && wrong == 0;
  }
};

int sc_main(int, char*[]) {
  constexpr uint64_t kStackOnBus = 0x1000'0000, kBusWindow = 0x1000'0000;  // 28-bit windows of a 32-bit bus
  aqpim::platform::PimStackConfig config;
  config.pseudo_channels = 2;
  config.channel.rows_per_bank = 1024;  // 16 MiB per pseudo-channel
  config.use_compact_layout();          // registers right after the memory, compact SRAM windows
  if (config.address_span() > kBusWindow) {
    std::printf("external platform: the stack needs %llu bytes, more than its bus window\n",
                static_cast<unsigned long long>(config.address_span()));
    return 1;
  }
  auto* stack = new aqpim::platform::PimStack("pim_stack", config);
  auto* bus = new aqpim::models::AddressRouter("bus");
  bus->initiator_socket.bind(stack->target_socket);
  bus->map(0, kStackOnBus, kBusWindow, "pim_stack");
  auto* user = new UserInitiator("user");
  user->view = stack->view(kStackOnBus);
  user->socket.bind(bus->target_socket);
  sc_core::sc_start();
  return user->passed ? 0 : 1;
}
