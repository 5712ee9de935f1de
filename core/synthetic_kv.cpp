#include "core/synthetic_kv.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/argument_checks.h"
#include "core/fp16.h"
#include "core/seeded_random.h"

namespace aqpim::core {
namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr float kChannelNoise = 0.2f;
// Relative size of a query's random part against its head's shared direction (and of a query head's
// direction against its KV head's).
constexpr float kQueryNoise = 0.5f;
constexpr float kHeadSpread = 0.3f;

std::vector<uint32_t> shuffled(size_t count, SeededRandom& random) {
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  for (size_t i = count; i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
  return order;
}

std::vector<float> unit_vector(size_t dim, SeededRandom& random) {
  std::vector<float> vector(dim);
  double norm = 0;
  for (float& value : vector) {
    value = random.normal();
    norm += double(value) * value;
  }
  for (float& value : vector) value = float(value / std::sqrt(norm));
  return vector;
}

// Rows whose channels follow per-group latent factors with a slow sinusoidal drift along the sequence.
class LatentChannels {
 public:
  LatentChannels(const SyntheticKvOptions& options, SeededRandom& random) : options_(options) {
    const size_t dim = options.head_dim, groups = dim / options.channel_group_size;
    const std::vector<uint32_t> scatter = shuffled(dim, random);
    group_of_.resize(dim);
    loading_.resize(dim);
    for (size_t i = 0; i < dim; ++i) group_of_[scatter[i]] = uint32_t(i / options.channel_group_size);
    for (float& loading : loading_) loading = float((random.uniform() < 0.5 ? -1 : 1) * (0.5 + random.uniform()));
    for (size_t g = 0; g < groups; ++g) {
      period_.push_back(double(options.tokens) * (0.25 + 0.75 * random.uniform()));
      phase_.push_back(kTwoPi * random.uniform());
    }
  }

  void fill_row(size_t position, SeededRandom& random, float* row) const {
    std::vector<float> latent(period_.size());
    for (size_t g = 0; g < latent.size(); ++g)
      latent[g] = float(options_.drift * std::sin(kTwoPi * double(position) / period_[g] + phase_[g])) + random.normal();
    for (size_t c = 0; c < options_.head_dim; ++c)
      row[c] = loading_[c] * latent[group_of_[c]] + kChannelNoise * random.normal();
  }

 private:
  const SyntheticKvOptions& options_;
  std::vector<uint32_t> group_of_;
  std::vector<float> loading_;
  std::vector<double> period_, phase_;
};

void round_all_to_fp16(std::vector<float>& values) {
  for (float& value : values) value = round_to_fp16(value);
}

}  // namespace

void SyntheticKvOptions::validate() const {
  require_range("tokens", tokens, 1, size_t(1) << 24);
  require_range("head_dim", head_dim, 1, 1u << 12);
  require_range("kv_heads", kv_heads, 1, 1024);
  require_range("query_heads", query_heads, kv_heads, 1024 * kv_heads);
  if (query_heads % kv_heads != 0)
    throw_argument_error("kv_heads", "must divide query_heads = " + std::to_string(query_heads),
                         std::to_string(kv_heads));
  require_range("prefill_queries", prefill_queries, 0, tokens);
  require_range("channel_group_size", channel_group_size, 1, head_dim);
  if (head_dim % channel_group_size != 0)
    throw_argument_error("channel_group_size", "must divide head_dim = " + std::to_string(head_dim),
                         std::to_string(channel_group_size));
  require_range("outlier_channels", outlier_channels, 0, head_dim);
  if (!(heavy_token_fraction >= 0.0 && heavy_token_fraction <= 1.0))
    throw_argument_error("heavy_token_fraction", "must be in 0..1", std::to_string(heavy_token_fraction));
}

SyntheticKv make_synthetic_kv(const SyntheticKvOptions& options) {
  options.validate();
  const size_t dim = options.head_dim, kv_heads = options.kv_heads, group = options.query_heads / kv_heads;
  SyntheticKv data;
  data.options = options;
  data.keys.resize(options.tokens * kv_heads * dim);
  data.values.resize(data.keys.size());
  data.prefill_queries.resize(options.prefill_queries * options.query_heads * dim);
  data.decode_queries.resize(options.decode_queries * options.query_heads * dim);

  SeededRandom shared(child_seed(options.seed, 0));
  const size_t heavy_count = size_t(options.heavy_token_fraction * double(options.tokens));
  const std::vector<uint32_t> positions = shuffled(options.tokens, shared);
  for (uint32_t position : positions)
    if (data.heavy_tokens.size() < heavy_count && (position != 0 || !options.sink_token))
      data.heavy_tokens.push_back(position);
  std::sort(data.heavy_tokens.begin(), data.heavy_tokens.end());

  // Queries are query_scale * (head direction + noise), so a key offset of b * sqrt(dim) / query_scale along
  // the direction raises its score <q, k> / sqrt(dim) by about b.
  const float query_scale = 0.5f * std::sqrt(float(dim));
  const float score_to_offset = std::sqrt(float(dim)) / query_scale;
  for (size_t kv = 0; kv < kv_heads; ++kv) {
    SeededRandom random(child_seed(options.seed, kv + 1));
    const LatentChannels key_channels(options, random), value_channels(options, random);
    std::vector<float> channel_scale(dim, 1.0f);
    const std::vector<uint32_t> outliers = shuffled(dim, random);
    for (size_t i = 0; i < options.outlier_channels; ++i) channel_scale[outliers[i]] = options.outlier_scale;
    const std::vector<float> direction = unit_vector(dim, random);

    for (size_t n = 0; n < options.tokens; ++n) {
      float* key = data.keys.data() + (n * kv_heads + kv) * dim;
      key_channels.fill_row(n, random, key);
      for (size_t c = 0; c < dim; ++c) key[c] *= channel_scale[c];
      float boost = 0.0f;
      if (n == 0 && options.sink_token) boost = options.sink_score;
      if (std::binary_search(data.heavy_tokens.begin(), data.heavy_tokens.end(), uint32_t(n)))
        boost = options.heavy_score;
      for (size_t c = 0; c < dim; ++c) key[c] += boost * score_to_offset * direction[c];
      value_channels.fill_row(n, random, data.values.data() + (n * kv_heads + kv) * dim);
    }
    for (size_t h = kv * group; h < (kv + 1) * group; ++h) {
      std::vector<float> head_direction = direction;
      for (float& value : head_direction) value += kHeadSpread * random.normal() / std::sqrt(float(dim));
      auto fill_queries = [&](std::vector<float>& queries, size_t count) {
        for (size_t q = 0; q < count; ++q)
          for (size_t c = 0; c < dim; ++c)
            queries[(q * options.query_heads + h) * dim + c] =
                query_scale * (head_direction[c] + kQueryNoise * random.normal() / std::sqrt(float(dim)));
      };
      fill_queries(data.prefill_queries, options.prefill_queries);
      fill_queries(data.decode_queries, options.decode_queries);
    }
  }
  round_all_to_fp16(data.keys);
  round_all_to_fp16(data.values);
  round_all_to_fp16(data.prefill_queries);
  round_all_to_fp16(data.decode_queries);
  return data;
}

}  // namespace aqpim::core
