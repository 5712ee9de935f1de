#include "firmware/head_data.h"

#include <cmath>
#include <cstring>

#include "core/accuracy_fixes.h"

namespace aqpim::firmware {

HeadData::HeadData(const WorkloadConfig& workload, const WorkloadData& data)
    : workload_(workload),
      data_(data),
      key_orders_(uint64_t(workload.batch) * workload.model.layers * workload.model.kv_heads),
      value_orders_(key_orders_.size()) {}

uint64_t HeadData::index(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  return (uint64_t(layer) * workload_.batch + sequence) * workload_.model.kv_heads + kv_head;
}

void HeadData::calibrate_channel_orders(uint32_t sub_dim) {
  const uint32_t dim = workload_.model.head_dim, stride = workload_.model.kv_heads * dim;
  for (uint32_t layer = 0; layer < workload_.model.layers; ++layer)
    for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence)
      for (uint32_t kv_head = 0; kv_head < workload_.model.kv_heads; ++kv_head) {
        const uint64_t at = index(sequence, layer, kv_head);
        const float* keys = data_.keys(sequence, layer) + size_t(kv_head) * dim;
        const float* values = data_.values(sequence, layer) + size_t(kv_head) * dim;
        key_orders_[at] = core::calibrate_channel_order(keys, workload_.context_tokens, stride, dim, sub_dim,
                                                        data_.shape().rope_pairing);
        value_orders_[at] = core::calibrate_channel_order(values, workload_.context_tokens, stride, dim, sub_dim,
                                                          core::RopePairing::kNone);
      }
}

const std::vector<uint32_t>& HeadData::key_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  return key_orders_.at(index(sequence, layer, kv_head));
}

const std::vector<uint32_t>& HeadData::value_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const {
  return value_orders_.at(index(sequence, layer, kv_head));
}

std::vector<float> HeadData::rows(uint32_t sequence, uint32_t layer, uint32_t kv_head, bool keys, uint32_t first,
                                  uint32_t count) const {
  const uint32_t dim = workload_.model.head_dim, stride = workload_.model.kv_heads * dim;
  const float* source = (keys ? data_.keys(sequence, layer) : data_.values(sequence, layer)) + size_t(first) * stride +
                        size_t(kv_head) * dim;
  std::vector<float> rows(size_t(count) * dim);
  const auto& order = keys ? key_order(sequence, layer, kv_head) : value_order(sequence, layer, kv_head);
  if (order.empty()) {
    for (uint32_t n = 0; n < count; ++n) std::memcpy(&rows[size_t(n) * dim], source + size_t(n) * stride, dim * 4);
  } else {
    core::apply_channel_order(order, source, count, stride, rows.data());
  }
  return rows;
}

std::vector<float> HeadData::query(uint32_t sequence, uint32_t layer, uint32_t kv_head, uint32_t g,
                                   uint32_t step) const {
  const uint32_t dim = workload_.model.head_dim, head_index = kv_head * group() + g;
  const float* source =
      data_.decode_queries(sequence, layer) + (size_t(step) * workload_.model.heads + head_index) * dim;
  std::vector<float> query(source, source + dim);
  const auto& order = key_order(sequence, layer, kv_head);
  if (!order.empty()) core::apply_channel_order(order, source, 1, dim, query.data());
  // Scaling the query once scales every score: q . k / sqrt(d) = (q / sqrt(d)) . k, as core::attention does.
  const float scale = 1.0f / std::sqrt(float(dim));
  for (float& value : query) value *= scale;
  return query;
}

std::vector<float> HeadData::importance_weights(uint32_t sequence, uint32_t layer, uint32_t kv_head,
                                                uint32_t queries) const {
  const uint32_t dim = workload_.model.head_dim, stride = workload_.model.kv_heads * dim;
  const uint32_t available = data_.shape().prefill_queries;
  std::vector<float> last_queries(size_t(queries) * group() * dim);
  for (uint32_t q = 0; q < queries; ++q)
    for (uint32_t g = 0; g < group(); ++g)
      std::memcpy(&last_queries[(size_t(q) * group() + g) * dim],
                  data_.prefill_queries(sequence, layer) +
                      ((size_t(available - queries + q) * workload_.model.heads) + kv_head * group() + g) * dim,
                  dim * 4);
  const float* keys = data_.keys(sequence, layer) + size_t(kv_head) * dim;
  return core::importance_weights(last_queries.data(), queries, group(), keys, workload_.context_tokens, stride, dim);
}

void HeadData::unorder_output(uint32_t sequence, uint32_t layer, uint32_t kv_head, const float* stored,
                              float* out) const {
  const auto& order = value_order(sequence, layer, kv_head);
  for (uint32_t c = 0; c < workload_.model.head_dim; ++c) out[order.empty() ? c : order[c]] = stored[c];
}

}  // namespace aqpim::firmware
