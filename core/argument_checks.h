// Argument validation shared by the algorithm core. Every public function rejects bad input with
// std::invalid_argument carrying one line: the argument's name, the accepted range and what was passed,
// so a user coming from faiss gets an error message instead of an assert or a silent wrong answer.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace aqpim::core {

[[noreturn]] inline void throw_argument_error(const std::string& argument, const std::string& accepted,
                                              const std::string& got) {
  throw std::invalid_argument(argument + ": " + accepted + ", got " + got);
}

inline void require_range(const char* argument, size_t value, size_t low, size_t high) {
  if (value < low || value > high)
    throw_argument_error(argument, "must be in " + std::to_string(low) + ".." + std::to_string(high),
                         std::to_string(value));
}

inline void require_not_null(const char* argument, const void* pointer) {
  if (!pointer) throw_argument_error(argument, "must not be null", "nullptr");
}

// NaN or infinity in training data would silently poison every centroid it touches.
inline void require_finite(const char* argument, const float* values, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(values[i]))
      throw_argument_error(argument, "must hold finite values only",
                           std::to_string(values[i]) + " at index " + std::to_string(i));
}

}  // namespace aqpim::core
