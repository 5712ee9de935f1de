// What the functional platform tests compare the banks with: a head's rows in the firmware's stored channel
// order, the GPU's importance weights, and bytes read back from a bank through the host's untimed backdoor.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/accuracy_fixes.h"
#include "firmware/workload_data.h"
#include "hwif/hbm_address_mapping.h"
#include "platform/aqpim_system.h"

namespace aqpim::test {

// Rows of all tokens of one head instance, in the firmware's stored channel order (empty order: identity).
inline std::vector<float> stored_rows(const firmware::WorkloadData& data, uint32_t sequence, uint32_t layer,
                                      uint32_t kv_head, bool keys, const std::vector<uint32_t>& order) {
  const auto& shape = data.shape();
  const uint32_t dim = shape.head_dim, tokens = shape.context_tokens + shape.decode_steps;
  const float* source = (keys ? data.keys(sequence, layer) : data.values(sequence, layer)) + size_t(kv_head) * dim;
  std::vector<float> rows(size_t(tokens) * dim);
  if (order.empty()) {
    for (uint32_t n = 0; n < tokens; ++n)
      std::memcpy(&rows[size_t(n) * dim], source + size_t(n) * shape.kv_heads * dim, dim * 4);
  } else {
    core::apply_channel_order(order, source, tokens, size_t(shape.kv_heads) * dim, rows.data());
  }
  return rows;
}

// The GPU's importance weights of every prompt token: attention of the last t prompt queries of the group.
inline std::vector<float> importance_weights(const firmware::WorkloadData& data, uint32_t sequence, uint32_t layer,
                                             uint32_t kv_head, uint32_t t) {
  const auto& shape = data.shape();
  const uint32_t dim = shape.head_dim, group = shape.heads / shape.kv_heads;
  std::vector<float> last_queries(size_t(t) * group * dim);
  for (uint32_t q = 0; q < t; ++q)
    for (uint32_t g = 0; g < group; ++g)
      std::memcpy(&last_queries[(size_t(q) * group + g) * dim],
                  data.prefill_queries(sequence, layer) +
                      ((size_t(shape.prefill_queries - t + q) * shape.heads) + kv_head * group + g) * dim,
                  dim * 4);
  return core::importance_weights(last_queries.data(), t, group, data.keys(sequence, layer) + size_t(kv_head) * dim,
                                  shape.context_tokens, size_t(shape.kv_heads) * dim, dim);
}

// Bytes [offset, offset + bytes) of one bank's own space, read through the host's untimed backdoor.
inline std::vector<unsigned char> read_bank(platform::AqpimSystem& system, uint32_t unit, unsigned bank,
                                            uint64_t offset, uint64_t bytes) {
  const auto& view = system.view();
  const hwif::HbmAddressMap map(view.mapping, view.hbm);
  const uint64_t access = view.hbm.access_bytes, row_bytes = view.hbm.row_bytes;
  std::vector<unsigned char> data(bytes);
  for (uint64_t done = 0; done < bytes; done += access) {
    const uint64_t in_bank = offset + done;
    const hwif::HbmLocation location{bank / view.hbm.banks_per_group, bank % view.hbm.banks_per_group,
                                     in_bank / row_bytes, (in_bank % row_bytes) / access};
    system.host().backdoor_read(view.units[unit].memory_base + map.encode(location), data.data() + done,
                                std::min(access, bytes - done));
  }
  return data;
}

}  // namespace aqpim::test
