// KV kept in CPU memory behind PCIe: tokens [first_token, length) of every head instance. A layer's
// offloaded tokens are stored token-major across the layer's heads, so the tokens that overflow in a decode
// step are contiguous and one transfer per layer brings them all back (FlexGen-style layer-wise fetch).
// Shared by every mode whose KV can overflow its home memory, and by PQCache, whose whole fp16 cache lives
// there. A compressed cache (SKVQ) gives its own bytes per head and token and moves sizes only.
#pragma once

#include <cstdint>
#include <vector>

#include "firmware/attention_firmware.h"
#include "hwif/platform_view.h"

namespace aqpim::firmware {

class KvOffload {
 public:
  // Throws std::invalid_argument when the offloaded KV does not fit the CPU memory. head_token_bytes: one
  // token's K and V of one head as stored (0: fp16 rows); data must be null unless they are fp16 rows.
  KvOffload(const WorkloadConfig& workload, const hwif::PlatformView& view, uint32_t first_token, const WorkloadData* data,
            uint64_t head_token_bytes = 0);

  uint32_t first_token() const { return first_token_; }
  uint32_t tokens(uint32_t length) const { return length > first_token_ ? length - first_token_ : 0; }
  // Offloaded KV bytes of all heads and layers when every head holds `length` tokens.
  double bytes(uint32_t length) const;

  // Prefill: copy engines write the prompt's offloaded tokens of every head of `layer` (returns at once).
  void store_prompt(hwif::Hal& hal, uint32_t layer) const;
  // Decode: the step's new token of every head of `layer`, when it falls in the offloaded range.
  void store_token(hwif::Hal& hal, uint32_t layer, uint32_t token) const;
  // Reads the layer's offloaded tokens back (blocking). Functional mode: returns them as floats,
  // [token - first_token][sequence * kv_heads + kv_head][K then V][head_dim]; empty in timing-only mode.
  std::vector<float> fetch(hwif::Hal& hal, uint32_t layer, uint32_t length) const;
  // Reads `tokens_per_head` tokens of every head of `layer` as one transfer (blocking): the rows a selection
  // picked, gathered into one pinned buffer by the CPU (PQCache); sizes only.
  void gather(hwif::Hal& hal, uint32_t layer, uint32_t tokens_per_head) const;
  // In what fetch() returned: the K row of `token` of (sequence, kv_head); its V row follows it.
  const float* fetched_row(const std::vector<float>& fetched, uint32_t token, uint32_t sequence,
                           uint32_t kv_head) const;

 private:
  uint64_t address(uint32_t layer, uint32_t token) const;
  std::vector<uint16_t> rows_image(uint32_t layer, uint32_t first, uint32_t count) const;

  WorkloadConfig workload_;
  const WorkloadData* data_;
  uint64_t base_ = 0;
  uint32_t first_token_;
  uint32_t heads_per_layer_;
  uint64_t token_bytes_;  // one token of every head of a layer, K and V, as stored
  uint64_t layer_bytes_;
};

}  // namespace aqpim::firmware
