// Stand-alone use of PimUnit in someone else's sc_main: a minimal loosely-timed host, one HBM3
// pseudo-channel and its PIM unit. The host loads keys into the banks, encodes them against a codebook,
// scores a query on the codes, waits for completion through the FENCE register, and checks the scores
// against the algorithm core. Exit status 0 when they match bit for bit.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdio>
#include <cstring>
#include <systemc>
#include <tlm>
#include <vector>

#include "core/kernels.h"
#include "core/pq_codec.h"
#include "models/hbm3_pseudo_channel.h"
#include "models/pim_unit.h"

namespace {

using aqpim::hwif::pim::Command;
using aqpim::hwif::pim::Opcode;
namespace reg = aqpim::hwif::pim::reg;

constexpr uint32_t kTokens = 32, kSubVectors = 8, kClusters = 16, kDim = 4, kRow = kSubVectors * kDim;
constexpr uint64_t kKeysInBank = 0x0, kCodesInBank = 0x10000, kScoresInBank = 0x20000;
constexpr uint64_t kQueryInIo = 0x0, kKeysInIo = 0x100, kScoresInIo = 0x100;

class Host : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Host> socket;
  bool scores_match = false;

  SC_HAS_PROCESS(Host);
  explicit Host(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") {
    quantum_.set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
    SC_THREAD(run);
  }

 private:
  bool access(tlm::tlm_command command, uint64_t address, void* data, size_t length) {
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(address);
    payload.set_data_ptr(static_cast<unsigned char*>(data));
    payload.set_data_length(unsigned(length));
    payload.set_streaming_width(unsigned(length));
    sc_core::sc_time delay = quantum_.get_local_time();
    socket->b_transport(payload, delay);
    quantum_.set(delay);
    if (quantum_.need_sync()) quantum_.sync();
    return payload.is_response_ok();
  }
  bool issue(Command command) { return access(tlm::TLM_WRITE_COMMAND, reg::command, &command, sizeof command); }
  Command shaped(Opcode opcode) const {
    Command command;
    command.opcode = uint32_t(opcode);
    command.pe_mask = 0xffff;  // all 16 bank PEs of the pseudo-channel
    command.count = kTokens;
    command.sub_vectors = kSubVectors;
    command.clusters = kClusters;
    command.dim = kDim;
    return command;
  }

  void run() {
    // Deterministic data: keys (fp16, one row per token), a codebook and a query.
    std::vector<aqpim::core::fp16_bits> keys(16 * kTokens * kRow), codebook(kSubVectors * kClusters * kDim);
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = aqpim::core::float_to_fp16(float((i * 37) % 101) / 50.0f - 1.0f);
    for (size_t i = 0; i < codebook.size(); ++i)
      codebook[i] = aqpim::core::float_to_fp16(float((i * 53) % 89) / 44.0f - 1.0f);
    std::vector<float> query(kRow);
    for (size_t i = 0; i < query.size(); ++i) query[i] = float(i % 7) / 7.0f - 0.5f;

    bool ok = access(tlm::TLM_WRITE_COMMAND, reg::io_buffer + kKeysInIo, keys.data(), keys.size() * 2);
    Command move = shaped(Opcode::move_io_to_bank);  // IO slot p -> bank p
    move.length = kTokens * kRow * 2;
    move.io_offset = kKeysInIo;
    move.io_stride = move.length;
    move.bank_offset = kKeysInBank;
    ok = ok && issue(move);
    for (uint32_t pe = 0; pe < 16; ++pe)
      ok = ok && access(tlm::TLM_WRITE_COMMAND, reg::pe_windows + pe * reg::pe_window + reg::pe_codebook,
                        codebook.data(), codebook.size() * 2);
    ok = ok && access(tlm::TLM_WRITE_COMMAND, reg::io_buffer + kQueryInIo, query.data(), query.size() * 4);

    Command encode = shaped(Opcode::encode);
    encode.bank_offset = kKeysInBank;
    encode.codes_offset = kCodesInBank;
    Command lut = shaped(Opcode::build_lut);
    lut.io_offset = kQueryInIo;
    Command score = shaped(Opcode::score);
    score.codes_offset = kCodesInBank;
    score.result_offset = kScoresInBank;
    Command back = shaped(Opcode::move_bank_to_io);
    back.bank_offset = kScoresInBank;
    back.length = kTokens * 4;
    back.io_offset = kScoresInIo;
    back.io_stride = back.length;
    ok = ok && issue(encode) && issue(lut) && issue(score) && issue(back);

    uint64_t completed = 0;  // FENCE: the read completes when every command has finished
    ok = ok && access(tlm::TLM_READ_COMMAND, reg::fence, &completed, sizeof completed);
    quantum_.sync();
    std::vector<float> scores(16 * kTokens);
    ok = ok && access(tlm::TLM_READ_COMMAND, reg::io_buffer + kScoresInIo, scores.data(), scores.size() * 4);

    // The same computation on the algorithm core.
    aqpim::core::PqCodebooks golden{{kRow, kSubVectors, kClusters}, {}};
    for (const auto value : codebook) golden.centroids.push_back(aqpim::core::fp16_to_float(value));
    std::vector<float> luts(kSubVectors * kClusters), expected(16 * kTokens), rows;
    for (size_t i = 0; i < kSubVectors; ++i)
      aqpim::core::build_lut(query.data() + i * kDim, golden.sub_space(i), kClusters, kDim,
                             luts.data() + i * kClusters);
    for (const auto value : keys) rows.push_back(aqpim::core::fp16_to_float(value));
    const std::vector<uint16_t> codes = aqpim::core::encode_pq(golden, rows.data(), 16 * kTokens);
    aqpim::core::score_codes(luts.data(), kSubVectors, kClusters, codes.data(), 16 * kTokens, expected.data());

    scores_match = ok && std::memcmp(scores.data(), expected.data(), scores.size() * 4) == 0;
    std::printf("pim_standalone: %llu commands completed at %s; scores %s the algorithm core\n",
                static_cast<unsigned long long>(completed), sc_core::sc_time_stamp().to_string().c_str(),
                scores_match ? "match" : "DIFFER from");
  }

  tlm_utils::tlm_quantumkeeper quantum_;
};

}  // namespace

int sc_main(int, char**) {
  aqpim::models::Hbm3PseudoChannel channel("channel");
  aqpim::models::PimUnitConfig config;
  config.clock_period = channel.config().tCK;
  aqpim::models::PimUnit pim("pim", config);
  Host host("host");
  sc_core::sc_signal<bool> interrupt("interrupt");  // optional: the unit runs without it too

  host.socket.bind(pim.target_socket);
  pim.bank_socket.bind(channel.bank_socket);
  pim.interrupt.bind(interrupt);
  sc_core::sc_start();
  return host.scores_match && interrupt.read() ? 0 : 1;
}
