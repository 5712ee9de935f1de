// The platform running the AQPIM firmware in functional mode against the algorithm core on the same data:
// the codebooks and codes the PIM units leave in the banks equal the core's k-means and encoder run with the
// hardware's arithmetic order (bit for bit), and every decode attention output equals core::pq_head_attention
// on that quantised cache up to fp32 reassociation (PIM sums softmax and outputs per PE, then merges).
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "core/accuracy_fixes.h"
#include "core/attention.h"
#include "core/fp16.h"
#include "core/metrics.h"
#include "core/pq_codec.h"
#include "firmware/aqpim_firmware.h"
#include "platform/simulation.h"

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

// Bytes [offset, offset + bytes) of one bank's own space, read through the host's untimed backdoor.
std::vector<unsigned char> read_bank(AqpimSystem& system, uint32_t unit, unsigned bank, uint64_t offset,
                                     uint64_t bytes) {
  const auto& view = system.view();
  const hwif::HbmAddressMap map(view.mapping, view.hbm, view.address_bits);
  const uint64_t access = view.hbm.access_bytes, row_bytes = view.hbm.row_bytes;
  std::vector<unsigned char> data(bytes);
  for (uint64_t done = 0; done < bytes; done += access) {
    const uint64_t in_bank = offset + done;
    const hwif::HbmLocation location{bank / view.hbm.banks_per_group, bank % view.hbm.banks_per_group,
                                       in_bank / row_bytes, (in_bank % row_bytes) / access};
    system.host().backdoor_read(view.units[unit].memory_base + map.encode(location), data.data() + done,
                                std::min(access, bytes - done));
  }
  return data;
}

struct HeadGolden {
  core::PqCodebooks codebook;
  std::vector<uint16_t> codes;  // coded-token order
  std::vector<float> rows;      // all tokens of the head, stored channel order
};

class PlatformFunctional : public ::testing::Test {
 public:
  // Rows of all tokens of one head instance, in the firmware's stored channel order.
  static std::vector<float> stored_rows(const firmware::WorkloadData& data, uint32_t sequence, uint32_t layer,
                                        uint32_t kv_head, bool keys, const std::vector<uint32_t>& order) {
    const auto& shape = data.shape();
    const uint32_t dim = shape.head_dim, tokens = shape.context_tokens + shape.decode_steps;
    const float* source = (keys ? data.keys(sequence, layer) : data.values(sequence, layer)) + size_t(kv_head) * dim;
    std::vector<float> rows(size_t(tokens) * dim);
    if (order.empty()) {
      for (uint32_t n = 0; n < tokens; ++n)
        std::memcpy(&rows[size_t(n) * dim], source + size_t(n) * shape.kv_heads * dim, dim * 4);
    } else {
      core::apply_channel_order(order, source, tokens, size_t(shape.kv_heads) * dim, rows.data());
    }
    return rows;
  }

  // The core's k-means with the PIM's arithmetic: tokens dealt to 16 bank lanes, fp16 centroids every
  // iteration, no repair; seeded with the firmware's initial codebook and the GPU's importance weights.
  static HeadGolden golden_head(const PlatformParams& params, const firmware::WorkloadData& data,
                                const firmware::AqpimFirmware& firmware, uint32_t sequence, uint32_t layer,
                                uint32_t kv_head, bool keys) {
    const auto& order = keys ? firmware.key_order(sequence, layer, kv_head) : firmware.value_order(sequence, layer, kv_head);
    HeadGolden golden;
    golden.rows = stored_rows(data, sequence, layer, kv_head, keys, order);
    const uint32_t dim = uint32_t(params.model.head_dim), sink = uint32_t(params.pq.sink_tokens);
    const uint32_t coded = firmware.coded_tokens_after_prefill();
    const float* coded_rows = golden.rows.data() + size_t(sink) * dim;
    const core::PqShape shape{dim, size_t(params.pq.sub_vectors), size_t(params.pq.centroids)};
    const firmware::QuantShape quant{uint32_t(params.pq.sub_vectors), uint32_t(params.pq.centroids), sink,
                                     uint32_t(params.pq.recent_tokens)};
    core::PqCodebooks initial{shape, firmware::AqpimFirmware::initial_codebook(coded_rows, coded, quant, dim)};

    const auto& shape_of_data = data.shape();
    const uint32_t group = shape_of_data.heads / shape_of_data.kv_heads, t = uint32_t(params.pq.importance_queries);
    std::vector<float> last_queries(size_t(t) * group * dim);
    for (uint32_t q = 0; q < t; ++q)
      for (uint32_t g = 0; g < group; ++g)
        std::memcpy(&last_queries[(size_t(q) * group + g) * dim],
                    data.prefill_queries(sequence, layer) +
                        ((size_t(shape_of_data.prefill_queries - t + q) * shape_of_data.heads) + kv_head * group + g) * dim,
                    dim * 4);
    const auto all_weights =
        core::importance_weights(last_queries.data(), t, group, data.keys(sequence, layer) + size_t(kv_head) * dim,
                                 shape_of_data.context_tokens, size_t(shape_of_data.kv_heads) * dim, dim);

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

TEST_F(PlatformFunctional, CodebooksAndCodesInTheBanksEqualTheCoreBitForBit) {
  const PlatformParams params = small_functional_params();
  Simulation simulation(params);
  simulation.run();
  const auto& firmware = simulation.aqpim();
  const auto& layout = firmware.layout();
  const uint32_t m = uint32_t(params.pq.sub_vectors), clusters = uint32_t(params.pq.centroids);
  const uint32_t coded = firmware.coded_tokens_after_prefill(), rows = coded / 16;
  ASSERT_GT(coded, clusters) << "the workload must exercise real clustering";

  for (uint32_t layer = 0; layer < 2; ++layer)
    for (uint32_t sequence = 0; sequence < 2; ++sequence)
      for (uint32_t kv_head = 0; kv_head < 2; ++kv_head)
        for (bool keys : {true, false}) {
          SCOPED_TRACE(::testing::Message() << "layer " << layer << " sequence " << sequence << " kv_head " << kv_head
                                            << (keys ? " K" : " V"));
          const HeadGolden golden = golden_head(params, *simulation.data(), firmware, sequence, layer, kv_head, keys);
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
  for (uint32_t layer = 0; layer < 2; ++layer)
    for (uint32_t sequence = 0; sequence < 2; ++sequence)
      for (uint32_t kv_head = 0; kv_head < 2; ++kv_head) {
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
          const auto keys = quantised(key, firmware.key_order(sequence, layer, kv_head));
          const auto values = quantised(value, firmware.value_order(sequence, layer, kv_head));
          for (uint32_t g = 0; g < group; ++g) {
            const uint32_t head = kv_head * group + g;
            const float* query = data.decode_queries(sequence, layer) + (size_t(step) * heads + head) * dim;
            std::vector<float> expected(dim);
            core::pq_head_attention(query, keys, values, length, scale, path, expected.data());
            const float* actual = &firmware.outputs()[(((size_t(step) * 2 + sequence) * 2 + layer) * heads + head) * dim];
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

}  // namespace
}  // namespace aqpim::platform
