// The paper's sub-vector mapping (pim.mapping=subvector) in functional mode against the algorithm core on
// the same data: every sub-vector's codebook (per window) and codes in its bank equal the core's k-means
// and encoder with the hardware's arithmetic (each bank sums its tokens in order, fp16 centroids every
// iteration, no repair) bit for bit, and every decode output equals core::pq_head_attention on the cache as
// the platform holds it (fp16 inner-product tables where they are DRAM rows) within 1e-5 relative L2, for
// both value paths, with and without windows, with the codebooks in DRAM rows or in SRAM.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/attention.h"
#include "core/fp16.h"
#include "core/metrics.h"
#include "core/pq_codec.h"
#include "firmware/aqpim_firmware.h"
#include "firmware/aqpim_subvector_firmware.h"
#include "harness/platform_golden.h"
#include "platform/simulation.h"
#include "platform/system_config.h"

namespace aqpim::platform {
namespace {

constexpr uint32_t kBanks = 16;

// tiny model (2 layers, 4 query heads on 2 KV heads of 128, m = 32: two sub-vectors per bank) on 4 PIM
// pseudo-channels; 700 prompt tokens leave 660 coded ones, more than K = 512, and 20 decode steps append
// groups of 4 tokens (two 9-bit codes per bank make a byte every 4 tokens).
PlatformParams params_with(std::initializer_list<std::string> extra) {
  ParamLoader loader;
  for (const char* set : {"model.preset=tiny", "workload.context_tokens=700", "workload.batch=2",
                          "workload.decode_steps=20", "sim.mode=functional", "hbm.pim_stacks=1", "hbm.stacks=2",
                          "hbm.channels_per_stack=2", "hbm.pseudo_channels=2", "pim.mapping=subvector"})
    loader.add_override(set);
  for (const auto& set : extra) loader.add_override(set);
  return loader.resolve();
}

const firmware::AqpimSubvectorFirmware& subvector(const Simulation& simulation) {
  return dynamic_cast<const firmware::AqpimSubvectorFirmware&>(simulation.firmware());
}

struct HeadGolden {
  std::vector<core::PqCodebooks> codebooks;  // per window
  std::vector<uint16_t> codes;               // prompt coded tokens x m
  std::vector<float> rows;                   // all tokens of the head, stored channel order
};

// The core's k-means per window with the banks' arithmetic: window 0 from the firmware's sample of its
// tokens, every later window from the previous window's codebook, the GPU's importance weights.
HeadGolden golden_head(const PlatformParams& params, const Simulation& simulation, uint32_t sequence, uint32_t layer,
                       uint32_t kv_head, bool keys) {
  const auto& firmware = subvector(simulation);
  const auto& layout = firmware.layout();
  const auto& data = *simulation.data();
  const auto& order = keys ? firmware.head_data()->key_order(sequence, layer, kv_head)
                           : firmware.head_data()->value_order(sequence, layer, kv_head);
  HeadGolden golden;
  golden.rows = test::stored_rows(data, sequence, layer, kv_head, keys, order);
  const uint32_t dim = uint32_t(params.model.head_dim), sink = uint32_t(params.pq.sink_tokens);
  const uint32_t windows = uint32_t(params.pq.windows());
  const float* coded_rows = golden.rows.data() + size_t(sink) * dim;
  const core::PqShape shape{dim, size_t(params.pq.sub_vectors), size_t(params.pq.centroids_per_window())};
  const firmware::QuantShape quant{uint32_t(params.pq.sub_vectors), uint32_t(shape.clusters), sink,
                                   uint32_t(params.pq.recent_tokens)};
  const auto weights = test::importance_weights(data, sequence, layer, kv_head, uint32_t(params.pq.importance_queries));
  core::PqTrainOptions options;
  options.iterations = size_t(params.pq.kmeans_iterations);
  options.accumulation_lanes = 1;
  options.fp16_centroids = true;
  options.repair_empty_clusters = false;
  core::PqCodebooks initial{shape, firmware::AqpimFirmware::initial_codebook(coded_rows, layout.window_first(1), quant, dim)};
  for (uint32_t window = 0; window < windows; ++window) {
    const uint32_t first = layout.window_first(window), count = layout.window_first(window + 1) - first;
    golden.codebooks.push_back(core::train_pq(coded_rows + size_t(first) * dim, count, shape, options,
                                              weights.data() + sink + first, &initial));
    const auto codes = core::encode_pq(golden.codebooks.back(), coded_rows + size_t(first) * dim, count);
    golden.codes.insert(golden.codes.end(), codes.begin(), codes.end());
    initial = golden.codebooks.back();
  }
  return golden;
}

// Codebook entries and codes differing from the core's, over every head, bank and window.
size_t differences_in_banks(Simulation& simulation, const PlatformParams& params) {
  const auto& layout = subvector(simulation).layout();
  const uint32_t m = uint32_t(params.pq.sub_vectors), coded = layout.prompt_coded_tokens();
  const size_t entries = size_t(params.pq.centroids_per_window()) * layout.sub_dim();
  size_t differing = 0;
  for (uint32_t layer = 0; layer < uint32_t(params.model.layers); ++layer)
    for (uint32_t sequence = 0; sequence < uint32_t(params.workload.batch); ++sequence)
      for (uint32_t kv_head = 0; kv_head < uint32_t(params.model.kv_heads); ++kv_head)
        for (bool keys : {true, false}) {
          const HeadGolden golden = golden_head(params, simulation, sequence, layer, kv_head, keys);
          const auto place = layout.place(sequence, layer, kv_head);
          for (unsigned bank = 0; bank < kBanks && bank < m; ++bank) {
            const uint32_t per_bank = (m - bank + kBanks - 1) / kBanks;  // sub-vectors bank, bank + 16, ...
            for (uint32_t window = 0; window < golden.codebooks.size(); ++window)
              for (uint32_t j = 0; j < per_bank; ++j) {
                const auto image = test::read_bank(simulation.system(), place.unit, bank,
                                                   layout.codebook(place.slot, keys, window) + j * layout.codebook_stride(),
                                                   entries * 2);
                const float* expected = golden.codebooks[window].sub_space(bank + j * kBanks);
                for (size_t e = 0; e < entries; ++e) {
                  core::fp16_bits stored;
                  std::memcpy(&stored, image.data() + 2 * e, 2);
                  differing += stored != core::float_to_fp16(expected[e]);
                }
              }
            const auto packed = test::read_bank(simulation.system(), place.unit, bank, layout.codes(place.slot, keys),
                                                core::packed_code_bytes(size_t(coded) * per_bank, params.pq.centroids_per_window()));
            const auto codes = core::unpack_codes(packed.data(), size_t(coded) * per_bank, params.pq.centroids_per_window());
            for (uint32_t n = 0; n < coded; ++n)
              for (uint32_t j = 0; j < per_bank; ++j)
                differing += codes[size_t(n) * per_bank + j] != golden.codes[size_t(n) * m + bank + j * kBanks];
          }
        }
  return differing;
}

// The cache as the platform holds it after `steps_done` steps: sink fp16, coded tokens (prompt codes, then
// groups encoded with the last window's codebook as they left the fp16 window), the rest fp16.
core::QuantizedKv platform_cache(const PlatformParams& params, const firmware::AqpimSubvectorFirmware& firmware,
                                 const HeadGolden& golden, const std::vector<uint32_t>& order, uint32_t length,
                                 uint32_t coded) {
  const uint32_t dim = uint32_t(params.model.head_dim), sink = uint32_t(params.pq.sink_tokens);
  core::QuantizedKv kv;
  kv.head_dim = dim;
  kv.sink_tokens = sink;
  kv.sink_rows = core::to_fp16_bits(golden.rows.data(), size_t(sink) * dim);
  kv.coded_tokens = coded;
  kv.window_tokens = golden.codebooks.size() > 1 ? firmware.layout().window_first(1) : coded;
  kv.codebooks = golden.codebooks;
  kv.codes = golden.codes;
  const uint32_t prompt = firmware.layout().prompt_coded_tokens();
  const auto appended = core::encode_pq(golden.codebooks.back(), golden.rows.data() + size_t(sink + prompt) * dim,
                                        coded - prompt);
  kv.codes.insert(kv.codes.end(), appended.begin(), appended.end());
  kv.recent_rows = core::to_fp16_bits(golden.rows.data() + size_t(sink + coded) * dim, size_t(length - sink - coded) * dim);
  kv.channel_order = order;
  kv.fp16_tables = params.pim.codebook_store == firmware::CodebookStore::dram;
  return kv;
}

// Every decode output of the run against core::pq_head_attention on that cache; returns the worst error.
double worst_output_error(Simulation& simulation, const PlatformParams& params) {
  const auto& firmware = subvector(simulation);
  const auto& data = *simulation.data();
  const uint32_t layers = uint32_t(params.model.layers), batch = uint32_t(params.workload.batch);
  const uint32_t kv_heads = uint32_t(params.model.kv_heads);
  const uint32_t dim = uint32_t(params.model.head_dim), heads = uint32_t(params.model.heads), group = heads / kv_heads;
  const uint32_t steps = uint32_t(params.workload.decode_steps), context = uint32_t(params.workload.context_tokens);
  const core::ValuePath path = resolved_value_path(params);
  double worst = 0;
  for (uint32_t layer = 0; layer < layers; ++layer)
    for (uint32_t sequence = 0; sequence < batch; ++sequence)
      for (uint32_t kv_head = 0; kv_head < kv_heads; ++kv_head) {
        const auto key = golden_head(params, simulation, sequence, layer, kv_head, true);
        const auto value = golden_head(params, simulation, sequence, layer, kv_head, false);
        for (uint32_t step = 0; step < steps; ++step) {
          const uint32_t length = context + step + 1, coded = firmware.coded_tokens(step + 1);
          const auto keys = platform_cache(params, firmware, key, firmware.head_data()->key_order(sequence, layer, kv_head),
                                           length, coded);
          const auto values = platform_cache(params, firmware, value,
                                             firmware.head_data()->value_order(sequence, layer, kv_head), length, coded);
          for (uint32_t g = 0; g < group; ++g) {
            const uint32_t head = kv_head * group + g;
            const float* query = data.decode_queries(sequence, layer) + (size_t(step) * heads + head) * dim;
            std::vector<float> expected(dim);
            core::pq_head_attention(query, keys, values, length, 1.0f / std::sqrt(float(dim)), path, expected.data());
            const float* actual =
                &firmware.outputs()[(((size_t(step) * batch + sequence) * layers + layer) * heads + head) * dim];
            const double error = core::relative_l2_error(actual, expected.data(), dim);
            EXPECT_LT(error, 1e-5) << "layer " << layer << " sequence " << sequence << " head " << head << " step " << step;
            worst = std::max(worst, error);
          }
        }
      }
  return worst;
}

void check_run(std::initializer_list<std::string> extra) {
  const PlatformParams params = params_with(extra);
  Simulation simulation(params);
  simulation.run();
  const auto& firmware = subvector(simulation);
  ASSERT_GT(firmware.layout().prompt_coded_tokens(), uint32_t(params.pq.centroids_per_window()))
      << "the workload must exercise real clustering";
  ASSERT_GT(firmware.coded_tokens(uint32_t(params.workload.decode_steps)), firmware.layout().prompt_coded_tokens())
      << "decode must append coded tokens";
  EXPECT_EQ(differences_in_banks(simulation, params), 0u) << "codebook entries and codes differing from the core's";
  ::testing::Test::RecordProperty("worst_relative_l2_error", std::to_string(worst_output_error(simulation, params)));
}

TEST(PlatformSubvector, RowLookupsWithReconstructedValuesEqualTheCore) { check_run({}); }

TEST(PlatformSubvector, HistogramValuesFromDramCodebooksEqualTheCore) { check_run({"pq.value_path=histogram"}); }

TEST(PlatformSubvector, TwoWindowsOfCodebooksEqualTheCore) {
  check_run({"pq.windowed_clustering=true", "pq.window_centroids=256"});
}

TEST(PlatformSubvector, SramCodebooksAndOneQueryHeadPerPassEqualTheCore) {
  check_run({"pim.codebook_store=sram", "pim.gqa_one_pass=false", "pim.buffer_assignment=false"});
}

// The real model (stories260K reading Shakespeare: 5 layers, 8 query heads over 4 KV heads of 8 channels)
// through the paper's mapping: m = 2 sub-vectors (banks 0 and 1 of each unit), K = 16, 448 prompt tokens
// and 64 decode steps. Codebooks and codes bit for bit, every decode output within 1e-5.
TEST(PlatformSubvector, RealModelOutputsEqualTheCore) {
  const std::string data = std::string(AQPIM_SOURCE_DIR) + "/data/realdata/";
  check_run({"model.preset=stories260k", "workload.source=llama2c", "workload.model_file=" + data + "stories260K.bin",
             "workload.tokenizer_file=" + data + "tok512.bin",
             "workload.text_file=" + data + "tinyshakespeare_head40k.txt", "workload.context_tokens=448",
             "workload.decode_steps=64", "workload.batch=1", "pq.sub_vectors=2", "pq.centroids=16"});
}

}  // namespace
}  // namespace aqpim::platform
