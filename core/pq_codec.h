// Product quantisation of one attention head's K or V vectors (the layout faiss users know from
// faiss::ProductQuantizer): a head_dim vector is split into `sub_vectors` (m) contiguous sub-vectors of
// sub_dim = head_dim / m channels; each sub-space has its own codebook of `clusters` (K) centroids and a
// vector is stored as m codes of ceil(log2 K) bits.
//
// Layouts (same as core/kernels.h): codebooks [sub_vector][cluster][sub_dim] floats; unpacked codes
// uint16_t token-major, codes[token * m + sub_vector]; packed codes are one little-endian bit stream in that
// same order, each code's bits least significant first.
//
// fp16: PIM keeps codebooks in fp16 SRAM, so by default train_pq rounds the finished codebook to fp16
// (k-means itself iterates in fp32, like the bank-PE accumulators) and encodes against the rounded codebook.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/kmeans.h"

namespace aqpim::core {

inline constexpr size_t kMaxClusters = 4096;  // 12-bit codes
inline constexpr size_t kMaxSubDim = 16;

struct PqShape {
  size_t head_dim = 128;
  size_t sub_vectors = 32;  // m
  size_t clusters = 512;    // K
  size_t sub_dim() const { return head_dim / sub_vectors; }
  // Throws std::invalid_argument unless 1 <= K <= 4096, m divides head_dim and 1 <= sub_dim <= 16.
  void validate() const;
};

// ceil(log2 K): bits of one packed code (0 for K == 1: the only centroid needs no code).
size_t code_bits(size_t clusters);

struct PqCodebooks {
  PqShape shape;
  std::vector<float> centroids;  // [sub_vector][cluster][sub_dim]
  const float* sub_space(size_t sub_vector) const {
    return centroids.data() + sub_vector * shape.clusters * shape.sub_dim();
  }
};

struct PqTrainOptions {
  size_t iterations = 4;  // AQPIM's in-memory clustering; faiss trains with 25 by default
  double tolerance = 0.0;
  KMeansInit init = KMeansInit::kPlusPlus;
  uint64_t seed = 0;              // sub-space i uses child_seed(seed, i)
  bool fp16_codebooks = true;     // round the finished codebook as fp16 SRAM would hold it
  // The hardware-arithmetic switches of KMeansOptions, passed to every sub-space's k-means.
  size_t accumulation_lanes = 1;
  bool fp16_centroids = false;
  bool repair_empty_clusters = true;
};

// vectors: count x head_dim, finite. weights: count importance weights (AQPIM's weighted update) or null.
// initial: codebooks to start from instead of initialising (windowed clustering's carry-over) or null.
PqCodebooks train_pq(const float* vectors, size_t count, const PqShape& shape, const PqTrainOptions& options = {},
                     const float* weights = nullptr, const PqCodebooks* initial = nullptr);

// codes: count x m, the nearest centroid of every sub-vector (the kernel's assign_nearest, ties low).
void encode_pq(const PqCodebooks& codebooks, const float* vectors, size_t count, uint16_t* codes);
std::vector<uint16_t> encode_pq(const PqCodebooks& codebooks, const float* vectors, size_t count);
// out: count x head_dim, each sub-vector replaced by its centroid.
void decode_pq(const PqCodebooks& codebooks, const uint16_t* codes, size_t count, float* out);
std::vector<float> decode_pq(const PqCodebooks& codebooks, const uint16_t* codes, size_t count);

size_t packed_code_bytes(size_t code_count, size_t clusters);  // ceil(code_count * code_bits / 8)
std::vector<uint8_t> pack_codes(const uint16_t* codes, size_t code_count, size_t clusters);
std::vector<uint16_t> unpack_codes(const uint8_t* packed, size_t code_count, size_t clusters);

// Bytes the modelled hardware stores for one head's K or V: packed codes, fp16 codebooks (one per window
// with windowed clustering) and the sink/recent tokens kept in fp16.
struct KvBytes {
  size_t codes = 0;
  size_t codebooks = 0;
  size_t fp16_tokens = 0;
  size_t total() const { return codes + codebooks + fp16_tokens; }
};
// coded_tokens are quantised; fp16_tokens (sinks + recent window) are kept uncompressed.
KvBytes kv_bytes(const PqShape& shape, size_t coded_tokens, size_t fp16_tokens, size_t codebook_count = 1);
inline size_t fp16_kv_bytes(size_t tokens, size_t head_dim) { return tokens * head_dim * 2; }

}  // namespace aqpim::core
