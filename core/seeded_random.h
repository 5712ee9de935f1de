// A small random generator whose output is fixed by its seed on every platform (the standard library's
// distributions are implementation-defined, so they would make "same seed, same codebook" untrue across
// compilers). splitmix64 is used both as the generator and to derive independent child seeds.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace aqpim::core {

inline uint64_t mix_seed(uint64_t value) {
  value += 0x9e3779b97f4a7c15ull;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
  return value ^ (value >> 31);
}

// A seed for stream `index` of a parent seed, e.g. one per PQ sub-space or per head.
inline uint64_t child_seed(uint64_t seed, uint64_t index) { return mix_seed(seed ^ mix_seed(index + 1)); }

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    const uint64_t current = state_;
    state_ += 0x9e3779b97f4a7c15ull;
    return mix_seed(current);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  size_t below(size_t bound) { return size_t(uniform() * double(bound)); }  // [0, bound), bound < 2^53
  // Box-Muller; the second value of each pair is dropped to keep the stream position simple.
  float normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log never sees 0
    const double u2 = uniform();
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }

 private:
  uint64_t state_;
};

}  // namespace aqpim::core
