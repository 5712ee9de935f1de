#include "apps/accuracy_run.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "core/llm/file_error.h"
#include "platform/file_parameter.h"

namespace aqpim::apps {
namespace {

using platform::ParamError;

std::string file_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

std::string kibibytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024.0);
  return text;
}

}  // namespace

AccuracyInputs load_accuracy_inputs(const AccuracySettings& settings) {
  core::llm::LlamaModel model =
      platform::read_for_parameter("data.model", [&] { return core::llm::load_llama2_checkpoint(settings.model); });
  validate_accuracy_settings(settings, model.config);
  core::llm::Tokenizer tokenizer = platform::read_for_parameter(
      "data.tokenizer", [&] { return core::llm::load_tokenizer(settings.tokenizer, model.config.vocab_size); });
  std::vector<int32_t> calibration = platform::read_for_parameter("data.calibration", [&] {
    return core::llm::text_tokens(tokenizer, core::llm::read_file_bytes(settings.calibration),
                                  settings.calibration_tokens);
  });
  return {std::move(model), std::move(tokenizer), std::move(calibration)};
}

std::vector<std::vector<int32_t>> evaluated_segments(const AccuracySettings& s, const AccuracyInputs& inputs) {
  if (s.text_source == TextSource::generated) {
    const size_t needed = s.skip_tokens + s.segments * (s.segment_tokens - 1);
    return core::llm::token_segments(core::llm::generated_stories(inputs.model, needed, uint64_t(s.generate_seed)),
                                     s.segment_tokens, s.segments, s.skip_tokens);
  }
  return platform::read_for_parameter("data.text", [&] {
    return core::llm::text_segments(inputs.tokenizer, core::llm::read_file_bytes(s.text), s.segment_tokens, s.segments,
                                    s.skip_tokens);
  });
}

nlohmann::json result_json(const core::llm::AccuracyResult& r) {
  const auto& f = r.footprint;
  return {{"backend", r.backend},
          {"segments", r.segments},
          {"tokens", r.tokens},
          {"prefill_tokens", r.prefill_tokens},
          {"scored_tokens", r.scored_tokens},
          {"perplexity", r.perplexity},
          {"reference_perplexity", r.reference_perplexity},
          {"top1_agreement", r.top1_agreement},
          {"mean_kl", r.mean_kl},
          {"layer_attention_error", r.layer_attention_error},
          {"bits_per_element", f.bits_per_element()},
          {"memory_reduction", f.memory_reduction()},
          {"footprint_bytes",
           {{"codes", f.code_bytes},
            {"codebooks", f.codebook_bytes},
            {"uncompressed", f.uncompressed_bytes},
            {"metadata", f.metadata_bytes},
            {"total", f.total_bytes()},
            {"offloaded", f.offloaded_bytes}}},
          {"seconds", r.seconds}};
}

std::string format_result(const AccuracySettings& settings, const core::llm::LlamaConfig& model,
                          const core::llm::AccuracyResult& r) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "model     %s: dim %zu, %zu layers, %zu heads / %zu KV heads x %zu, seq_len %zu\n",
                file_name(settings.model).c_str(), model.dim, model.layers, model.heads, model.kv_heads,
                model.head_dim(), model.seq_len);
  out << line;
  const std::string text =
      settings.text_source == TextSource::generated ? "generated stories" : file_name(settings.text);
  std::snprintf(line, sizeof line,
                "text      %s: %zu segments x %zu tokens, prefill %zu per segment, %zu scored tokens\n", text.c_str(),
                r.segments, settings.segment_tokens, r.prefill_tokens / std::max<size_t>(1, r.segments),
                r.scored_tokens);
  out << line;
  std::string changed;
  for (const auto& assignment : changed_settings(settings))
    if (assignment.rfind("data.", 0) != 0) changed += " " + assignment;
  out << "back end  " << r.backend << (changed.empty() ? " (defaults)" : " (" + changed.substr(1) + ")") << "\n\n";
  std::snprintf(line, sizeof line,
                "  perplexity          %.4g (fp32 %.4g)\n  top-1 vs fp32       %.3f\n"
                "  mean KL             %.4g nats\n  attention error     ",
                r.perplexity, r.reference_perplexity, r.top1_agreement, r.mean_kl);
  out << line;
  for (double error : r.layer_attention_error) {
    std::snprintf(line, sizeof line, "%.3g ", error);
    out << line;
  }
  const auto& f = r.footprint;
  std::snprintf(line, sizeof line,
                "(per layer: relative L2 against exact attention on the same K, V)\n"
                "  KV footprint        %.3g bits/element, memory reduction %.1f %% against fp16\n"
                "                      codes %s, codebooks %s, fp16/fp32 rows %s, metadata %s; offloaded %s\n"
                "  time                %.2f s\n",
                f.bits_per_element(), 100.0 * f.memory_reduction(), kibibytes(f.code_bytes).c_str(),
                kibibytes(f.codebook_bytes).c_str(), kibibytes(f.uncompressed_bytes).c_str(),
                kibibytes(f.metadata_bytes).c_str(), kibibytes(f.offloaded_bytes).c_str(), r.seconds);
  out << line;
  return out.str();
}

}  // namespace aqpim::apps
