#include "firmware/attention_firmware.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace aqpim::firmware {

AttentionFirmware::AttentionFirmware(const WorkloadConfig& workload, const WorkloadData* data)
    : workload_(workload), data_(data) {
  const ModelDims& model = workload.model;
  if (!model.layers || !model.heads || !model.kv_heads || !model.head_dim || !workload.batch || !workload.context_tokens)
    throw std::invalid_argument("firmware: every model and workload size must be at least 1");
  if (model.heads % model.kv_heads) throw std::invalid_argument("firmware: kv_heads must divide heads");
  if (data) {
    const auto& shape = data->shape();
    if (shape.batch != workload.batch || shape.layers != model.layers || shape.heads != model.heads ||
        shape.kv_heads != model.kv_heads || shape.head_dim != model.head_dim ||
        shape.context_tokens != workload.context_tokens || shape.decode_steps != workload.decode_steps)
      throw std::invalid_argument("firmware: the workload data's shape differs from the firmware configuration");
    outputs_.assign(size_t(workload.decode_steps) * workload.batch * model.layers * model.heads * model.head_dim, 0.0f);
  }
}

void AttentionFirmware::set_decode_micro_batches(uint32_t groups) {
  if (groups < 1 || groups > workload_.batch)
    throw std::invalid_argument("decode micro-batches must be in [1, batch = " + std::to_string(workload_.batch) + "]");
  micro_batches_ = groups;
}

void AttentionFirmware::start_attention(hwif::Hal& hal, uint32_t layer, uint32_t step, uint32_t first,
                                        uint32_t count) {
  if (first != 0 || count != workload_.batch)
    throw std::logic_error(std::string(mode_name()) + " cannot attend part of the batch (decode pipelining)");
  attend_layer(hal, layer, step);
}

// The batch in groups of sequences, served round robin: a group's attention starts as soon as the GPU has
// its q, k, v; when it finishes, the GPU starts the group's next layer while PIM still attends the other
// groups (the GPU runs its launches in order, each group reading the weights again).
void AttentionFirmware::decode_step_pipelined(hwif::Hal& hal, uint32_t step) {
  const ModelDims& model = workload_.model;
  const uint32_t groups = micro_batches_;
  const auto first = [&](uint32_t g) { return uint32_t(uint64_t(g) * workload_.batch / groups); };
  const auto size = [&](uint32_t g) { return first(g + 1) - first(g); };
  const auto launch = [&](uint32_t g) {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
    return launch_dense_layer(hal, size(g));
  };
  const auto start = [&](uint32_t layer, uint32_t g, uint64_t ready) {
    {
      hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
      hal.wait_until(ready);
    }
    start_attention(hal, layer, step, first(g), size(g));
  };
  std::vector<uint64_t> ready(groups);
  for (uint32_t g = 0; g < groups; ++g) ready[g] = launch(g);
  for (uint32_t g = 0; g < groups; ++g) start(0, g, ready[g]);
  for (uint32_t layer = 0; layer < model.layers; ++layer)
    for (uint32_t g = 0; g < groups; ++g) {
      finish_attention(hal, layer, step, first(g), size(g));
      if (layer + 1 < model.layers) start(layer + 1, g, launch(g));
    }
  hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
  hal.gpu_wait();
}

void AttentionFirmware::decode_layer(hwif::Hal& hal, uint32_t layer, uint32_t step) {
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
    launch_dense_layer(hal, workload_.batch);
    hal.gpu_wait();
  }
  attend_layer(hal, layer, step);
}

float* AttentionFirmware::output(uint32_t step, uint32_t sequence, uint32_t layer, uint32_t head) {
  const ModelDims& model = workload_.model;
  return &outputs_[(((size_t(step) * workload_.batch + sequence) * model.layers + layer) * model.heads + head) *
                   model.head_dim];
}

const DenseLayerParts& AttentionFirmware::dense_layer(double tokens) {
  if (tokens != dense_tokens_) {
    dense_parts_ = dense_layer_parts(workload_.model, workload_.gpu, tokens);
    dense_tokens_ = tokens;
  }
  return dense_parts_;
}

uint64_t AttentionFirmware::launch_dense_layer(hwif::Hal& hal, double tokens) {
  const DenseLayerParts& parts = dense_layer(tokens);
  uint64_t done = 0;
  for (const auto* part : {&parts.qkv, &parts.output, &parts.ffn})
    for (const hwif::GpuWork& kernel : *part) done = hal.gpu_launch(kernel);
  return done;
}

void AttentionFirmware::launch_lm_head(hwif::Hal& hal) {
  hal.gpu_launch(lm_head_kernel(workload_.model, workload_.gpu, workload_.batch));
}

void AttentionFirmware::run(hwif::Hal& hal) {
  const ModelDims& model = workload_.model;
  begin(hal);
  const double prompt_tokens = double(workload_.batch) * workload_.context_tokens;
  auto launch_prefill_layer = [&] {
    launch_dense_layer(hal, prompt_tokens);
    hal.gpu_launch(attention_work(model, workload_.batch, workload_.context_tokens, workload_.context_tokens, true));
    const hwif::GpuWork extra = extra_prefill_work();
    if (extra.flops > 0 || extra.bytes > 0) hal.gpu_launch(extra);
  };
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
    launch_prefill_layer();
  }
  for (uint32_t layer = 0; layer < model.layers; ++layer) {
    {
      hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
      hal.gpu_wait();  // this layer's K and V exist now
    }
    if (layer + 1 < model.layers) launch_prefill_layer();  // the GPU computes the next layer meanwhile
    store_layer(hal, layer);
  }
  {
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
    launch_lm_head(hal);
    hal.gpu_wait();
  }
  prefill_end_ps_ = hal.now_ps();
  for (size_t phase = 0; phase < prefill_phase_ps_.size(); ++phase)
    prefill_phase_ps_[phase] = hal.phase_total_ps(hwif::Phase(phase));

  hal.milestone("prefill_end");

  for (uint32_t step = 0; step < workload_.decode_steps; ++step) {
    if (micro_batches_ > 1) {
      decode_step_pipelined(hal, step);
    } else {
      for (uint32_t layer = 0; layer < model.layers; ++layer) decode_layer(hal, layer, step);
    }
    hwif::PhaseScope phase(hal, hwif::Phase::kGpuDense);
    launch_lm_head(hal);
    hal.gpu_wait();
  }
}

}  // namespace aqpim::firmware
