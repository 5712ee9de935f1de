// A functional run's data per attention-head instance (sequence, layer, KV head) as the PIM designs store
// it: K and V rows in stored channel order, decode queries in the same order and scaled by 1/sqrt(d), and
// AQPIM's importance weights. The stored order is identity, or AQPIM's channel pre-sort: a permutation per
// head calibrated offline and folded into the projection weights, so it costs no run time. Plain C++.
#pragma once

#include <cstdint>
#include <vector>

#include "firmware/attention_firmware.h"
#include "firmware/workload_data.h"

namespace aqpim::firmware {

class HeadData {
 public:
  HeadData(const WorkloadConfig& workload, const WorkloadData& data);

  // Calibrates every head instance's channel orders on its prompt (keys keep the workload's RoPE pairs inside a
  // sub-vector of sub_dim channels).
  void calibrate_channel_orders(uint32_t sub_dim);
  const std::vector<uint32_t>& key_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;
  const std::vector<uint32_t>& value_order(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;

  // Tokens [first, first + count) of one head, in stored channel order (fp16-exact floats).
  std::vector<float> rows(uint32_t sequence, uint32_t layer, uint32_t kv_head, bool keys, uint32_t first,
                          uint32_t count) const;
  // Query head g of the KV head's group at decode step `step`, channel-ordered and scaled by 1/sqrt(d).
  std::vector<float> query(uint32_t sequence, uint32_t layer, uint32_t kv_head, uint32_t g, uint32_t step) const;
  // Weight of every prompt token: the attention the last `queries` prompt queries of the KV head's group pay it.
  std::vector<float> importance_weights(uint32_t sequence, uint32_t layer, uint32_t kv_head, uint32_t queries) const;
  // Writes an output of head g (stored channel order) into `out` in the model's channel order.
  void unorder_output(uint32_t sequence, uint32_t layer, uint32_t kv_head, const float* stored, float* out) const;

 private:
  uint64_t index(uint32_t sequence, uint32_t layer, uint32_t kv_head) const;
  uint32_t group() const { return workload_.model.heads / workload_.model.kv_heads; }

  WorkloadConfig workload_;
  const WorkloadData& data_;
  std::vector<std::vector<uint32_t>> key_orders_, value_orders_;  // per head instance; empty = identity
};

}  // namespace aqpim::firmware
