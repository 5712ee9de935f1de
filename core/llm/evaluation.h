// Accuracy of a KV-cache back end on a real model: "evaluation config -> result".
//
// Protocol (teacher forcing): the evaluated text is N tokens; the first P (prefill_tokens) run through the
// back end's exact path, end_prefill() lets it compress, then tokens P .. N-2 are decoded one at a time
// through it. Every decode step's logits predict the next token of the text: the N - 1 - P scored targets
// are tokens P+1 .. N-1 (the prediction of token P comes from the exact prefill and is the same for every
// back end, so it is not scored). Measures:
// - perplexity = exp(mean negative log-likelihood of the scored targets), next to the fp32 reference's on the
//   same targets;
// - top-1 agreement = share of decode steps whose most likely token equals the fp32 reference's;
// - mean KL(fp32 next-token distribution || back end's), nats;
// - per layer, the relative error of the attention outputs against exact fp32 attention over the same
//   run's own K and V (so it isolates the cache from error carried in by earlier layers):
//   sqrt(sum ||o - o_exact||^2 / sum ||o_exact||^2) over decode steps and query heads;
// - the footprint at the end of the text (N - 1 tokens cached), see KvFootprint.
//
// Grids: AccuracyEvaluator runs the fp32 reference once per text (its logits, and the q, k, v of every
// position, so each configuration replays the prefill instead of recomputing it: the exact path gives the
// same numbers) and the calibration text once; run() is then one configuration's decode only, and may be
// called from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/llm/aqpim_backend.h"
#include "core/llm/calibration.h"
#include "core/llm/kv_backend.h"
#include "core/llm/llama2_checkpoint.h"
#include "core/llm/pqcache_backend.h"
#include "core/llm/skvq_backend.h"
#include "core/llm/snapkv_backend.h"
#include "core/llm/tokenizer.h"
#include "core/llm/transformer.h"

namespace aqpim::core::llm {

struct AccuracyConfig {
  // fp32 | fp16 (exact caches) | aqpim | snapkv | skvq | pqcache
  std::string backend = "aqpim";
  size_t prefill_tokens = 0;  // P; 0 = half of the evaluated tokens
  AqpimOptions aqpim;
  SnapKvOptions snapkv;
  SkvqOptions skvq;
  PqCacheOptions pqcache;
};

// The names make_backend accepts, in a fixed order.
const std::vector<std::string>& backend_names();

struct AccuracyResult {
  std::string backend;
  size_t tokens = 0;          // N
  size_t prefill_tokens = 0;  // P
  size_t scored_tokens = 0;   // N - 1 - P
  double perplexity = 0;
  double reference_perplexity = 0;  // fp32 on the same targets
  double top1_agreement = 0;
  double mean_kl = 0;
  std::vector<double> layer_attention_error;  // per layer
  KvFootprint footprint;
  double seconds = 0;  // wall time of this configuration (reference and calibration passes excluded)
};

// The back end a configuration names. Calibrated orders are needed (and kept by pointer) only by aqpim with
// channel_presort and skvq with channel_reorder. Throws std::invalid_argument for an unknown name.
std::unique_ptr<KvCacheBackend> make_backend(const AccuracyConfig& config, const ChannelOrders* aqpim_orders = nullptr,
                                             const SkvqChannelOrders* skvq_orders = nullptr);

class AccuracyEvaluator {
 public:
  // tokens: the evaluated text (3 .. seq_len tokens, usually starting with BOS). calibration_tokens: a separate
  // text (1 .. seq_len tokens) for AQPIM's channel pre-sorting and SKVQ's reordering; may be empty when no
  // configuration needs calibration. The model must outlive the evaluator.
  AccuracyEvaluator(const LlamaModel& model, std::vector<int32_t> tokens, std::vector<int32_t> calibration_tokens = {});

  AccuracyResult run(const AccuracyConfig& config) const;

  const std::vector<int32_t>& tokens() const { return tokens_; }
  // The fp32 reference's perplexity over targets prefill_tokens + 1 .. N - 1.
  double reference_perplexity(size_t prefill_tokens) const;
  // The fp32 q, k, v of every position (the reference pass).
  const ForwardRecord& reference_record() const { return record_; }

 private:
  size_t resolve_prefill(size_t prefill_tokens) const;
  const KvCalibration& calibration() const;
  const ChannelOrders& aqpim_orders(size_t sub_dim) const;
  const SkvqChannelOrders& skvq_orders(size_t group_size) const;

  const LlamaModel& model_;
  std::vector<int32_t> tokens_, calibration_tokens_;
  ForwardRecord record_;
  std::vector<float> logits_;         // [position][vocab]: the fp32 logits at positions 0..N-2
  std::vector<double> target_log_probs_;  // per position: log p(next token) under fp32
  std::vector<uint32_t> top1_;        // fp32 argmax per position
  mutable std::mutex mutex_;          // guards the lazily computed calibrations below
  mutable std::unique_ptr<KvCalibration> calibration_;
  mutable std::map<size_t, std::unique_ptr<ChannelOrders>> aqpim_orders_;
  mutable std::map<size_t, std::unique_ptr<SkvqChannelOrders>> skvq_orders_;
};

// One configuration on one text (a reference pass of its own: use AccuracyEvaluator for grids).
AccuracyResult evaluate(const LlamaModel& model, const std::vector<int32_t>& tokens,
                        const std::vector<int32_t>& calibration_tokens, const AccuracyConfig& config);

// BOS followed by the encoding of `text`, cut to `count` tokens; std::invalid_argument when the text is too
// short to give that many.
std::vector<int32_t> text_tokens(const Tokenizer& tokenizer, const std::string& text, size_t count);

}  // namespace aqpim::core::llm
