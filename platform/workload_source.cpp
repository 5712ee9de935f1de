#include "platform/workload_source.h"

#include <stdexcept>
#include <string>

#include "core/llm/evaluation.h"
#include "firmware/model_workload.h"
#include "platform/file_parameter.h"
#include "platform/system_config.h"

namespace aqpim::platform {
namespace {

// model.* against the checkpoint's header, the first difference named.
void require_model_shape(const PlatformParams& p, const core::llm::LlamaConfig& c) {
  const struct {
    const char* key;
    int64_t value;
    size_t checkpoint;
  } fields[] = {{"model.layers", p.model.layers, c.layers},
                {"model.hidden", p.model.hidden, c.dim},
                {"model.heads", p.model.heads, c.heads},
                {"model.kv_heads", p.model.kv_heads, c.kv_heads},
                {"model.head_dim", p.model.head_dim, c.head_dim()},
                {"model.ffn_hidden", p.model.ffn_hidden, c.hidden_dim},
                {"model.vocab", p.model.vocab, c.vocab_size}};
  for (const auto& field : fields)
    if (uint64_t(field.value) != field.checkpoint)
      throw ParamError(std::string("'") + field.key + "' (" + std::to_string(field.value) + ") differs from " +
                       p.workload.model_file + " (" + std::to_string(field.checkpoint) +
                       "): workload.source=llama2c needs the checkpoint's shape (model.preset=stories260k for the "
                       "vendored model)");
  const int64_t tokens = p.workload.context_tokens + p.workload.decode_steps;
  if (uint64_t(tokens) > c.seq_len)
    throw ParamError("workload.context_tokens + workload.decode_steps (" + std::to_string(tokens) +
                     ") exceed the seq_len of " + p.workload.model_file + " (" + std::to_string(c.seq_len) + ")");
}

std::unique_ptr<firmware::WorkloadData> model_workload(const PlatformParams& p, const core::llm::LlamaModel& model) {
  const auto tokenizer = read_for_parameter("workload.tokenizer_file", [&] {
    return core::llm::load_tokenizer(p.workload.tokenizer_file, model.config.vocab_size);
  });
  const size_t tokens = size_t(p.workload.context_tokens + p.workload.decode_steps);
  const auto sequences = read_for_parameter("workload.text_file", [&] {
    return core::llm::text_segments(tokenizer, core::llm::read_file_bytes(p.workload.text_file), tokens,
                                    size_t(p.workload.batch));
  });
  return std::make_unique<firmware::ModelWorkload>(model, sequences, make_workload_shape(p));
}

}  // namespace

std::unique_ptr<firmware::WorkloadData> make_workload_data(const PlatformParams& p) {
  if (p.workload.source == WorkloadSource::llama2c) {
    const auto model = read_for_parameter("workload.model_file",
                                          [&] { return core::llm::load_llama2_checkpoint(p.workload.model_file); });
    require_model_shape(p, model.config);
    return p.sim.functional() ? model_workload(p, model) : nullptr;
  }
  if (!p.sim.functional()) return nullptr;
  return std::make_unique<firmware::SyntheticWorkload>(make_workload_shape(p));
}

}  // namespace aqpim::platform
