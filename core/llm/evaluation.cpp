#include "core/llm/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "core/argument_checks.h"

namespace aqpim::core::llm {
namespace {

// Forwards to the evaluated back end and, while decoding, compares every attention output with exact fp32
// attention over the same K and V (a shadow cache).
class MeasuredBackend final : public KvCacheBackend {
 public:
  explicit MeasuredBackend(KvCacheBackend& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  void begin(const KvShape& shape) override {
    inner_.begin(shape);
    shadow_.begin(shape);
    error_.assign(shape.layers, 0.0), reference_.assign(shape.layers, 0.0);
    exact_.resize(shape.head_dim);
    head_dim_ = shape.head_dim;
  }
  void append(size_t layer, size_t kv_head, const float* key, const float* value) override {
    inner_.append(layer, kv_head, key, value);
    shadow_.append(layer, kv_head, key, value);
  }
  void attend(size_t layer, size_t query_head, const float* query, float* out) override {
    inner_.attend(layer, query_head, query, out);
    if (!decoding_) return;
    shadow_.attend(layer, query_head, query, exact_.data());
    for (size_t d = 0; d < head_dim_; ++d) {
      const double difference = double(out[d]) - exact_[d];
      error_[layer] += difference * difference;
      reference_[layer] += double(exact_[d]) * exact_[d];
    }
  }
  void end_prefill(const PrefillView& prefill) override {
    inner_.end_prefill(prefill);
    shadow_.end_prefill(prefill);
    decoding_ = true;
  }
  KvFootprint footprint() const override { return inner_.footprint(); }
  // Adds this run's squared error and squared exact norm per layer.
  void add_errors(std::vector<double>& error, std::vector<double>& reference) const {
    for (size_t l = 0; l < error_.size(); ++l) error[l] += error_[l], reference[l] += reference_[l];
  }

 private:
  KvCacheBackend& inner_;
  ExactBackend shadow_;
  bool decoding_ = false;
  size_t head_dim_ = 0;
  std::vector<double> error_, reference_;
  std::vector<float> exact_;
};

// log softmax in double.
void log_softmax(const float* logits, size_t count, std::vector<double>& out) {
  out.resize(count);
  double top = logits[0];
  for (size_t i = 1; i < count; ++i) top = std::max(top, double(logits[i]));
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += std::exp(double(logits[i]) - top);
  const double log_sum = std::log(sum) + top;
  for (size_t i = 0; i < count; ++i) out[i] = double(logits[i]) - log_sum;
}

}  // namespace

const std::vector<std::string>& backend_names() {
  static const std::vector<std::string> names = {"fp32", "fp16", "aqpim", "snapkv", "skvq", "pqcache"};
  return names;
}

std::unique_ptr<KvCacheBackend> make_backend(const AccuracyConfig& config, const ChannelOrders* aqpim_orders,
                                             const SkvqChannelOrders* skvq_orders) {
  if (config.backend == "fp32") return std::make_unique<ExactBackend>(false);
  if (config.backend == "fp16") return std::make_unique<ExactBackend>(true);
  if (config.backend == "aqpim") return std::make_unique<AqpimBackend>(config.aqpim, aqpim_orders);
  if (config.backend == "snapkv") return std::make_unique<SnapKvBackend>(config.snapkv);
  if (config.backend == "skvq") return std::make_unique<SkvqBackend>(config.skvq, skvq_orders);
  if (config.backend == "pqcache") return std::make_unique<PqCacheBackend>(config.pqcache);
  throw_argument_error("backend", "must be one of fp32, fp16, aqpim, snapkv, skvq, pqcache", "'" + config.backend + "'");
}

AccuracyEvaluator::AccuracyEvaluator(const LlamaModel& model, std::vector<std::vector<int32_t>> segments,
                                     std::vector<int32_t> calibration_tokens)
    : model_(model), calibration_tokens_(std::move(calibration_tokens)) {
  const LlamaConfig& c = model.config;
  require_range("segments", segments.size(), 1, size_t(1) << 20);
  if (!calibration_tokens_.empty()) require_range("calibration tokens", calibration_tokens_.size(), 1, c.seq_len);
  Transformer transformer(model);
  std::vector<double> log_probs;
  for (std::vector<int32_t>& tokens : segments) {
    require_range("evaluated tokens per segment", tokens.size(), 3, c.seq_len);
    Segment segment;
    segment.tokens = std::move(tokens);
    ExactBackend cache;
    cache.begin(transformer.shape());
    const size_t positions = segment.tokens.size() - 1;
    segment.logits.resize(positions * c.vocab_size);
    segment.target_log_probs.resize(positions);
    segment.top1.resize(positions);
    for (size_t pos = 0; pos < positions; ++pos) {
      const std::vector<float>& logits = transformer.forward(segment.tokens[pos], pos, cache, &segment.record);
      std::copy(logits.begin(), logits.end(), segment.logits.begin() + ptrdiff_t(pos * c.vocab_size));
      log_softmax(logits.data(), logits.size(), log_probs);
      segment.target_log_probs[pos] = log_probs[size_t(segment.tokens[pos + 1])];
      segment.top1[pos] = uint32_t(argmax(logits.data(), logits.size()));
    }
    segments_.push_back(std::move(segment));
  }
}

AccuracyEvaluator::AccuracyEvaluator(const LlamaModel& model, std::vector<int32_t> tokens,
                                     std::vector<int32_t> calibration_tokens)
    : AccuracyEvaluator(model, std::vector<std::vector<int32_t>>{std::move(tokens)}, std::move(calibration_tokens)) {}

size_t AccuracyEvaluator::prefill_for(size_t prefill_tokens, size_t tokens) {
  const size_t prefill = prefill_tokens ? prefill_tokens : std::max(tokens > 64 ? tokens - 64 : 0, tokens / 2);
  require_range("prefill_tokens", prefill, 1, tokens - 2);  // at least one scored decode step
  return prefill;
}

double AccuracyEvaluator::reference_perplexity(size_t prefill_tokens) const {
  double nll = 0;
  size_t scored = 0;
  for (const Segment& segment : segments_) {
    const size_t prefill = prefill_for(prefill_tokens, segment.tokens.size());
    for (size_t pos = prefill; pos + 1 < segment.tokens.size(); ++pos) nll -= segment.target_log_probs[pos], ++scored;
  }
  return std::exp(nll / double(scored));
}

const KvCalibration& AccuracyEvaluator::calibration() const {
  // Called with mutex_ held.
  if (calibration_tokens_.empty())
    throw_argument_error("calibration_tokens", "must be given for channel pre-sorting / reordering",
                         "an empty calibration text");
  if (!calibration_) calibration_ = std::make_unique<KvCalibration>(collect_kv_calibration(model_, calibration_tokens_));
  return *calibration_;
}

const ChannelOrders& AccuracyEvaluator::aqpim_orders(size_t sub_dim) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<ChannelOrders>& orders = aqpim_orders_[sub_dim];
  if (!orders) orders = std::make_unique<ChannelOrders>(calibrate_aqpim_channel_orders(calibration(), sub_dim));
  return *orders;
}

const SkvqChannelOrders& AccuracyEvaluator::skvq_orders(size_t group_size) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<SkvqChannelOrders>& orders = skvq_orders_[group_size];
  if (!orders)
    orders = std::make_unique<SkvqChannelOrders>(calibrate_skvq_channel_orders(calibration(), group_size));
  return *orders;
}

