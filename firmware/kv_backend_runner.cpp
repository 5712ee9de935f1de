#include "firmware/kv_backend_runner.h"

namespace aqpim::firmware {

KvBackendRunner::KvBackendRunner(const WorkloadConfig& workload, const WorkloadData& data, Factory factory)
    : workload_(workload), data_(data), factory_(std::move(factory)) {}

void KvBackendRunner::append(uint32_t sequence, uint32_t layer, uint32_t token) {
  const ModelDims& model = workload_.model;
  for (uint32_t kv_head = 0; kv_head < model.kv_heads; ++kv_head) {
    const size_t row = (size_t(token) * model.kv_heads + kv_head) * model.head_dim;
    backends_[sequence]->append(layer, kv_head, data_.keys(sequence, layer) + row, data_.values(sequence, layer) + row);
  }
}

void KvBackendRunner::prefill() {
  const ModelDims& model = workload_.model;
  const core::llm::KvShape shape{model.layers, model.heads, model.kv_heads, model.head_dim};
  const size_t context = workload_.context_tokens, query_floats = size_t(model.heads) * model.head_dim;
  const size_t known = std::min<size_t>(data_.shape().prefill_queries, context);
  // The back ends index prefill queries by prompt position; the workload has the last `known` of them.
  std::vector<std::vector<float>> queries(model.layers, std::vector<float>(context * query_floats, 0.0f));
  for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence) {
    backends_.push_back(factory_());
    backends_.back()->begin(shape);
    for (uint32_t token = 0; token < context; ++token)
      for (uint32_t layer = 0; layer < model.layers; ++layer) append(sequence, layer, token);
    core::llm::PrefillView view;
    view.tokens = context;
    for (uint32_t layer = 0; layer < model.layers; ++layer) {
      const float* last = data_.prefill_queries(sequence, layer) +
                          (size_t(data_.shape().prefill_queries) - known) * query_floats;
      std::copy(last, last + known * query_floats, queries[layer].end() - ptrdiff_t(known * query_floats));
      view.queries.push_back(queries[layer].data());
    }
    backends_.back()->end_prefill(view);
  }
}

void KvBackendRunner::attend_layer(uint32_t layer, uint32_t step, const Output& output) {
  if (backends_.empty()) prefill();
  const ModelDims& model = workload_.model;
  for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence) {
    append(sequence, layer, workload_.context_tokens + step);
    for (uint32_t head = 0; head < model.heads; ++head)
      backends_[sequence]->attend(layer, head,
                                  data_.decode_queries(sequence, layer) + (size_t(step) * model.heads + head) * model.head_dim,
                                  output(sequence, head));
  }
}

GpuKvFirmware::GpuKvFirmware(const WorkloadConfig& workload, const WorkloadData* data,
                             const KvBackendRunner::Factory& factory)
    : AttentionFirmware(workload, data),
      functional_(data ? std::make_unique<KvBackendRunner>(workload, *data, factory) : nullptr) {}

void GpuKvFirmware::compute_outputs(uint32_t layer, uint32_t step) {
  if (!functional_) return;
  functional_->attend_layer(layer, step, [&](uint32_t sequence, uint32_t head) {
    return output(step, sequence, layer, head);
  });
}

}  // namespace aqpim::firmware
