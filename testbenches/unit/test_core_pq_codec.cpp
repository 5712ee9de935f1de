// PQ codec: shapes and errors, nearest-centroid encoding, lossless when K >= N, packing, byte accounting.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/kv_quantizer.h"
#include "core/pq_codec.h"
#include "test_core_support.h"

namespace aqpim::core {
namespace {

using test::fp16_normal_values;
using test::mean_squared_error;
using test::squared_distance;

void expect_invalid(const PqShape& shape, const char* argument) {
  try {
    shape.validate();
    ADD_FAILURE() << "no exception for " << argument;
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).rfind(argument, 0), 0u) << error.what();
  }
}

TEST(PqCodec, RejectsBadShapesNamingTheArgument) {
  expect_invalid({128, 32, 0}, "clusters");
  expect_invalid({128, 32, 4097}, "clusters");
  expect_invalid({128, 30, 16}, "sub_vectors");  // does not divide head_dim
  expect_invalid({128, 4, 16}, "sub_dim");        // sub_dim 32 > 16
  expect_invalid({128, 0, 16}, "sub_vectors");
  EXPECT_NO_THROW((PqShape{128, 8, 4096}.validate()));
  EXPECT_NO_THROW((PqShape{7, 7, 1}.validate()));
  const auto vectors = fp16_normal_values(4 * 16, 1);
  auto with_nan = vectors;
  with_nan[5] = NAN;
  EXPECT_THROW(train_pq(with_nan.data(), 4, {16, 4, 2}), std::invalid_argument);
}

TEST(PqCodec, CodeBitsAreCeilLog2) {
  for (size_t clusters = 1; clusters <= kMaxClusters; ++clusters)
    ASSERT_EQ(code_bits(clusters), size_t(std::ceil(std::log2(double(clusters))))) << clusters;
}

TEST(PqCodec, EncodingPicksTheNearestCentroidInEverySubSpace) {
  const PqShape shape{32, 8, 64};
  const size_t count = 700;
  const auto vectors = fp16_normal_values(count * shape.head_dim, 2);
  const PqCodebooks codebooks = train_pq(vectors.data(), count, shape);
  const auto codes = encode_pq(codebooks, vectors.data(), count);
  const size_t sub_dim = shape.sub_dim();
  for (size_t n = 0; n < count; n += 7)
    for (size_t i = 0; i < shape.sub_vectors; ++i) {
      const float* sub_vector = &vectors[n * shape.head_dim + i * sub_dim];
      const double chosen = squared_distance(sub_vector, codebooks.sub_space(i) + codes[n * 8 + i] * sub_dim, sub_dim);
      for (size_t k = 0; k < shape.clusters; ++k)
        ASSERT_LE(chosen, squared_distance(sub_vector, codebooks.sub_space(i) + k * sub_dim, sub_dim) + 1e-6);
    }
  const auto decoded = decode_pq(codebooks, codes.data(), count);
  for (size_t n = 0; n < count; ++n)
    for (size_t i = 0; i < shape.sub_vectors; ++i)
      for (size_t d = 0; d < sub_dim; ++d)
        ASSERT_EQ(decoded[n * 32 + i * sub_dim + d], codebooks.sub_space(i)[codes[n * 8 + i] * sub_dim + d]);
}

TEST(PqCodec, LosslessWhenClustersAtLeastTokens) {
  for (size_t sub_dim : {1, 4, 16}) {
    const PqShape fitted{4 * sub_dim, 4, 64};
    for (size_t count : {1, 40, 64}) {
      const auto vectors = fp16_normal_values(count * fitted.head_dim, 3 + count);  // fp16 KV, as stored
      const PqCodebooks codebooks = train_pq(vectors.data(), count, fitted);
      const auto decoded = decode_pq(codebooks, encode_pq(codebooks, vectors.data(), count).data(), count);
      EXPECT_EQ(decoded, vectors) << "sub_dim " << sub_dim << " count " << count;
    }
  }
}

