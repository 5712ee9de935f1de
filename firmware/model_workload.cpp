#include "firmware/model_workload.h"

#include <stdexcept>
#include <string>

#include "core/fp16.h"
#include "core/llm/transformer.h"

namespace aqpim::firmware {
namespace {

void require_equal(const char* what, size_t model, uint32_t shape) {
  if (model != shape)
    throw std::invalid_argument(std::string("workload ") + what + " (" + std::to_string(shape) +
                                ") differs from the model's (" + std::to_string(model) + ")");
}

// Rows [first, first + count) of a [token][row_floats] array, rounded to fp16.
std::vector<float> fp16_rows(const std::vector<float>& all, size_t row_floats, size_t first, size_t count) {
  std::vector<float> rows(all.begin() + ptrdiff_t(first * row_floats),
                          all.begin() + ptrdiff_t((first + count) * row_floats));
  for (float& value : rows) value = core::round_to_fp16(value);
  return rows;
}

}  // namespace

ModelWorkload::ModelWorkload(const core::llm::LlamaModel& model, const std::vector<std::vector<int32_t>>& sequences,
                             WorkloadShape shape)
    : shape_(shape) {
  const core::llm::LlamaConfig& c = model.config;
  require_equal("layers", c.layers, shape.layers);
  require_equal("heads", c.heads, shape.heads);
  require_equal("kv_heads", c.kv_heads, shape.kv_heads);
  require_equal("head_dim", c.head_dim(), shape.head_dim);
  require_equal("batch", sequences.size(), shape.batch);
  const size_t tokens = size_t(shape.context_tokens) + shape.decode_steps;
  if (tokens > c.seq_len)
    throw std::invalid_argument("workload context + decode tokens (" + std::to_string(tokens) +
                                ") exceed the model's seq_len (" + std::to_string(c.seq_len) + ")");
  if (shape.prefill_queries > shape.context_tokens)
    throw std::invalid_argument("workload prefill queries exceed the context");
  shape_.rope_pairing = core::RopePairing::kInterleaved;

  core::llm::Transformer transformer(model);
  const size_t q_floats = c.dim, kv_floats = c.kv_dim();
  for (const std::vector<int32_t>& sequence : sequences) {
    require_equal("tokens per sequence", sequence.size(), uint32_t(tokens));
    core::llm::ExactBackend cache;
    cache.begin(transformer.shape());
    core::llm::ForwardRecord record;
    for (size_t pos = 0; pos < tokens; ++pos) transformer.forward(sequence[pos], pos, cache, &record);
    for (size_t l = 0; l < c.layers; ++l) {
      Layer layer;
      layer.keys = fp16_rows(record.keys[l], kv_floats, 0, tokens);
      layer.values = fp16_rows(record.values[l], kv_floats, 0, tokens);
      layer.prefill_queries =
          fp16_rows(record.queries[l], q_floats, shape.context_tokens - shape.prefill_queries, shape.prefill_queries);
      layer.decode_queries = fp16_rows(record.queries[l], q_floats, shape.context_tokens, shape.decode_steps);
      data_.push_back(std::move(layer));
    }
  }
}

const ModelWorkload::Layer& ModelWorkload::at(uint32_t sequence, uint32_t layer) const {
  if (sequence >= shape_.batch || layer >= shape_.layers)
    throw std::out_of_range("workload data: sequence " + std::to_string(sequence) + ", layer " + std::to_string(layer) +
                            " is outside the workload");
  return data_[size_t(sequence) * shape_.layers + layer];
}

}  // namespace aqpim::firmware
