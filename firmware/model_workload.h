// A functional run's data from a real model: the K, V and queries a llama2.c model computes while it reads a
// text (core/llm's fp32 forward pass with an exact cache), teacher-forced, so every decode step's query and new
// K, V are those of the next token of the text. Sequence b of the batch reads token run b. Rounded to fp16 as
// the cache stores them (WorkloadData's contract); the same data a core::llm back end sees before rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "core/llm/llama2_checkpoint.h"
#include "firmware/workload_data.h"

namespace aqpim::firmware {

class ModelWorkload : public WorkloadData {
 public:
  // sequences: batch token runs of context_tokens + decode_steps tokens each (BOS first), at most the model's
  // seq_len. The shape's layers, heads, kv_heads and head_dim must be the model's (std::invalid_argument).
  // rope_pairing is set to llama2.c's interleaved pairs.
  ModelWorkload(const core::llm::LlamaModel& model, const std::vector<std::vector<int32_t>>& sequences,
                WorkloadShape shape);
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
  struct Layer {
    std::vector<float> keys, values, prefill_queries, decode_queries;
  };
  const Layer& at(uint32_t sequence, uint32_t layer) const;
  WorkloadShape shape_;
  std::vector<Layer> data_;  // [sequence][layer]
};

}  // namespace aqpim::firmware