TEST(PqCodec, Fp16CodebooksAreFp16ValuesAndTrainingIsSeedDeterministic) {
  const PqShape shape{16, 4, 32};
  const auto vectors = fp16_normal_values(300 * 16, 4);
  PqTrainOptions options;
  options.seed = 11;
  const PqCodebooks a = train_pq(vectors.data(), 300, shape, options), b = train_pq(vectors.data(), 300, shape, options);
  EXPECT_EQ(a.centroids, b.centroids);
  for (float value : a.centroids) ASSERT_EQ(value, round_to_fp16(value));
  options.fp16_codebooks = false;
  const PqCodebooks fp32 = train_pq(vectors.data(), 300, shape, options);
  size_t differing = 0;
  for (size_t i = 0; i < fp32.centroids.size(); ++i) differing += fp32.centroids[i] != a.centroids[i];
  EXPECT_GT(differing, 0u);  // means are generally not fp16 values: the rounding did something
}

TEST(PqCodec, MoreClustersAndMoreIterationsReconstructBetter) {
  const PqShape small{32, 8, 8}, large{32, 8, 128};
  const auto vectors = fp16_normal_values(1000 * 32, 5);
  auto mse = [&](const PqShape& shape, size_t iterations) {
    PqTrainOptions options;
    options.iterations = iterations;
    const PqCodebooks codebooks = train_pq(vectors.data(), 1000, shape, options);
    return mean_squared_error(decode_pq(codebooks, encode_pq(codebooks, vectors.data(), 1000).data(), 1000), vectors);
  };
  EXPECT_LT(mse(large, 4), 0.5 * mse(small, 4));
  EXPECT_LT(mse(small, 10), mse(small, 0));
}

TEST(PqCodec, PackedCodesRoundTripAndUseCeilLog2BitsEach) {
  SeededRandom random(6);
  for (size_t clusters : {1, 2, 3, 16, 255, 256, 257, 512, 4096}) {
    const size_t count = 333;
    std::vector<uint16_t> codes(count);
    for (auto& code : codes) code = uint16_t(random.below(clusters));
    const auto packed = pack_codes(codes.data(), count, clusters);
    EXPECT_EQ(packed.size(), (count * size_t(std::ceil(std::log2(double(clusters)))) + 7) / 8) << clusters;
    EXPECT_EQ(unpack_codes(packed.data(), count, clusters), codes) << clusters;
  }
  // Bit order: little-endian stream, least significant bit first (K = 512: 9 bits per code).
  const std::vector<uint16_t> two = {0x1ff, 0x001};
  EXPECT_EQ(pack_codes(two.data(), 2, 512), (std::vector<uint8_t>{0xff, 0x03, 0x00}));
  const std::vector<uint16_t> too_large = {512};
  EXPECT_THROW(pack_codes(too_large.data(), 1, 512), std::invalid_argument);
}

TEST(PqCodec, ByteAccountingOfAqpimsConfiguration) {
  // One head, 32K tokens, head_dim 128, m = 32, K = 512, 8 sink + 32 recent fp16 tokens.
  const PqShape shape{128, 32, 512};
  const KvBytes bytes = kv_bytes(shape, 32768 - 40, 40);
  EXPECT_EQ(bytes.codes, (32728u * 32u * 9u + 7) / 8);
  EXPECT_EQ(bytes.codebooks, 32u * 512u * 4u * 2u);
  EXPECT_EQ(bytes.fp16_tokens, 40u * 128u * 2u);
  EXPECT_EQ(bytes.total(), bytes.codes + bytes.codebooks + bytes.fp16_tokens);
  // 2.25 bits per element for the codes, as in the paper.
  EXPECT_DOUBLE_EQ(double(bytes.codes * 8) / double(32728 * 128), 2.25);

  const auto rows = fp16_normal_values(300 * 16, 7);
  KvQuantizationOptions options;
  options.shape = {16, 4, 16};
  options.sink_tokens = 2;
  options.recent_tokens = 5;
  options.window_tokens = 100;
  const QuantizedKv kv = quantize_kv(rows.data(), 300, 0, options);
  const KvBytes stored = stored_bytes(kv);
  EXPECT_EQ(kv.codebooks.size(), 3u);  // 293 coded tokens in windows of 100
  EXPECT_EQ(stored.codes, (293u * 4u * 4u + 7) / 8);
  EXPECT_EQ(stored.codebooks, 3u * 4u * 16u * 4u * 2u);
  EXPECT_EQ(stored.fp16_tokens, 7u * 16u * 2u);
}

}  // namespace
}  // namespace aqpim::core
