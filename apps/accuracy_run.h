// One accuracy evaluation as `aqpim accuracy` runs it: the files of AccuracySettings loaded (every bad file
// or too short a text a platform::ParamError naming its key, so the CLI exits 2 with one line), the text cut
// into segments, and a result printed or written as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/accuracy_settings.h"
#include "core/llm/evaluation.h"

namespace aqpim::apps {

struct AccuracyInputs {
  core::llm::LlamaModel model;
  core::llm::Tokenizer tokenizer;
  std::vector<int32_t> calibration;  // the first data.calibration_tokens of data.calibration, BOS first
};

// Loads data.model, data.tokenizer and data.calibration, then validate_accuracy_settings against the model.
AccuracyInputs load_accuracy_inputs(const AccuracySettings& settings);

// data.segments segments of data.segment_tokens tokens from data.text (after data.skip_tokens) or from
// generated stories.
std::vector<std::vector<int32_t>> evaluated_segments(const AccuracySettings& settings, const AccuracyInputs& inputs);

// What a result holds, as JSON: scored tokens, perplexities, top-1, KL, attention error per layer, footprint.
nlohmann::json result_json(const core::llm::AccuracyResult& result);

// A short human-readable report of one run.
std::string format_result(const AccuracySettings& settings, const core::llm::LlamaConfig& model,
                          const core::llm::AccuracyResult& result);

}  // namespace aqpim::apps
