#include "firmware/gpu_work.h"

namespace aqpim::firmware {

double layer_parameters(const ModelDims& m) {
  const double attention = double(m.hidden) * (m.heads + 2.0 * m.kv_heads) * m.head_dim +
                           double(m.heads) * m.head_dim * m.hidden;
  return attention + 3.0 * m.hidden * m.ffn_hidden;
}

hwif::GpuWork projection_work(const ModelDims& m, double tokens) {
  const double params = layer_parameters(m);
  return {2.0 * tokens * params, 2.0 * params + 2.0 * tokens * (4.0 * m.hidden + 2.0 * m.ffn_hidden)};
}

hwif::GpuWork attention_work(const ModelDims& m, double sequences, double queries, double keys, bool causal) {
  const double pairs = causal ? queries * keys / 2.0 : queries * keys;
  return {4.0 * sequences * pairs * m.head_dim * m.heads,
          2.0 * sequences * (queries * m.heads + 2.0 * keys * m.kv_heads) * m.head_dim};
}

hwif::GpuWork decode_attention_work(const ModelDims& m, double sequences, double keys, double head_token_bytes) {
  return {4.0 * sequences * keys * m.head_dim * m.heads,
          sequences * (2.0 * m.heads * m.head_dim + keys * m.kv_heads * head_token_bytes)};
}

hwif::GpuWork lm_head_work(const ModelDims& m, double tokens) {
  return {2.0 * tokens * m.hidden * m.vocab, 2.0 * double(m.hidden) * m.vocab};
}

}  // namespace aqpim::firmware
