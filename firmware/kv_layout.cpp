#include "firmware/kv_layout.h"

#include <algorithm>
#include <stdexcept>

#include "core/pq_codec.h"
#include <utility>

namespace aqpim::firmware {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("KV layout: " + message);
}

}  // namespace

KvLayout::KvLayout(const KvShape& kv, const QuantShape& quant, const PimGeometry& geometry, KvFormat format,
                   uint32_t max_rows_per_pe)
    : kv_(kv), quant_(quant), format_(format), geometry_(geometry) {
  const bool coded = format == KvFormat::pq_codes;
  require(kv.layers && kv.heads && kv.kv_heads && kv.head_dim && kv.batch && kv.context_tokens,
          "every model and workload size must be at least 1");
  require(kv.heads % kv.kv_heads == 0, "kv_heads must divide heads");
  if (coded) {
    require(quant.sub_vectors && kv.head_dim % quant.sub_vectors == 0, "sub_vectors must divide head_dim");
    require(quant.centroids >= 1 && quant.centroids <= 65536, "centroids must be in [1, 65536] (uint16 codes)");
  }
  require(geometry.units && geometry.pes_per_unit && geometry.row_bytes, "the PIM geometry must be non-empty");

  const uint64_t pes = geometry.pes_per_unit;
  slots_per_unit_ = uint32_t(ceil_div(head_instances(), geometry.units));
  slots_per_layer_ = uint32_t(ceil_div(uint64_t(kv.batch) * kv.kv_heads, geometry.units));
  rows_per_pe_ = uint32_t(ceil_div(uint64_t(kv.context_tokens) + kv.decode_steps, pes));
  if (max_rows_per_pe) rows_per_pe_ = std::min(rows_per_pe_, max_rows_per_pe);

  // PIM stores codes packed at ceil(log2 K) bits; a token's codes must end on a byte so that any token range
  // is a byte range of the code stream.
  if (coded)
    require(quant.sub_vectors * core::code_bits(quant.centroids) % 8 == 0,
            "sub_vectors x ceil(log2 centroids) must be a multiple of 8 bits (whole bytes per token)");
  const uint64_t token_bytes = uint64_t(rows_per_pe_) * kv.head_dim * sizeof(uint16_t);  // fp16 rows
  const uint64_t codes_bytes =
      coded ? core::packed_code_bytes(uint64_t(rows_per_pe_) * quant.sub_vectors, quant.centroids) : token_bytes;
  const uint64_t codebook_bytes = coded ? uint64_t(quant.centroids) * kv.head_dim * sizeof(uint16_t) : 0;
  const uint64_t scalar_bytes = uint64_t(rows_per_pe_) * sizeof(float);
  scores_stride_ = align(scalar_bytes);
  uint64_t offset = 0;
  auto take = [&](uint64_t bytes) { return std::exchange(offset, offset + align(bytes)); };
  first_slot_.keys = take(codes_bytes);
  first_slot_.values = take(codes_bytes);
  first_slot_.codebook_k = take(codebook_bytes);
  first_slot_.codebook_v = take(codebook_bytes);
  first_slot_.scores = take(scores_stride_ * group_size());
  first_slot_.weights = take(coded ? scalar_bytes : 0);
  slot_bytes_ = offset;

  staging_base_ = slot_bytes_ * slots_per_unit_;
  staging_bytes_ = coded ? align(token_bytes) : 0;
  end_ = staging_base_ + 2 * staging_bytes_ * slots_per_layer_;
}

uint64_t KvLayout::align(uint64_t bytes) const { return ceil_div(bytes, geometry_.row_bytes) * geometry_.row_bytes; }

uint64_t KvLayout::head_instances() const { return uint64_t(kv_.batch) * kv_.layers * kv_.kv_heads; }

KvLayout::Placement KvLayout::place(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  require(sequence < kv_.batch && layer < kv_.layers && kv_head < kv_.kv_heads, "head instance out of range");
  const uint64_t layer_first = uint64_t(layer) * kv_.batch * kv_.kv_heads;
  const uint64_t instance = layer_first + uint64_t(sequence) * kv_.kv_heads + kv_head;
  return {uint32_t(instance % geometry_.units), uint32_t(instance / geometry_.units),
          uint32_t((instance - layer_first) / geometry_.units)};
}

uint32_t KvLayout::tokens_on_pe(uint32_t length, uint32_t pe) const {
  const uint32_t pes = geometry_.pes_per_unit;
  return length / pes + (pe < length % pes ? 1 : 0);
}

SlotRegions KvLayout::slot(uint32_t slot_index) const {
  require(slot_index < slots_per_unit_, "slot out of range");
  const uint64_t base = slot_bytes_ * slot_index;
  SlotRegions regions = first_slot_;
  for (uint64_t* offset :
       {&regions.keys, &regions.values, &regions.codebook_k, &regions.codebook_v, &regions.scores, &regions.weights})
    *offset += base;
  return regions;
}

uint64_t KvLayout::staging_k(uint32_t slot_in_layer) const {
  require(slot_in_layer < slots_per_layer_, "staging slot out of range");
  return staging_base_ + 2 * staging_bytes_ * slot_in_layer;
}

uint64_t KvLayout::staging_v(uint32_t slot_in_layer) const { return staging_k(slot_in_layer) + staging_bytes_; }

}  // namespace aqpim::firmware
