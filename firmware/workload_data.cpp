#include "firmware/workload_data.h"

#include <stdexcept>
#include <string>

namespace aqpim::firmware {

SyntheticWorkload::SyntheticWorkload(const WorkloadShape& shape) : shape_(shape) {
  data_.reserve(size_t(shape.batch) * shape.layers);
  for (uint32_t sequence = 0; sequence < shape.batch; ++sequence)
    for (uint32_t layer = 0; layer < shape.layers; ++layer) {
      core::SyntheticKvOptions options;
      options.tokens = size_t(shape.context_tokens) + shape.decode_steps;
      options.head_dim = shape.head_dim;
      options.kv_heads = shape.kv_heads;
      options.query_heads = shape.heads;
      options.prefill_queries = shape.prefill_queries;
      options.decode_queries = shape.decode_steps;
      // Distinct, reproducible data per sequence and layer (splitmix-style odd multipliers).
      options.seed = shape.seed * 0x9e3779b97f4a7c15ull + sequence * 0xbf58476d1ce4e5b9ull + layer * 0x94d049bb133111ebull;
      data_.push_back(core::make_synthetic_kv(options));
    }
}

const core::SyntheticKv& SyntheticWorkload::at(uint32_t sequence, uint32_t layer) const {
  if (sequence >= shape_.batch || layer >= shape_.layers)
    throw std::out_of_range("workload data: sequence " + std::to_string(sequence) + ", layer " +
                            std::to_string(layer) + " is outside the workload");
  return data_[size_t(sequence) * shape_.layers + layer];
}

}  // namespace aqpim::firmware
