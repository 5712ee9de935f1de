// Where the KV cache lives in PIM memory: which pseudo-channel (PIM unit) holds which attention head,
// which processing element (PE) holds which token, and the byte layout inside each PE's banks. Plain C++;
// the firmware and the capacity report both read it, so what is simulated and what is reported agree.
//
// Mapping (docs/firmware.md explains the choice):
// - A head instance is one (sequence, layer, KV head). Instances of one layer are spread over all units
//   first (instance i -> unit i % units, slot i / units), so every layer's attention uses every unit.
// - Tokens of a head are interleaved over the unit's PEs (token t -> PE t % PEs, row t / PEs): decode
//   appends land on each PE in turn and every PE streams the same share of a head.
// - Inside a PE, per slot: K and V codes packed at ceil(log2 K) bits (token-major), K and V codebook images (loaded
//   into the codebook SRAM by PIM), per-token fp32 scores (one array per query head of the GQA group;
//   softmax normalises them in place into probabilities) and importance weights. A staging area holds one
//   layer's raw fp16 K and V during prefill (and a row of leaving window tokens during decode) and is
//   reused layer after layer.
// - The tokens kept in fp16 (attention sinks and the recent window) stay with the GPU, which computes
//   their part of the attention; PIM holds only coded tokens, in whole rows of every bank.
#pragma once

#include <cstdint>
#include <string>

namespace aqpim::firmware {

struct KvShape {
  uint32_t layers = 0;
  uint32_t heads = 0;     // query heads per layer
  uint32_t kv_heads = 0;  // key/value heads per layer (GQA when fewer than heads)
  uint32_t head_dim = 0;
  uint32_t batch = 0;
  uint32_t context_tokens = 0;  // prompt length
  uint32_t decode_steps = 0;
};

struct QuantShape {
  uint32_t sub_vectors = 0;  // m
  uint32_t centroids = 0;    // K
  uint32_t sink_tokens = 0;
  uint32_t recent_tokens = 0;
};

struct PimGeometry {
  uint32_t units = 0;          // PIM-enabled pseudo-channels
  uint32_t pes_per_unit = 0;   // bank-level PEs per pseudo-channel
  uint64_t bytes_per_pe = 0;   // bank capacity one PE owns
  uint32_t row_bytes = 0;      // regions start on row boundaries so streams open whole rows
};

// Byte offsets inside one PE's bank space.
struct SlotRegions {
  // K and V of the slot's tokens: rows_per_pe x sub_vectors codes packed at ceil(log2 K) bits (pq_codes), or
  // rows_per_pe x head_dim fp16 (fp16_rows).
  uint64_t keys = 0, values = 0;
  uint64_t codebook_k = 0, codebook_v = 0;    // sub_vectors x centroids x sub_dim fp16 (pq_codes only)
  uint64_t scores = 0;   // group_size arrays of rows_per_pe fp32: query head g's at scores + g * scores_stride
  uint64_t weights = 0;  // rows_per_pe fp32 (pq_codes only)
};

// How a slot stores its tokens: AQPIM's product-quantised codes, or plain fp16 rows (the AttAcc-like
// baseline, which needs no codebooks, importance weights or staging area).
enum class KvFormat { pq_codes, fp16_rows };

class KvLayout {
 public:
  // Throws std::invalid_argument naming the field when a shape is empty or inconsistent. max_rows_per_pe
  // caps the rows a slot reserves per PE (the firmware keeps later tokens elsewhere); 0 = no cap.
  KvLayout(const KvShape& kv, const QuantShape& quant, const PimGeometry& geometry,
           KvFormat format = KvFormat::pq_codes, uint32_t max_rows_per_pe = 0);

  struct Placement {
    uint32_t unit;
    uint32_t slot;           // among all the unit's slots
    uint32_t slot_in_layer;  // among the unit's slots of this layer: picks the staging area
  };
  Placement place(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;
  uint32_t pe_of_token(uint32_t token) const { return token % geometry_.pes_per_unit; }
  uint32_t row_of_token(uint32_t token) const { return token / geometry_.pes_per_unit; }
  // Tokens of a head of `length` tokens that PE `pe` holds.
  uint32_t tokens_on_pe(uint32_t length, uint32_t pe) const;

  uint64_t head_instances() const;
  uint32_t slots_per_unit() const { return slots_per_unit_; }
  uint32_t slots_per_layer() const { return slots_per_layer_; }  // slots one layer occupies on a unit
  uint32_t rows_per_pe() const { return rows_per_pe_; }  // per head: context + decode tokens, or the cap
  KvFormat format() const { return format_; }
  uint32_t group_size() const { return kv_.heads / kv_.kv_heads; }  // query heads per KV head
  uint64_t scores_stride() const { return scores_stride_; }
  uint32_t sub_dim() const { return kv_.head_dim / quant_.sub_vectors; }

  SlotRegions slot(uint32_t slot_index) const;
  uint64_t staging_k(uint32_t slot_in_layer) const;  // raw fp16 K of one head during its prefill
  uint64_t staging_v(uint32_t slot_in_layer) const;

  uint64_t bytes_per_slot() const { return slot_bytes_; }
  uint64_t bytes_per_pe_used() const { return end_; }
  bool fits() const { return end_ <= geometry_.bytes_per_pe; }

  const KvShape& kv() const { return kv_; }
  const QuantShape& quant() const { return quant_; }
  const PimGeometry& geometry() const { return geometry_; }

 private:
  uint64_t align(uint64_t bytes) const;

  KvShape kv_;
  QuantShape quant_;
  KvFormat format_;
  PimGeometry geometry_;
  uint32_t slots_per_unit_ = 0, slots_per_layer_ = 0;
  uint32_t rows_per_pe_ = 0;
  uint64_t scores_stride_ = 0;
  SlotRegions first_slot_;
  uint64_t slot_bytes_ = 0, staging_base_ = 0, staging_bytes_ = 0, end_ = 0;
};

}  // namespace aqpim::firmware
