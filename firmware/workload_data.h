// The data a functional run computes on: per (sequence, layer), the K and V rows of every token the run
// will see (prompt + decoded), the last prefill queries (importance weights) and one query per decode
// step. fp16-exact floats, as the cache stores them. Timing-only runs have no WorkloadData at all.
#pragma once

#include <cstdint>
#include <vector>

#include "core/accuracy_fixes.h"
#include "core/synthetic_kv.h"

namespace aqpim::firmware {

struct WorkloadShape {
  uint32_t batch = 1, layers = 1, heads = 1, kv_heads = 1, head_dim = 128;
  uint32_t context_tokens = 0, decode_steps = 0, prefill_queries = 32;
  uint64_t seed = 1;
  // Which key channels RoPE rotates together, so channel pre-sorting keeps them in one sub-vector (the order
  // can then fold into W_k): the synthetic data follows the half-split convention, llama2.c interleaves.
  core::RopePairing rope_pairing = core::RopePairing::kHalfSplit;
};

class WorkloadData {
 public:
  virtual ~WorkloadData() = default;
  // [token][kv_head][head_dim], tokens 0 .. context + decode_steps - 1
  virtual const float* keys(uint32_t sequence, uint32_t layer) const = 0;
  virtual const float* values(uint32_t sequence, uint32_t layer) const = 0;
  // [query][head][head_dim]: the last prefill_queries queries of the prompt
  virtual const float* prefill_queries(uint32_t sequence, uint32_t layer) const = 0;
  // [step][head][head_dim]: the query of each decode step
  virtual const float* decode_queries(uint32_t sequence, uint32_t layer) const = 0;
  virtual const WorkloadShape& shape() const = 0;
};

// core::make_synthetic_kv per (sequence, layer), seeded from the workload seed, sequence and layer.
class SyntheticWorkload : public WorkloadData {
 public:
  explicit SyntheticWorkload(const WorkloadShape& shape);
  const float* keys(uint32_t sequence, uint32_t layer) const override { return at(sequence, layer).keys.data(); }
  const float* values(uint32_t sequence, uint32_t layer) const override { return at(sequence, layer).values.data(); }
  const float* prefill_queries(uint32_t sequence, uint32_t layer) const override {
    return at(sequence, layer).prefill_queries.data();
  }
  const float* decode_queries(uint32_t sequence, uint32_t layer) const override {
    return at(sequence, layer).decode_queries.data();
  }
  const WorkloadShape& shape() const override { return shape_; }

 private:
  const core::SyntheticKv& at(uint32_t sequence, uint32_t layer) const;
  WorkloadShape shape_;
  std::vector<core::SyntheticKv> data_;  // [sequence][layer]
};

}  // namespace aqpim::firmware
