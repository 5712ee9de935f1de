#include "firmware/subvector_layout.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/pq_codec.h"

namespace aqpim::firmware {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("sub-vector layout: " + message);
}

}  // namespace

SubvectorLayout::SubvectorLayout(const KvShape& kv, const QuantShape& quant, const PimGeometry& geometry,
                                 const SubvectorOptions& options)
    : kv_(kv), quant_(quant), geometry_(geometry), options_(options) {
  require(kv.layers && kv.heads && kv.kv_heads && kv.head_dim && kv.batch && kv.context_tokens,
          "every model and workload size must be at least 1");
  require(quant.sub_vectors && kv.head_dim % quant.sub_vectors == 0, "sub_vectors must divide head_dim");
  require(quant.centroids >= 2 && quant.centroids <= 65536, "centroids must be in [2, 65536]");
  require(geometry.units && geometry.pes_per_unit && geometry.row_bytes, "the PIM geometry must be non-empty");
  require(options.windows >= 1 && options.table_heads >= 1, "windows and table_heads must be at least 1");
  banks_used_ = std::min(quant.sub_vectors, geometry.pes_per_unit);
  require(quant.sub_vectors % banks_used_ == 0,
          "pq.sub_vectors (" + std::to_string(quant.sub_vectors) + ") must be at most the banks per pseudo-channel (" +
              std::to_string(geometry.pes_per_unit) + ") or a multiple of them, so every bank holds as many");
  per_bank_ = quant.sub_vectors / banks_used_;
  code_bits_ = core::code_bits(quant.centroids);
  granule_ = 8 / std::gcd(8u, per_bank_ * code_bits_);

  const uint32_t fp16_tokens = quant.sink_tokens + quant.recent_tokens;
  const auto coded = [&](uint64_t tokens) {
    return uint32_t(tokens > fp16_tokens ? (tokens - fp16_tokens) / granule_ * granule_ : 0);
  };
  prompt_coded_ = coded(kv.context_tokens);
  coded_capacity_ = std::max(prompt_coded_, coded(uint64_t(kv.context_tokens) + kv.decode_steps));
  if (options.max_coded_tokens) {
    coded_capacity_ = std::min(coded_capacity_, options.max_coded_tokens / granule_ * granule_);
    prompt_coded_ = std::min(prompt_coded_, coded_capacity_);
  }
  window_tokens_ = uint32_t(ceil_div(ceil_div(prompt_coded_, options.windows), granule_) * granule_);

  slots_per_unit_ = uint32_t(ceil_div(uint64_t(kv.batch) * kv.layers * kv.kv_heads, geometry.units));
  slots_per_layer_ = uint32_t(ceil_div(uint64_t(kv.batch) * kv.kv_heads, geometry.units));
  codebook_stride_ = align(uint64_t(quant.centroids) * sub_dim() * sizeof(uint16_t));
  codebooks_per_slot_ = 2 * uint64_t(options.windows) * per_bank_ * codebook_stride_;
  codes_bytes_ = align(ceil_div(uint64_t(coded_capacity_) * per_bank_ * code_bits_, 8));
  slot_bytes_ = codebooks_per_slot_ + 2 * codes_bytes_;

  const uint64_t scratch_tokens = std::max<uint64_t>(prompt_coded_, granule_);
  vectors_bytes_ = align(scratch_tokens * per_bank_ * sub_dim() * sizeof(uint16_t));
  weights_bytes_ = align(scratch_tokens * sizeof(float));
  tables_bytes_ = options.codebook_store == CodebookStore::dram
                      ? uint64_t(per_bank_) * options.table_heads * geometry.row_bytes
                      : 0;
  scalars_bytes_ = align(uint64_t(coded_capacity_) * options.table_heads * sizeof(float));
  scratch_bytes_ = 2 * vectors_bytes_ + weights_bytes_ + tables_bytes_ + 2 * scalars_bytes_;
  scratch_base_ = slot_bytes_ * slots_per_unit_;
  end_ = scratch_base_ + scratch_bytes_ * slots_per_layer_;
}

uint64_t SubvectorLayout::align(uint64_t bytes) const { return ceil_div(bytes, geometry_.row_bytes) * geometry_.row_bytes; }

KvLayout::Placement SubvectorLayout::place(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  require(sequence < kv_.batch && layer < kv_.layers && kv_head < kv_.kv_heads, "head instance out of range");
  const uint64_t layer_first = uint64_t(layer) * kv_.batch * kv_.kv_heads;
  const uint64_t instance = layer_first + uint64_t(sequence) * kv_.kv_heads + kv_head;
  return {uint32_t(instance % geometry_.units), uint32_t(instance / geometry_.units),
          uint32_t((instance - layer_first) / geometry_.units)};
}

uint32_t SubvectorLayout::window_first(uint32_t window) const {
  return std::min(prompt_coded_, window * window_tokens_);
}

uint64_t SubvectorLayout::codebook(uint32_t slot, bool keys, uint32_t window) const {
  require(slot < slots_per_unit_ && window < options_.windows, "codebook slot or window out of range");
  return slot * slot_bytes_ + ((keys ? 0 : options_.windows) + window) * per_bank_ * codebook_stride_;
}

uint64_t SubvectorLayout::codes(uint32_t slot, bool keys) const {
  require(slot < slots_per_unit_, "codes slot out of range");
  return slot * slot_bytes_ + codebooks_per_slot_ + (keys ? 0 : codes_bytes_);
}

uint64_t SubvectorLayout::prefill_vectors(uint32_t slot_in_layer, bool keys) const {
  require(slot_in_layer < slots_per_layer_, "scratch slot out of range");
  return scratch_base_ + slot_in_layer * scratch_bytes_ + (keys ? 0 : vectors_bytes_);
}

uint64_t SubvectorLayout::weights(uint32_t slot_in_layer) const {
  return prefill_vectors(slot_in_layer, true) + 2 * vectors_bytes_;
}

uint64_t SubvectorLayout::tables(uint32_t slot_in_layer) const { return weights(slot_in_layer) + weights_bytes_; }

uint64_t SubvectorLayout::scores(uint32_t slot_in_layer) const { return tables(slot_in_layer) + tables_bytes_; }

uint64_t SubvectorLayout::probabilities(uint32_t slot_in_layer) const {
  return scores(slot_in_layer) + scalars_bytes_;
}

}  // namespace aqpim::firmware
