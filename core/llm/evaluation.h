// Accuracy of a KV-cache back end on a real model: "evaluation config -> result".
//
// Protocol (teacher forcing), per segment of N tokens: the first P (prefill_tokens) run through the back
// end's exact path, end_prefill() lets it compress, then tokens P .. N-2 are decoded one at a time through
// it. Every decode step's logits predict the next token of the segment: the N - 1 - P scored targets are
// tokens P+1 .. N-1 (the prediction of token P comes from the exact prefill and is the same for every back
// end, so it is not scored). The default P = N - 64 (at least N / 2) keeps the decode short next to the
// prompt, as in long-context use (LongBench); several segments per text give enough scored tokens.
// Measures, pooled over the segments:
// - perplexity = exp(mean negative log-likelihood of the scored targets), next to the fp32 reference's on the
//   same targets;
// - top-1 agreement = share of decode steps whose most likely token equals the fp32 reference's;
// - mean KL(fp32 next-token distribution || back end's), nats;
// - per layer, the relative error of the attention outputs against exact fp32 attention over the same
//   run's own K and V (so it isolates the cache from error carried in by earlier layers):
//   sqrt(sum ||o - o_exact||^2 / sum ||o_exact||^2) over segments, decode steps and query heads;
// - the footprint at the end of each segment (N - 1 tokens cached), summed over segments (KvFootprint), so
//   bits per element and memory reduction are pooled ratios.
//
// Grids: AccuracyEvaluator runs the fp32 reference once per segment (its logits, and the q, k, v of every
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
  size_t prefill_tokens = 0;  // P, the same for every segment; 0 = max(N - 64, N / 2) per segment
  AqpimOptions aqpim;
  SnapKvOptions snapkv;
  SkvqOptions skvq;
  PqCacheOptions pqcache;
};

// The names make_backend accepts, in a fixed order.
const std::vector<std::string>& backend_names();

struct AccuracyResult {
  std::string backend;
  size_t segments = 0;
  size_t tokens = 0;          // N, summed over segments
  size_t prefill_tokens = 0;  // P, summed over segments
  size_t scored_tokens = 0;   // N - 1 - P, summed over segments
  double perplexity = 0;
  double reference_perplexity = 0;  // fp32 on the same targets
  double top1_agreement = 0;
  double mean_kl = 0;
  std::vector<double> layer_attention_error;  // per layer
  std::vector<double> layer_reference_norm;   // per layer: sum ||o_exact||^2, the error's denominator (pooling)
  KvFootprint footprint;
  double seconds = 0;  // wall time of this configuration (reference and calibration passes excluded)
};

// The results of one configuration on several texts as if they were one run over all their segments: every
// measure is re-pooled from its sums (perplexities through their mean log-likelihoods weighted by scored
// tokens, top-1 and KL by scored tokens, attention errors through the reference norms, footprints summed,
// seconds summed). std::invalid_argument when the parts are empty or of different back ends or layer counts.
AccuracyResult pool_results(const std::vector<AccuracyResult>& parts);

// The back end a configuration names. Calibrated orders are needed (and kept by pointer) only by aqpim with
// channel_presort and skvq with channel_reorder. Throws std::invalid_argument for an unknown name.
std::unique_ptr<KvCacheBackend> make_backend(const AccuracyConfig& config, const ChannelOrders* aqpim_orders = nullptr,
                                             const SkvqChannelOrders* skvq_orders = nullptr);

class AccuracyEvaluator {
 public:
  // segments: the evaluated token sequences (each 3 .. seq_len tokens, usually starting with BOS; see
  // text_segments). calibration_tokens: a separate text (1 .. seq_len tokens) for AQPIM's channel
  // pre-sorting and SKVQ's reordering; may be empty when no configuration needs calibration. The model
  // must outlive the evaluator.
  AccuracyEvaluator(const LlamaModel& model, std::vector<std::vector<int32_t>> segments,
                    std::vector<int32_t> calibration_tokens = {});
  // One segment.
  AccuracyEvaluator(const LlamaModel& model, std::vector<int32_t> tokens, std::vector<int32_t> calibration_tokens = {});

  AccuracyResult run(const AccuracyConfig& config) const;

  size_t segment_count() const { return segments_.size(); }
  const std::vector<int32_t>& tokens(size_t segment = 0) const { return segments_.at(segment).tokens; }
  // The fp32 reference's perplexity over the targets a run with this prefill_tokens scores.
  double reference_perplexity(size_t prefill_tokens = 0) const;
  // The fp32 q, k, v of every position of a segment (the reference pass).
  const ForwardRecord& reference_record(size_t segment = 0) const { return segments_.at(segment).record; }
  // P for a segment of `tokens` tokens (config value or the default), checked: 1 <= P <= tokens - 2.
  static size_t prefill_for(size_t prefill_tokens, size_t tokens);

 private:
  struct Segment {
    std::vector<int32_t> tokens;
    ForwardRecord record;
    std::vector<float> logits;             // [position][vocab]: the fp32 logits at positions 0..N-2
    std::vector<double> target_log_probs;  // per position: log p(next token) under fp32
    std::vector<uint32_t> top1;            // fp32 argmax per position
  };
  const KvCalibration& calibration() const;
  const ChannelOrders& aqpim_orders(size_t sub_dim) const;
  const SkvqChannelOrders& skvq_orders(size_t group_size) const;

  const LlamaModel& model_;
  std::vector<Segment> segments_;
  std::vector<int32_t> calibration_tokens_;
  mutable std::mutex mutex_;  // guards the lazily computed calibrations below
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
// `segments` consecutive, non-overlapping pieces of the text's encoding (without BOS), skipping the first
// `skip_tokens`, each of segment_tokens - 1 tokens after a BOS; std::invalid_argument when the text is
// too short.
std::vector<std::vector<int32_t>> text_segments(const Tokenizer& tokenizer, const std::string& text,
                                                size_t segment_tokens, size_t segments, size_t skip_tokens = 0);
// The same cut of a token stream (without BOS) that is already encoded.
std::vector<std::vector<int32_t>> token_segments(const std::vector<int32_t>& stream, size_t segment_tokens,
                                                 size_t segments, size_t skip_tokens = 0);
// At least `count` tokens (without BOS) of stories the model samples itself, one after another: each story
// starts from BOS and runs to seq_len or until the model draws BOS, at temperature 1, seeds first_seed,
// first_seed + 1, ... In-domain text for a model trained on such stories.
std::vector<int32_t> generated_stories(const LlamaModel& model, size_t count, uint64_t first_seed);

}  // namespace aqpim::core::llm
