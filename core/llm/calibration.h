// Offline calibration data: the K (after RoPE) and V of every layer while the fp32 model reads a calibration
// text. AQPIM calibrates its channel pre-sorting this way on a separate text (WikiText-2 in the paper), never
// on the evaluated text; the SKVQ-like baseline calibrates its channel reordering the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/llm/kv_backend.h"
#include "core/llm/llama2_checkpoint.h"

namespace aqpim::core::llm {

struct KvCalibration {
  KvShape shape;
  size_t tokens = 0;
  std::vector<std::vector<float>> keys, values;  // per layer: [token][kv_head][head_dim]
};

// Runs the tokens (at most seq_len, at least 1) through the fp32 model with an exact cache.
KvCalibration collect_kv_calibration(const LlamaModel& model, const std::vector<int32_t>& tokens);

}  // namespace aqpim::core::llm
