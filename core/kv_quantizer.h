// One head's K or V cache as AQPIM stores it: the first `sink` and last `recent` tokens in fp16, the tokens
// between them product-quantised (optionally one codebook per page-aware window), channels optionally
// pre-sorted. The accuracy fixes are all switches of KvQuantizationOptions or inputs of quantize_kv; with
// every switch off this is plain PQ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/fp16.h"
#include "core/pq_codec.h"

namespace aqpim::core {

// A 1 KB DRAM row buffer holds 512 fp16 products: a window's codebook may not exceed one row.
inline constexpr size_t kRowBufferCentroids = 512;

struct KvQuantizationOptions {
  PqShape shape;
  PqTrainOptions training;
  size_t sink_tokens = 0;    // attention-sink tokens kept in fp16 (AQPIM: 8)
  size_t recent_tokens = 0;  // recent window kept in fp16 (AQPIM: 32)
  // Page-aware windowed clustering: coded tokens per window, each window with its own codebook trained
  // starting from the previous window's; needs clusters <= kRowBufferCentroids. 0 = one codebook.
  size_t window_tokens = 0;
  // k-means of the last window also sees the recent-window tokens (not coded now, but decode will code them
  // with that codebook once they leave the window). Off = train on the coded tokens only. The paper does not
  // say which; with K >= coded + recent tokens this makes decode-time coding of the prefill tokens lossless.
  bool train_on_recent = false;

  // AQPIM's settings (m = 32, K = 512, 8 sink + 32 recent tokens, 4 iterations) for a head_dim.
  static KvQuantizationOptions aqpim(size_t head_dim = 128);
};

struct QuantizedKv {
  size_t head_dim = 0;
  size_t sink_tokens = 0;
  std::vector<fp16_bits> sink_rows;    // sink_tokens x head_dim, channels in stored (sorted) order
  size_t coded_tokens = 0;
  size_t window_tokens = 0;            // coded tokens per codebook (== coded_tokens for one codebook)
  std::vector<PqCodebooks> codebooks;  // one per window
  std::vector<uint16_t> codes;         // coded_tokens x m, token-major
  std::vector<fp16_bits> recent_rows;  // recent x head_dim
  // Stored channel c holds original channel channel_order[c]; empty = identity (no pre-sorting).
  std::vector<uint32_t> channel_order;
  // Hardware arithmetic: the inner-product tables scoring looks codes up in are held as fp16 (a DRAM row
  // of 512 products), so each product is rounded to fp16 before the lookups.
  bool fp16_tables = false;

  size_t recent_tokens() const { return head_dim ? recent_rows.size() / head_dim : 0; }
  size_t tokens() const { return sink_tokens + coded_tokens + recent_tokens(); }
  // Coded tokens [begin, end) of window w; tokens appended during decode extend the last window.
  size_t window_begin(size_t window) const { return window * window_tokens; }
  size_t window_end(size_t window) const {
    return window + 1 == codebooks.size() ? coded_tokens : (window + 1) * window_tokens;
  }
};

// rows: tokens x head_dim with consecutive rows `row_stride` floats apart (row_stride = kv_heads * head_dim
// reads one head out of a [token][kv_head][head_dim] tensor; 0 means head_dim). The rows are used as given:
// round them to fp16 first to model fp16 KV exactly.
// token_weights: importance weights (tokens values, see importance_weights) or null for plain k-means.
// channel_order: a permutation from calibrate_channel_order, or empty.
QuantizedKv quantize_kv(const float* rows, size_t tokens, size_t row_stride, const KvQuantizationOptions& options,
                        const float* token_weights = nullptr, const std::vector<uint32_t>& channel_order = {});

// Decode step: the new token enters the recent window; the token that leaves it is encoded with the last
// codebook (AQPIM does no online centroid update). Before any codebook exists, tokens stay in fp16.
void append_token(QuantizedKv& kv, const float* row);

// tokens x head_dim in the original channel order: fp16 rows widened, coded rows decoded.
std::vector<float> dequantize_kv(const QuantizedKv& kv);

KvBytes stored_bytes(const QuantizedKv& kv);

}  // namespace aqpim::core
