// FNV-1a over 64-bit words: the keys of the interval memo and the state contents of the shared memo.
#pragma once

#include <cstdint>

namespace aqpim::models::hbm {

struct WordHash {
  uint64_t hash = 1469598103934665603ull;
  void mix(uint64_t word) { hash = (hash ^ word) * 1099511628211ull; }
};

}  // namespace aqpim::models::hbm
