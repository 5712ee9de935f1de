#include "core/llm/evaluation.h"

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
  std::vector<double> layer_errors() const {
    std::vector<double> errors(error_.size());
    for (size_t l = 0; l < errors.size(); ++l)
      errors[l] = reference_[l] > 0 ? std::sqrt(error_[l] / reference_[l]) : (error_[l] > 0 ? INFINITY : 0.0);
    return errors;
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

AccuracyEvaluator::AccuracyEvaluator(const LlamaModel& model, std::vector<int32_t> tokens,
                                     std::vector<int32_t> calibration_tokens)
    : model_(model), tokens_(std::move(tokens)), calibration_tokens_(std::move(calibration_tokens)) {
  const LlamaConfig& c = model.config;
  require_range("evaluated tokens", tokens_.size(), 3, c.seq_len);
  if (!calibration_tokens_.empty()) require_range("calibration tokens", calibration_tokens_.size(), 1, c.seq_len);
  Transformer transformer(model);
  ExactBackend cache;
  cache.begin(transformer.shape());
  const size_t positions = tokens_.size() - 1;
  logits_.resize(positions * c.vocab_size);
  target_log_probs_.resize(positions);
  top1_.resize(positions);
  std::vector<double> log_probs;
  for (size_t pos = 0; pos < positions; ++pos) {
    const std::vector<float>& logits = transformer.forward(tokens_[pos], pos, cache, &record_);
    std::copy(logits.begin(), logits.end(), logits_.begin() + ptrdiff_t(pos * c.vocab_size));
    log_softmax(logits.data(), logits.size(), log_probs);
    target_log_probs_[pos] = log_probs[size_t(tokens_[pos + 1])];
    top1_[pos] = uint32_t(argmax(logits.data(), logits.size()));
  }
}

size_t AccuracyEvaluator::resolve_prefill(size_t prefill_tokens) const {
  const size_t prefill = prefill_tokens ? prefill_tokens : tokens_.size() / 2;
  require_range("prefill_tokens", prefill, 1, tokens_.size() - 2);  // at least one scored decode step
  return prefill;
}

double AccuracyEvaluator::reference_perplexity(size_t prefill_tokens) const {
  const size_t prefill = resolve_prefill(prefill_tokens);
  double nll = 0;
  for (size_t pos = prefill; pos + 1 < tokens_.size(); ++pos) nll -= target_log_probs_[pos];
  return std::exp(nll / double(tokens_.size() - 1 - prefill));
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
  const auto start = std::chrono::steady_clock::now();
  const size_t prefill = resolve_prefill(config.prefill_tokens);
  const ChannelOrders* aqpim = nullptr;
  const SkvqChannelOrders* skvq = nullptr;
  if (config.backend == "aqpim" && config.aqpim.channel_presort) aqpim = &aqpim_orders(config.aqpim.sub_dim);
  if (config.backend == "skvq" && config.skvq.channel_reorder) skvq = &skvq_orders(config.skvq.group(model_.config.head_dim()));
  const std::unique_ptr<KvCacheBackend> backend = make_backend(config, aqpim, skvq);

  Transformer transformer(model_);
  const KvShape shape = transformer.shape();
  MeasuredBackend measured(*backend);
  measured.begin(shape);
  // The prefill's exact path computes exactly what the reference pass did: replay its K and V.
  for (size_t pos = 0; pos < prefill; ++pos)
    for (size_t l = 0; l < shape.layers; ++l)
      for (size_t h = 0; h < shape.kv_heads; ++h) {
        const size_t offset = (pos * shape.kv_heads + h) * shape.head_dim;
        measured.append(l, h, record_.keys[l].data() + offset, record_.values[l].data() + offset);
      }
  measured.end_prefill(record_.prefill_view(prefill));

  const size_t vocab = model_.config.vocab_size;
  double nll = 0, reference_nll = 0, kl = 0;
  size_t agree = 0;
  std::vector<double> log_probs, reference;
  for (size_t pos = prefill; pos + 1 < tokens_.size(); ++pos) {
    const std::vector<float>& logits = transformer.forward(tokens_[pos], pos, measured);
    log_softmax(logits.data(), logits.size(), log_probs);
    log_softmax(logits_.data() + pos * vocab, vocab, reference);
    const size_t target = size_t(tokens_[pos + 1]);
    nll -= log_probs[target];
    reference_nll -= target_log_probs_[pos];
    if (argmax(logits.data(), logits.size()) == top1_[pos]) ++agree;
    for (size_t v = 0; v < vocab; ++v) kl += std::exp(reference[v]) * (reference[v] - log_probs[v]);
  }

  AccuracyResult result;
  result.backend = config.backend;
  result.tokens = tokens_.size();
  result.prefill_tokens = prefill;
  result.scored_tokens = tokens_.size() - 1 - prefill;
  const double scored = double(result.scored_tokens);
  result.perplexity = std::exp(nll / scored);
  result.reference_perplexity = std::exp(reference_nll / scored);
  result.top1_agreement = double(agree) / scored;
  result.mean_kl = kl / scored;
  result.layer_attention_error = measured.layer_errors();
  result.footprint = backend->footprint();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
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

}  // namespace aqpim::core::llm
