#include "firmware/kv_offload.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "core/fp16.h"

namespace aqpim::firmware {

KvOffload::KvOffload(const WorkloadConfig& workload, const hwif::PlatformView& view, uint32_t first_token,
                     const WorkloadData* data, uint64_t head_token_bytes)
    : workload_(workload),
      data_(data),
      base_(view.cpu_memory_base),
      first_token_(first_token),
      heads_per_layer_(workload.batch * workload.model.kv_heads),
      token_bytes_(uint64_t(heads_per_layer_) *
                   (head_token_bytes ? head_token_bytes : 2 * workload.model.head_dim * sizeof(uint16_t))) {
  if (data && head_token_bytes && head_token_bytes != 2 * workload.model.head_dim * sizeof(uint16_t))
    throw std::logic_error("KvOffload: only fp16 rows carry data");
  const uint32_t max_tokens = workload.context_tokens + workload.decode_steps;
  layer_bytes_ = uint64_t(max_tokens > first_token ? max_tokens - first_token : 0) * token_bytes_;
  const double needed = double(layer_bytes_) * workload.model.layers;
  if (needed > double(view.cpu_memory_bytes))
    throw std::invalid_argument("offloaded KV needs " + std::to_string(uint64_t(needed / double(1ull << 30))) +
                                " GiB but cpu.memory_capacity_gib holds " + std::to_string(view.cpu_memory_bytes >> 30) +
                                " GiB");
}

double KvOffload::bytes(uint32_t length) const { return double(tokens(length)) * token_bytes_ * workload_.model.layers; }

uint64_t KvOffload::address(uint32_t layer, uint32_t token) const {
  return base_ + uint64_t(layer) * layer_bytes_ + uint64_t(token - first_token_) * token_bytes_;
}

std::vector<uint16_t> KvOffload::rows_image(uint32_t layer, uint32_t first, uint32_t count) const {
  const uint32_t dim = workload_.model.head_dim, kv_heads = workload_.model.kv_heads;
  std::vector<uint16_t> image(size_t(count) * token_bytes_ / sizeof(uint16_t));
  size_t at = 0;
  for (uint32_t token = first; token < first + count; ++token)
    for (uint32_t sequence = 0; sequence < workload_.batch; ++sequence)
      for (uint32_t kv_head = 0; kv_head < kv_heads; ++kv_head)
        for (const float* rows : {data_->keys(sequence, layer), data_->values(sequence, layer)})
          for (uint32_t d = 0; d < dim; ++d)
            image[at++] = core::float_to_fp16(rows[(size_t(token) * kv_heads + kv_head) * dim + d]);
  return image;
}

void KvOffload::store_prompt(hwif::Hal& hal, uint32_t layer) const {
  const uint32_t count = tokens(workload_.context_tokens);
  if (count == 0) return;
  std::vector<uint16_t> image;
  if (data_) image = rows_image(layer, first_token_, count);
  hal.write_async(address(layer, first_token_), data_ ? image.data() : nullptr, count * token_bytes_);
}

void KvOffload::store_token(hwif::Hal& hal, uint32_t layer, uint32_t token) const {
  if (token < first_token_) return;
  std::vector<uint16_t> image;
  if (data_) image = rows_image(layer, token, 1);
  hal.write_async(address(layer, token), data_ ? image.data() : nullptr, token_bytes_);
}

std::vector<float> KvOffload::fetch(hwif::Hal& hal, uint32_t layer, uint32_t length) const {
  const uint32_t count = tokens(length);
  if (count == 0) return {};
  std::vector<uint16_t> image(data_ ? size_t(count) * token_bytes_ / sizeof(uint16_t) : 0);
  hal.read(address(layer, first_token_), data_ ? image.data() : nullptr, count * token_bytes_);
  std::vector<float> rows(image.size());
  for (size_t i = 0; i < image.size(); ++i) rows[i] = core::fp16_to_float(image[i]);
  return rows;
}

void KvOffload::gather(hwif::Hal& hal, uint32_t layer, uint32_t tokens_per_head) const {
  if (tokens_per_head == 0) return;
  if (tokens_per_head > layer_bytes_ / token_bytes_)
    throw std::logic_error("KvOffload: gathering more tokens than a head holds in CPU memory");
  hal.read(address(layer, first_token_), nullptr, tokens_per_head * token_bytes_);
}

const float* KvOffload::fetched_row(const std::vector<float>& fetched, uint32_t token, uint32_t sequence,
                                    uint32_t kv_head) const {
  const size_t head = size_t(sequence) * workload_.model.kv_heads + kv_head;
  return &fetched[(size_t(token - first_token_) * heads_per_layer_ + head) * 2 * workload_.model.head_dim];
}

}  // namespace aqpim::firmware
