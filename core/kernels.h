// The arithmetic primitives of AQPIM's processing-in-memory units, as plain C++ over float arrays.
//
// Both the golden model (k-means, PQ, attention on codes) and the PIM unit model call exactly these
// functions, so a PIM command's functional result equals the golden model's bit for bit by construction.
// Each function fixes its arithmetic (accumulation type and order, tie rules) in its comment; an
// optimised implementation may vectorise across independent outputs but must keep that per-output order.
//
// Layouts: a sub-space codebook is `clusters x dim` floats, row-major. Codes are unpacked `uint16_t`,
// token-major: codes[token * sub_vectors + sub_vector]. LUTs and histograms are `sub_vectors x clusters`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "core/fp16.h"

namespace aqpim::core {

// codes[n] = index of the centroid nearest to point n by squared L2 distance, accumulated in fp32 over
// dimensions in order; ties go to the lowest index. If `distances` is not null, it receives that distance.
void assign_nearest(const float* points, size_t count, size_t dim, const float* centroids, size_t clusters,
                    uint32_t* codes, float* distances = nullptr);

// For each point n (in order): sums[codes[n]] += w_n * point_n and weight_sums[codes[n]] += w_n, in fp32,
// with w_n = weights[n] or 1 when `weights` is null. Accumulates into what the arrays already hold, so
// partial sums of several banks combine by calling this per bank, or by add_into().
void accumulate_by_code(const float* points, size_t count, size_t dim, const uint32_t* codes,
                        const float* weights, size_t clusters, float* sums, float* weight_sums);

// destination[i] += source[i]: the buffer-die reduction of per-bank partials (bank order = call order).
void add_into(float* destination, const float* source, size_t count);

// centroids[k] = sums[k] * (1 / weight_sums[k]) (the buffer PE computes the reciprocal, the bank PEs
// multiply). A cluster with weight_sums[k] == 0 keeps its centroid; returns how many did.
size_t finish_centroids(const float* sums, const float* weight_sums, size_t clusters, size_t dim,
                        float* centroids);

// lut[k] = <query_sub, centroids[k]>, fp32, dimensions in order.
void build_lut(const float* query_sub, const float* centroids, size_t clusters, size_t dim, float* lut);

// scores[n] = sum over sub-vectors i, in order, of luts[i * clusters + codes[n * sub_vectors + i]], fp32.
void score_codes(const float* luts, size_t sub_vectors, size_t clusters, const uint16_t* codes, size_t tokens,
                 float* scores);

// Softmax over a token range that may be split across units: each unit reports (max, sum of
// exp(s - max)) and partials merge associatively, as in FlashAttention's online softmax.
struct SoftmaxPartial {
  float max = -std::numeric_limits<float>::infinity();  // for an empty range
  float sum = 0.0f;
};
SoftmaxPartial softmax_partial(const float* scores, size_t count);  // sum in fp32, in order
SoftmaxPartial merge_softmax(SoftmaxPartial a, SoftmaxPartial b);
// probabilities[n] = exp(scores[n] - max) / sum, with the division done as one reciprocal and a multiply.
void softmax_normalize(const float* scores, size_t count, SoftmaxPartial total, float* probabilities);

// The histogram value path: histogram[i * clusters + codes[n, i]] += probabilities[n] (fp32, tokens in
// order), then out[i * dim + d] = sum over k in order of histogram[i, k] * codebook_i[k, d].
void accumulate_histogram(const float* probabilities, const uint16_t* codes, size_t tokens, size_t sub_vectors,
                          size_t clusters, float* histogram);
void histogram_times_codebook(const float* histogram, const float* codebooks, size_t sub_vectors, size_t clusters,
                              size_t dim, float* out);

// The reconstruct value path: out[i * dim + d] += probabilities[n] * codebook_i[codes[n, i], d], tokens in
// order. Mathematically equal to the histogram path; rounding differs.
void accumulate_reconstructed(const float* probabilities, const uint16_t* codes, size_t tokens, size_t sub_vectors,
                              size_t clusters, size_t dim, const float* codebooks, float* out);

// fp16 MAC streams over uncompressed rows (sink/recent tokens and the AttAcc-like baseline):
// scores[n] = sum over d in order of float(rows[n, d]) * query[d], fp32.
void dot_rows_fp16(const fp16_bits* rows, size_t count, size_t dim, const float* query, float* scores);
// out[d] += probabilities[n] * float(rows[n, d]), tokens in order, fp32.
void accumulate_rows_fp16(const float* probabilities, const fp16_bits* rows, size_t count, size_t dim, float* out);

}  // namespace aqpim::core
