#include "core/pq_codec.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/argument_checks.h"
#include "core/fp16.h"
#include "core/kernels.h"
#include "core/seeded_random.h"

namespace aqpim::core {
namespace {

// Sub-space i of every vector, copied contiguous (count x sub_dim) so the kernels stream it.
void gather_sub_space(const float* vectors, size_t count, const PqShape& shape, size_t sub_vector, float* out) {
  const size_t sub_dim = shape.sub_dim();
  for (size_t n = 0; n < count; ++n) {
    const float* source = vectors + n * shape.head_dim + sub_vector * sub_dim;
    std::copy(source, source + sub_dim, out + n * sub_dim);
  }
}

void require_codebooks(const PqCodebooks& codebooks) {
  codebooks.shape.validate();
  const PqShape& shape = codebooks.shape;
  if (codebooks.centroids.size() != shape.sub_vectors * shape.clusters * shape.sub_dim())
    throw_argument_error("codebooks", "must hold sub_vectors * clusters * sub_dim = " +
                                          std::to_string(shape.sub_vectors * shape.clusters * shape.sub_dim()) +
                                          " floats",
                         std::to_string(codebooks.centroids.size()));
}

}  // namespace

void PqShape::validate() const {
  require_range("clusters", clusters, 1, kMaxClusters);
  require_range("head_dim", head_dim, 1, 1u << 16);
  require_range("sub_vectors", sub_vectors, 1, head_dim);
  if (head_dim % sub_vectors != 0)
    throw_argument_error("sub_vectors", "must divide head_dim = " + std::to_string(head_dim),
                         std::to_string(sub_vectors));
  require_range("sub_dim (head_dim / sub_vectors)", sub_dim(), 1, kMaxSubDim);
}

size_t code_bits(size_t clusters) {
  require_range("clusters", clusters, 1, kMaxClusters);
  size_t bits = 0;
  while ((size_t(1) << bits) < clusters) ++bits;
  return bits;
}

PqCodebooks train_pq(const float* vectors, size_t count, const PqShape& shape, const PqTrainOptions& options,
                     const float* weights, const PqCodebooks* initial) {
  shape.validate();
  require_not_null("vectors", vectors);
  require_range("count", count, 1, std::numeric_limits<uint32_t>::max());
  if (initial) {
    require_codebooks(*initial);
    if (initial->shape.head_dim != shape.head_dim || initial->shape.sub_vectors != shape.sub_vectors ||
        initial->shape.clusters != shape.clusters)
      throw_argument_error("initial", "must have the shape being trained", "another shape");
  }
  const size_t sub_dim = shape.sub_dim();
  PqCodebooks codebooks{shape, std::vector<float>(shape.sub_vectors * shape.clusters * sub_dim)};
  std::vector<float> sub_points(count * sub_dim);
  for (size_t i = 0; i < shape.sub_vectors; ++i) {
    gather_sub_space(vectors, count, shape, i, sub_points.data());
    KMeansOptions kmeans_options;
    kmeans_options.clusters = shape.clusters;
    kmeans_options.iterations = options.iterations;
    kmeans_options.tolerance = options.tolerance;
    kmeans_options.init = options.init;
    kmeans_options.seed = child_seed(options.seed, i);
    kmeans_options.initial_centroids = initial ? initial->sub_space(i) : nullptr;
    kmeans_options.accumulation_lanes = options.accumulation_lanes;
    kmeans_options.fp16_centroids = options.fp16_centroids;
    kmeans_options.repair_empty_clusters = options.repair_empty_clusters;
    const KMeansResult result = kmeans(sub_points.data(), count, sub_dim, kmeans_options, weights);
    std::copy(result.centroids.begin(), result.centroids.end(),
              codebooks.centroids.begin() + ptrdiff_t(i * shape.clusters * sub_dim));
  }
  if (options.fp16_codebooks)
    for (float& value : codebooks.centroids) value = round_to_fp16(value);
  return codebooks;
}

void encode_pq(const PqCodebooks& codebooks, const float* vectors, size_t count, uint16_t* codes) {
  require_codebooks(codebooks);
  if (count == 0) return;
  require_not_null("vectors", vectors);
  require_not_null("codes", codes);
  const PqShape& shape = codebooks.shape;
  require_finite("vectors", vectors, count * shape.head_dim);
  const size_t sub_dim = shape.sub_dim();
  std::vector<float> sub_points(count * sub_dim);
  std::vector<uint32_t> nearest(count);
  for (size_t i = 0; i < shape.sub_vectors; ++i) {
    gather_sub_space(vectors, count, shape, i, sub_points.data());
    assign_nearest(sub_points.data(), count, sub_dim, codebooks.sub_space(i), shape.clusters, nearest.data());
    for (size_t n = 0; n < count; ++n) codes[n * shape.sub_vectors + i] = uint16_t(nearest[n]);
  }
}

std::vector<uint16_t> encode_pq(const PqCodebooks& codebooks, const float* vectors, size_t count) {
  std::vector<uint16_t> codes(count * codebooks.shape.sub_vectors);
  encode_pq(codebooks, vectors, count, codes.data());
  return codes;
}

void decode_pq(const PqCodebooks& codebooks, const uint16_t* codes, size_t count, float* out) {
  require_codebooks(codebooks);
  const PqShape& shape = codebooks.shape;
  const size_t sub_dim = shape.sub_dim();
  for (size_t n = 0; n < count; ++n)
    for (size_t i = 0; i < shape.sub_vectors; ++i) {
      const size_t code = codes[n * shape.sub_vectors + i];
      if (code >= shape.clusters)
        throw_argument_error("codes", "must be < clusters = " + std::to_string(shape.clusters),
                             std::to_string(code) + " at token " + std::to_string(n));
      const float* centroid = codebooks.sub_space(i) + code * sub_dim;
      std::copy(centroid, centroid + sub_dim, out + n * shape.head_dim + i * sub_dim);
    }
}

std::vector<float> decode_pq(const PqCodebooks& codebooks, const uint16_t* codes, size_t count) {
  std::vector<float> out(count * codebooks.shape.head_dim);
  decode_pq(codebooks, codes, count, out.data());
  return out;
}

size_t packed_code_bytes(size_t code_count, size_t clusters) { return (code_count * code_bits(clusters) + 7) / 8; }

std::vector<uint8_t> pack_codes(const uint16_t* codes, size_t code_count, size_t clusters) {
  const size_t bits = code_bits(clusters);
  std::vector<uint8_t> packed(packed_code_bytes(code_count, clusters));
  size_t bit_position = 0;
  for (size_t c = 0; c < code_count; ++c, bit_position += bits) {
    if (codes[c] >= clusters)
      throw_argument_error("codes", "must be < clusters = " + std::to_string(clusters),
                           std::to_string(codes[c]) + " at index " + std::to_string(c));
    for (size_t b = 0; b < bits; ++b)
      if ((codes[c] >> b) & 1u) packed[(bit_position + b) / 8] |= uint8_t(1u << ((bit_position + b) % 8));
  }
  return packed;
}

std::vector<uint16_t> unpack_codes(const uint8_t* packed, size_t code_count, size_t clusters) {
  const size_t bits = code_bits(clusters);
  std::vector<uint16_t> codes(code_count);
  size_t bit_position = 0;
  for (size_t c = 0; c < code_count; ++c, bit_position += bits) {
    uint32_t code = 0;
    for (size_t b = 0; b < bits; ++b)
      code |= uint32_t((packed[(bit_position + b) / 8] >> ((bit_position + b) % 8)) & 1u) << b;
    codes[c] = uint16_t(code);
  }
  return codes;
}

KvBytes kv_bytes(const PqShape& shape, size_t coded_tokens, size_t fp16_tokens, size_t codebook_count) {
  shape.validate();
  KvBytes bytes;
  bytes.codes = packed_code_bytes(coded_tokens * shape.sub_vectors, shape.clusters);
  bytes.codebooks = codebook_count * shape.sub_vectors * shape.clusters * shape.sub_dim() * sizeof(fp16_bits);
  bytes.fp16_tokens = fp16_kv_bytes(fp16_tokens, shape.head_dim);
  return bytes;
}

}  // namespace aqpim::core
