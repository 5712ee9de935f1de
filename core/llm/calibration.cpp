#include "core/llm/calibration.h"

#include <string>

#include "core/argument_checks.h"
#include "core/llm/transformer.h"

namespace aqpim::core::llm {

KvCalibration collect_kv_calibration(const LlamaModel& model, const std::vector<int32_t>& tokens) {
  require_range("calibration tokens", tokens.size(), 1, model.config.seq_len);
  Transformer transformer(model);
  ExactBackend cache;
  cache.begin(transformer.shape());
  ForwardRecord record;
  for (size_t pos = 0; pos < tokens.size(); ++pos) transformer.forward(tokens[pos], pos, cache, &record);
  KvCalibration calibration;
  calibration.shape = transformer.shape();
  calibration.tokens = tokens.size();
  calibration.keys = std::move(record.keys);
  calibration.values = std::move(record.values);
  return calibration;
}

}  // namespace aqpim::core::llm