AccuracyResult AccuracyEvaluator::run(const AccuracyConfig& config) const {
  for (const Segment& segment : segments_) prefill_for(config.prefill_tokens, segment.tokens.size());
  const ChannelOrders* aqpim = nullptr;
  const SkvqChannelOrders* skvq = nullptr;
  if (config.backend == "aqpim" && config.aqpim.channel_presort) aqpim = &aqpim_orders(config.aqpim.sub_dim);
  if (config.backend == "skvq" && config.skvq.channel_reorder)
    skvq = &skvq_orders(config.skvq.group(model_.config.head_dim()));
  const auto start = std::chrono::steady_clock::now();  // calibration (shared, computed once) excluded

  AccuracyResult result;
  result.backend = config.backend;
  result.segments = segments_.size();
  Transformer transformer(model_);
  const KvShape shape = transformer.shape();
  const size_t vocab = model_.config.vocab_size;
  double nll = 0, reference_nll = 0, kl = 0;
  size_t agree = 0;
  std::vector<double> error(shape.layers, 0.0), reference_norm(shape.layers, 0.0);
  std::vector<double> log_probs, reference;
  for (const Segment& segment : segments_) {
    const std::vector<int32_t>& tokens = segment.tokens;
    const size_t prefill = prefill_for(config.prefill_tokens, tokens.size());
    const std::unique_ptr<KvCacheBackend> backend = make_backend(config, aqpim, skvq);
    MeasuredBackend measured(*backend);
    measured.begin(shape);
    // The prefill's exact path computes exactly what the reference pass did: replay its K and V.
    for (size_t pos = 0; pos < prefill; ++pos)
      for (size_t l = 0; l < shape.layers; ++l)
        for (size_t h = 0; h < shape.kv_heads; ++h) {
          const size_t offset = (pos * shape.kv_heads + h) * shape.head_dim;
          measured.append(l, h, segment.record.keys[l].data() + offset, segment.record.values[l].data() + offset);
        }
    measured.end_prefill(segment.record.prefill_view(prefill));

    for (size_t pos = prefill; pos + 1 < tokens.size(); ++pos) {
      const std::vector<float>& logits = transformer.forward(tokens[pos], pos, measured);
      log_softmax(logits.data(), logits.size(), log_probs);
      log_softmax(segment.logits.data() + pos * vocab, vocab, reference);
      const size_t target = size_t(tokens[pos + 1]);
      nll -= log_probs[target];
      reference_nll -= segment.target_log_probs[pos];
      if (argmax(logits.data(), logits.size()) == segment.top1[pos]) ++agree;
      for (size_t v = 0; v < vocab; ++v) kl += std::exp(reference[v]) * (reference[v] - log_probs[v]);
    }
    measured.add_errors(error, reference_norm);
    result.tokens += tokens.size();
    result.prefill_tokens += prefill;
    result.scored_tokens += tokens.size() - 1 - prefill;
    result.footprint += backend->footprint();
  }
  const double scored = double(result.scored_tokens);
  result.perplexity = std::exp(nll / scored);
  result.reference_perplexity = std::exp(reference_nll / scored);
  result.top1_agreement = double(agree) / scored;
  result.mean_kl = kl / scored;
  for (size_t l = 0; l < shape.layers; ++l)
    result.layer_attention_error.push_back(reference_norm[l] > 0 ? std::sqrt(error[l] / reference_norm[l])
                                                                 : (error[l] > 0 ? INFINITY : 0.0));
  result.layer_reference_norm = reference_norm;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

AccuracyResult pool_results(const std::vector<AccuracyResult>& parts) {
  if (parts.empty()) throw_argument_error("parts", "must hold at least one result", "none");
  AccuracyResult pooled;
  pooled.backend = parts.front().backend;
  const size_t layers = parts.front().layer_attention_error.size();
  std::vector<double> error(layers, 0.0), reference(layers, 0.0);
  double nll = 0, reference_nll = 0, agree = 0, kl = 0;
  for (const AccuracyResult& part : parts) {
    if (part.backend != pooled.backend || part.layer_attention_error.size() != layers ||
        part.layer_reference_norm.size() != layers)
      throw_argument_error("parts", "must share one back end and layer count", part.backend);
    const double scored = double(part.scored_tokens);
    pooled.segments += part.segments, pooled.tokens += part.tokens;
    pooled.prefill_tokens += part.prefill_tokens, pooled.scored_tokens += part.scored_tokens;
    nll += std::log(part.perplexity) * scored, reference_nll += std::log(part.reference_perplexity) * scored;
    agree += part.top1_agreement * scored, kl += part.mean_kl * scored;
    for (size_t l = 0; l < layers; ++l) {
      const double norm = part.layer_reference_norm[l], relative = part.layer_attention_error[l];
      error[l] += relative * relative * norm, reference[l] += norm;
    }
    pooled.footprint += part.footprint;
    pooled.seconds += part.seconds;
  }
  const double scored = double(pooled.scored_tokens);
  pooled.perplexity = std::exp(nll / scored), pooled.reference_perplexity = std::exp(reference_nll / scored);
  pooled.top1_agreement = agree / scored, pooled.mean_kl = kl / scored;
  for (size_t l = 0; l < layers; ++l)
    pooled.layer_attention_error.push_back(reference[l] > 0 ? std::sqrt(error[l] / reference[l]) : 0.0);
  pooled.layer_reference_norm = reference;
  return pooled;
}

AccuracyResult evaluate(const LlamaModel& model, const std::vector<int32_t>& tokens,
                        const std::vector<int32_t>& calibration_tokens, const AccuracyConfig& config) {
  return AccuracyEvaluator(model, tokens, calibration_tokens).run(config);
}

std::vector<int32_t> text_tokens(const Tokenizer& tokenizer, const std::string& text, size_t count) {
  std::vector<int32_t> tokens = tokenizer.encode(text, /*bos=*/true, /*eos=*/false);
  if (tokens.size() < count)
    throw_argument_error("text", "must encode to at least " + std::to_string(count) + " tokens",
                         std::to_string(tokens.size()));
  tokens.resize(count);
  return tokens;
}

std::vector<std::vector<int32_t>> text_segments(const Tokenizer& tokenizer, const std::string& text,
                                                size_t segment_tokens, size_t segments, size_t skip_tokens) {
  return token_segments(tokenizer.encode(text, /*bos=*/false, /*eos=*/false), segment_tokens, segments, skip_tokens);
}

std::vector<std::vector<int32_t>> token_segments(const std::vector<int32_t>& stream, size_t segment_tokens,
                                                 size_t segments, size_t skip_tokens) {
  require_range("segment_tokens", segment_tokens, 2, size_t(1) << 24);
  const size_t needed = skip_tokens + segments * (segment_tokens - 1);
  if (stream.size() < needed)
    throw_argument_error("text", "must encode to at least " + std::to_string(needed) + " tokens for " +
                                     std::to_string(segments) + " segments",
                         std::to_string(stream.size()));
  std::vector<std::vector<int32_t>> out;
  for (size_t s = 0; s < segments; ++s) {
    const auto first = stream.begin() + ptrdiff_t(skip_tokens + s * (segment_tokens - 1));
    out.push_back({kBosToken});
    out.back().insert(out.back().end(), first, first + ptrdiff_t(segment_tokens - 1));
  }
  return out;
}

std::vector<int32_t> generated_stories(const LlamaModel& model, size_t count, uint64_t first_seed) {
  std::vector<int32_t> stream;
  for (uint64_t seed = first_seed; stream.size() < count; ++seed) {
    const std::vector<int32_t> story = generate(model, {kBosToken}, model.config.seq_len - 1, 1.0f, seed);
    stream.insert(stream.end(), story.begin() + 1, story.end());
  }
  return stream;
}

}  // namespace aqpim::core::llm
