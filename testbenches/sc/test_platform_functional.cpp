// The platform running the AQPIM firmware in functional mode against the algorithm core on the same data:
// the codebooks and codes the PIM units leave in the banks equal the core's k-means and encoder run with the
// hardware's arithmetic order (bit for bit), and every decode attention output equals core::pq_head_attention
// on that quantised cache up to fp32 reassociation (PIM sums softmax and outputs per PE, then merges).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "core/accuracy_fixes.h"
#include "core/attention.h"
#include "core/fp16.h"
#include "core/metrics.h"
#include "core/llm/evaluation.h"
#include "core/llm/file_error.h"
#include "core/llm/transformer.h"
#include "core/pq_codec.h"
#include "firmware/aqpim_firmware.h"
#include "harness/platform_golden.h"
#include "platform/simulation.h"
#include "platform/workload_source.h"

namespace aqpim::platform {
namespace {

// tiny model (2 layers, 4 query heads on 2 KV heads of 128) on 4 PIM pseudo-channels (one plain stack for the
// weights); 700 prompt tokens leave
// 656 coded tokens (41 rows of 16 banks, more than K = 512) and the 20 decode steps push one more row out of
// the fp16 window.
PlatformParams small_functional_params(std::initializer_list<std::string> extra = {}) {
  ParamLoader loader;
  for (const char* set : {"model.preset=tiny", "workload.context_tokens=700", "workload.batch=2",
                          "workload.decode_steps=20", "sim.mode=functional", "hbm.pim_stacks=1", "hbm.stacks=2",
                          "hbm.channels_per_stack=2", "hbm.pseudo_channels=2"})
    loader.add_override(set);
  for (const auto& set : extra) loader.add_override(set);
  return loader.resolve();
}

using test::read_bank;

struct HeadGolden {
  core::PqCodebooks codebook;
  std::vector<uint16_t> codes;  // coded-token order
  std::vector<float> rows;      // all tokens of the head, stored channel order
};

class PlatformFunctional : public ::testing::Test {
 public:
  // The core's k-means with the PIM's arithmetic: tokens dealt to 16 bank lanes, fp16 centroids every
  // iteration, no repair; seeded with the firmware's initial codebook and the GPU's importance weights.
  static HeadGolden golden_head(const PlatformParams& params, const firmware::WorkloadData& data,
                                const firmware::AqpimFirmware& firmware, uint32_t sequence, uint32_t layer,
                                uint32_t kv_head, bool keys) {
    const auto& order = keys ? firmware.head_data()->key_order(sequence, layer, kv_head) : firmware.head_data()->value_order(sequence, layer, kv_head);
    HeadGolden golden;
    golden.rows = test::stored_rows(data, sequence, layer, kv_head, keys, order);
    const uint32_t dim = uint32_t(params.model.head_dim), sink = uint32_t(params.pq.sink_tokens);
    const uint32_t coded = firmware.coded_tokens_after_prefill();
    const float* coded_rows = golden.rows.data() + size_t(sink) * dim;
    const core::PqShape shape{dim, size_t(params.pq.sub_vectors), size_t(params.pq.centroids)};
    const firmware::QuantShape quant{uint32_t(params.pq.sub_vectors), uint32_t(params.pq.centroids), sink,
                                     uint32_t(params.pq.recent_tokens)};
    core::PqCodebooks initial{shape, firmware::AqpimFirmware::initial_codebook(coded_rows, coded, quant, dim)};

    const auto all_weights =
        test::importance_weights(data, sequence, layer, kv_head, uint32_t(params.pq.importance_queries));

    core::PqTrainOptions options;
    options.iterations = size_t(params.pq.kmeans_iterations);
    options.accumulation_lanes = 16;
    options.fp16_centroids = true;
    options.repair_empty_clusters = false;
    golden.codebook = core::train_pq(coded_rows, coded, shape, options, all_weights.data() + sink, &initial);
    golden.codes = core::encode_pq(golden.codebook, coded_rows, coded);
    return golden;
  }
};

// The codebooks and codes the run left in the banks against the core's, every head instance.
void expect_banks_equal_core(Simulation& simulation, const PlatformParams& params) {
  const auto& firmware = simulation.aqpim();
  const auto& layout = firmware.layout();
  const uint32_t m = uint32_t(params.pq.sub_vectors), clusters = uint32_t(params.pq.centroids);
  const uint32_t coded = firmware.coded_tokens_after_prefill(), rows = coded / 16;
  ASSERT_GT(coded, clusters) << "the workload must exercise real clustering";

  for (uint32_t layer = 0; layer < uint32_t(params.model.layers); ++layer)
    for (uint32_t sequence = 0; sequence < uint32_t(params.workload.batch); ++sequence)
      for (uint32_t kv_head = 0; kv_head < uint32_t(params.model.kv_heads); ++kv_head)
        for (bool keys : {true, false}) {
          SCOPED_TRACE(::testing::Message() << "layer " << layer << " sequence " << sequence << " kv_head " << kv_head
                                            << (keys ? " K" : " V"));
          const HeadGolden golden = PlatformFunctional::golden_head(params, *simulation.data(), firmware, sequence, layer, kv_head, keys);
          const auto place = layout.place(sequence, layer, kv_head);
          const auto slot = layout.slot(place.slot);

          const auto image = read_bank(simulation.system(), place.unit, 0, keys ? slot.codebook_k : slot.codebook_v,
                                       uint64_t(clusters) * params.model.head_dim * 2);
          std::vector<core::fp16_bits> stored(image.size() / 2);
          std::memcpy(stored.data(), image.data(), image.size());
          size_t differing = 0;
          for (size_t i = 0; i < stored.size(); ++i)
            differing += stored[i] != core::float_to_fp16(golden.codebook.centroids[i]);
          EXPECT_EQ(differing, 0u) << "codebook entries differing from the core's";

          for (unsigned bank = 0; bank < 16; ++bank) {
            const auto packed = read_bank(simulation.system(), place.unit, bank, keys ? slot.keys : slot.values,
                                          core::packed_code_bytes(size_t(rows) * m, clusters));
            const auto codes = core::unpack_codes(packed.data(), size_t(rows) * m, clusters);
            size_t mismatches = 0;
            for (uint32_t row = 0; row < rows; ++row)
              for (uint32_t i = 0; i < m; ++i)
                mismatches += codes[size_t(row) * m + i] != golden.codes[(size_t(row) * 16 + bank) * m + i];
            EXPECT_EQ(mismatches, 0u) << "bank " << bank;
          }
        }
}

TEST_F(PlatformFunctional, CodebooksAndCodesInTheBanksEqualTheCoreBitForBit) {
  const PlatformParams params = small_functional_params();
  Simulation simulation(params);
  simulation.run();
  expect_banks_equal_core(simulation, params);
}

// Every decode output of the run against core::pq_head_attention on the cache as the platform holds it at
// that step: whole rows of coded tokens (prefill codes, then rows encoded as they left the fp16 window),
// the rest fp16. Returns the worst relative L2 error.
double worst_error_against_core(Simulation& simulation, const PlatformParams& params, core::ValuePath path) {
  const auto& firmware = simulation.aqpim();
  const auto& data = *simulation.data();
  const uint32_t dim = uint32_t(params.model.head_dim), sink = uint32_t(params.pq.sink_tokens), lanes = 16;
  const uint32_t fp16_tokens = sink + uint32_t(params.pq.recent_tokens);
  const uint32_t heads = uint32_t(params.model.heads), group = heads / uint32_t(params.model.kv_heads);
  const uint32_t steps = uint32_t(params.workload.decode_steps), context = uint32_t(params.workload.context_tokens);
  const float scale = 1.0f / std::sqrt(float(dim));
  double worst = 0;
  const uint32_t layers = uint32_t(params.model.layers), batch = uint32_t(params.workload.batch);
  for (uint32_t layer = 0; layer < layers; ++layer)
    for (uint32_t sequence = 0; sequence < batch; ++sequence)
      for (uint32_t kv_head = 0; kv_head < uint32_t(params.model.kv_heads); ++kv_head) {
        const auto key = PlatformFunctional::golden_head(params, data, firmware, sequence, layer, kv_head, true);
        const auto value = PlatformFunctional::golden_head(params, data, firmware, sequence, layer, kv_head, false);
        for (uint32_t step = 0; step < steps; ++step) {
          const uint32_t length = context + step + 1, coded = (length - fp16_tokens) / lanes * lanes;
          auto quantised = [&](const HeadGolden& golden, const std::vector<uint32_t>& order) {
            core::QuantizedKv kv;
            kv.head_dim = dim;
            kv.sink_tokens = sink;
            for (uint32_t n = 0; n < sink * dim; ++n) kv.sink_rows.push_back(core::float_to_fp16(golden.rows[n]));
            kv.coded_tokens = kv.window_tokens = coded;
            kv.codebooks = {golden.codebook};
            kv.codes = core::encode_pq(golden.codebook, golden.rows.data() + size_t(sink) * dim, coded);
            std::copy(golden.codes.begin(), golden.codes.end(), kv.codes.begin());
            for (size_t n = size_t(sink + coded) * dim; n < size_t(length) * dim; ++n)
              kv.recent_rows.push_back(core::float_to_fp16(golden.rows[n]));
            kv.channel_order = order;
            return kv;
          };
          const auto keys = quantised(key, firmware.head_data()->key_order(sequence, layer, kv_head));
          const auto values = quantised(value, firmware.head_data()->value_order(sequence, layer, kv_head));
          for (uint32_t g = 0; g < group; ++g) {
            const uint32_t head = kv_head * group + g;
            const float* query = data.decode_queries(sequence, layer) + (size_t(step) * heads + head) * dim;
            std::vector<float> expected(dim);
            core::pq_head_attention(query, keys, values, length, scale, path, expected.data());
            const float* actual =
                &firmware.outputs()[(((size_t(step) * batch + sequence) * layers + layer) * heads + head) * dim];
            const double error = core::relative_l2_error(actual, expected.data(), dim);
            EXPECT_LT(error, 1e-5) << "layer " << layer << " sequence " << sequence << " head " << head << " step "
                                   << step;
            worst = std::max(worst, error);
          }
        }
      }
  return worst;
}

TEST_F(PlatformFunctional, HistogramPathOutputsEqualCoreAttentionOnTheSameQuantisedCache) {
  const PlatformParams params = small_functional_params();
  Simulation simulation(params);
  simulation.run();
  RecordProperty("worst_relative_l2_error",
                 std::to_string(worst_error_against_core(simulation, params, core::ValuePath::kHistogram)));
  // PQ at K = 512 with the accuracy fixes stays close to plain fp32 attention on the unquantised cache.
  EXPECT_GT(simulation.report().cosine_similarity, 0.99);
}

TEST_F(PlatformFunctional, ReconstructPathOutputsEqualCoreAttentionOnTheSameQuantisedCache) {
  const PlatformParams params = small_functional_params({"pq.value_path=reconstruct"});
  Simulation simulation(params);
  simulation.run();
  worst_error_against_core(simulation, params, core::ValuePath::kReconstruct);
}

// The real model (issue 12, item 4): K, V and queries of stories260K reading Shakespeare, through the same
// platform, 448 prompt tokens and 64 decode steps, m = 2 sub-vectors of 4 channels, K = 16 (408 coded tokens
// after prefill, 25 per centroid): codebooks and codes bit for bit, every decode output within 1e-5.
PlatformParams real_model_params() {
  const std::string data = std::string(AQPIM_SOURCE_DIR) + "/data/realdata/";
  ParamLoader loader;
  for (const std::string& set :
       {std::string("model.preset=stories260k"), std::string("workload.source=llama2c"),
        "workload.model_file=" + data + "stories260K.bin", "workload.tokenizer_file=" + data + "tok512.bin",
        "workload.text_file=" + data + "tinyshakespeare_head40k.txt", std::string("workload.context_tokens=448"),
        std::string("workload.decode_steps=64"), std::string("workload.batch=1"), std::string("pq.sub_vectors=2"),
        std::string("pq.centroids=16"), std::string("sim.mode=functional"), std::string("hbm.pim_stacks=1"),
        std::string("hbm.stacks=2"), std::string("hbm.channels_per_stack=2"), std::string("hbm.pseudo_channels=2")})
    loader.add_override(set);
  return loader.resolve();
}

TEST_F(PlatformFunctional, RealModelDecodeOutputsEqualTheCoreOnTheCacheThePlatformHolds) {
  const PlatformParams params = real_model_params();
  Simulation simulation(params);
  simulation.run();
  const auto& shape = simulation.data()->shape();
  ASSERT_EQ(shape.head_dim, 8u);
  ASSERT_EQ(shape.rope_pairing, core::RopePairing::kInterleaved);
  expect_banks_equal_core(simulation, params);
  const double worst = worst_error_against_core(simulation, params, core::ValuePath::kHistogram);
  RecordProperty("worst_relative_l2_error", std::to_string(worst));
  std::printf("real model: worst relative L2 error of a decode output against the core: %.3g\n", worst);
}

// The data are the model's: the keys the platform is given are the fp32 forward pass's, rounded to fp16.
TEST_F(PlatformFunctional, RealModelDataAreTheForwardPassRoundedToFp16) {
  const PlatformParams params = real_model_params();
  const auto data = make_workload_data(params);
  const auto model = core::llm::load_llama2_checkpoint(params.workload.model_file);
  const auto tokenizer = core::llm::load_tokenizer(params.workload.tokenizer_file, 512);
  const auto tokens = core::llm::text_tokens(tokenizer, core::llm::read_file_bytes(params.workload.text_file), 512);
  core::llm::Transformer transformer(model);
  core::llm::ExactBackend cache;
  cache.begin(transformer.shape());
  core::llm::ForwardRecord record;
  for (size_t pos = 0; pos < tokens.size(); ++pos) transformer.forward(tokens[pos], pos, cache, &record);
  for (uint32_t layer = 0; layer < 5; ++layer) {
    const float* keys = data->keys(0, layer);
    for (size_t i = 0; i < record.keys[layer].size(); ++i)
      ASSERT_EQ(keys[i], core::round_to_fp16(record.keys[layer][i])) << "layer " << layer << " element " << i;
    // Decode step s's query is token 448 + s's; the prefill queries are the prompt's last 32.
    EXPECT_EQ(data->decode_queries(0, layer)[0], core::round_to_fp16(record.queries[layer][448 * 64]));
    EXPECT_EQ(data->prefill_queries(0, layer)[0], core::round_to_fp16(record.queries[layer][(448 - 32) * 64]));
  }
}

// A bad file, too short a text or a model.* that is not the checkpoint's: one line naming the parameter, in
// timing mode too (the run claims to be that model).
TEST_F(PlatformFunctional, RealModelBadInputIsOneParamErrorNamingTheParameter) {
  auto error = [](std::initializer_list<std::string> sets, bool functional = true) {
    PlatformParams params = real_model_params();
    ParamLoader loader;
    loader.add_json(to_json(params), "base");
    for (const auto& set : sets) loader.add_override(set);
    if (!functional) loader.add_override("sim.mode=timing");
    try {
      make_workload_data(loader.resolve());
    } catch (const ParamError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(error({"workload.model_file=/nonexistent.bin"}),
            "parameter 'workload.model_file': /nonexistent.bin: cannot open the llama2.c checkpoint: no such file");
  EXPECT_EQ(error({"workload.model_file=/nonexistent.bin"}, false),
            "parameter 'workload.model_file': /nonexistent.bin: cannot open the llama2.c checkpoint: no such file");
  const std::string text = std::string(AQPIM_SOURCE_DIR) + "/data/realdata/tinyshakespeare_head40k.txt";
  EXPECT_EQ(error({"workload.tokenizer_file=" + text}).rfind("parameter 'workload.tokenizer_file': " + text + ": ", 0), 0u);
  EXPECT_EQ(error({"workload.batch=100"}),
            "parameter 'workload.text_file': text: must encode to at least 51100 tokens for 100 segments, got 25334");
  const std::string model = std::string(AQPIM_SOURCE_DIR) + "/data/realdata/stories260K.bin";
  EXPECT_EQ(error({"model.preset=custom", "model.ffn_hidden=171"}, false),
            "'model.ffn_hidden' (171) differs from " + model +
                " (172): workload.source=llama2c needs the checkpoint's shape (model.preset=stories260k for the vendored "
                "model)");
  EXPECT_EQ(error({"workload.decode_steps=65"}),
            "workload.context_tokens + workload.decode_steps (513) exceed the seq_len of " + model + " (512)");
  EXPECT_EQ(error({}, false), "<no error>");
}

}  // namespace
}  // namespace aqpim::platform
