// The paper's mapping of a product-quantised KV cache onto HBM-PIM (docs/firmware.md, "Sub-vector
// mapping"): a head instance (sequence, layer, KV head) lives on one pseudo-channel (unit), as the paper
// gives each head its own HBM device, and its sub-vector i on bank i mod banks: that bank holds sub-vector
// i's codebooks, every token's code for it and its inner-product table rows, so k-means, lookups and
// value lookups run in each bank on its own data. Allocation per bank, as the paper does it before prefill:
//   - a fixed codebook region: per slot, K then V, per window, per sub-vector of the bank, K x d fp16
//     entries starting on a row of their own (a value pass looks them up row by row);
//   - code indices per slot, allocated at row granularity: every coded token's codes of the bank's
//     sub-vectors, packed at ceil(log2 K) bits;
//   - a scratch area per slot of a layer, reused layer after layer: the prefill buffer (the layer's raw fp16
//     sub-vectors and importance weights; the staging of tokens leaving the fp16 window during decode),
//     inner-product table rows, and the scores and probabilities of a decode step.
// Plain C++; the firmware and the capacity report both read it.
#pragma once

#include <cstdint>

#include "firmware/kv_layout.h"

namespace aqpim::firmware {

enum class CodebookStore { sram, dram };

struct SubvectorOptions {
  CodebookStore codebook_store = CodebookStore::dram;
  uint32_t windows = 1;      // codebooks per head and K or V (page-aware windowed clustering)
  uint32_t table_heads = 1;  // query heads one scoring pass serves (the GQA group, or 1)
  // Coded tokens a head keeps in PIM at most (0: all it will have); the rest overflow to CPU memory.
  uint32_t max_coded_tokens = 0;
};

class SubvectorLayout {
 public:
  // Throws std::invalid_argument naming what is inconsistent (the sub-vectors cannot be spread evenly over
  // the banks, a window's codes would not start on a byte).
  SubvectorLayout(const KvShape& kv, const QuantShape& quant, const PimGeometry& geometry,
                  const SubvectorOptions& options);

  KvLayout::Placement place(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;

  uint32_t banks_used() const { return banks_used_; }           // banks (PEs) holding sub-vectors
  uint32_t sub_vectors_per_bank() const { return per_bank_; }   // m_pe
  uint32_t sub_dim() const { return kv_.head_dim / quant_.sub_vectors; }
  uint32_t code_bits() const { return code_bits_; }  // per code (quant.centroids: one window's K)
  // Coded tokens move in groups of this many, so that every group's codes start on a byte in every bank.
  uint32_t granule() const { return granule_; }
  uint32_t prompt_coded_tokens() const { return prompt_coded_; }  // coded during prefill
  uint32_t coded_capacity() const { return coded_capacity_; }      // coded tokens a head holds at most
  // Prompt tokens [window_first(w), window_first(w + 1)) form window w; decode appends extend the last.
  uint32_t window_first(uint32_t window) const;

  uint64_t codebook_stride() const { return codebook_stride_; }  // bytes per sub-vector codebook
  uint64_t codebook(uint32_t slot, bool keys, uint32_t window) const;
  uint64_t codes(uint32_t slot, bool keys) const;
  uint64_t prefill_vectors(uint32_t slot_in_layer, bool keys) const;  // also the decode staging area
  uint64_t weights(uint32_t slot_in_layer) const;
  uint64_t tables(uint32_t slot_in_layer) const;
  uint64_t scores(uint32_t slot_in_layer) const;
  uint64_t probabilities(uint32_t slot_in_layer) const;

  uint64_t bytes_per_bank_used() const { return end_; }
  bool fits() const { return end_ <= geometry_.bytes_per_pe; }
  uint32_t slots_per_layer() const { return slots_per_layer_; }
  const SubvectorOptions& options() const { return options_; }

 private:
  uint64_t align(uint64_t bytes) const;

  KvShape kv_;
  QuantShape quant_;
  PimGeometry geometry_;
  SubvectorOptions options_;
  uint32_t banks_used_ = 0, per_bank_ = 0, code_bits_ = 0, granule_ = 1;
  uint32_t prompt_coded_ = 0, coded_capacity_ = 0, window_tokens_ = 0;
  uint32_t slots_per_unit_ = 0, slots_per_layer_ = 0;
  uint64_t codebook_stride_ = 0, codebooks_per_slot_ = 0, codes_bytes_ = 0, slot_bytes_ = 0;
  uint64_t scratch_base_ = 0, vectors_bytes_ = 0, weights_bytes_ = 0, tables_bytes_ = 0, scalars_bytes_ = 0;
  uint64_t scratch_bytes_ = 0, end_ = 0;
};

}  // namespace aqpim::firmware
