// IEEE 754 binary16 storage type and conversions. The KV cache, codebooks and PIM MAC inputs are fp16 in
// the modeled hardware; every layer (algorithm core, PIM models, firmware) rounds through these two
// functions so functional results can match bit for bit.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace aqpim::core {

using fp16_bits = uint16_t;

// Round-to-nearest-even, with overflow to infinity and gradual underflow to subnormals, as hardware does.
inline fp16_bits float_to_fp16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t exponent = (bits >> 23) & 0xffu;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0xff) return fp16_bits(sign | 0x7c00u | (mantissa ? 0x200u | (mantissa >> 13) : 0));
  int32_t half_exponent = int32_t(exponent) - 127 + 15;
  if (half_exponent >= 0x1f) return fp16_bits(sign | 0x7c00u);
  if (half_exponent <= 0) {
    if (half_exponent < -10) return fp16_bits(sign);
    mantissa |= 0x800000u;
    const uint32_t shift = uint32_t(14 - half_exponent);
    uint32_t half_mantissa = mantissa >> shift;
    const uint32_t remainder = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (half_mantissa & 1u))) ++half_mantissa;
    return fp16_bits(sign | half_mantissa);
  }
  uint32_t half = sign | (uint32_t(half_exponent) << 10) | (mantissa >> 13);
  const uint32_t remainder = mantissa & 0x1fffu;
  // A carry out of the mantissa correctly bumps the exponent (and may reach infinity).
  if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) ++half;
  return fp16_bits(half);
}

inline float fp16_to_float(fp16_bits half) {
  const uint32_t sign = uint32_t(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    int32_t normalized_exponent = 127 - 15 + 1;
    while (!(mantissa & 0x400u)) mantissa <<= 1, --normalized_exponent;
    bits = sign | (uint32_t(normalized_exponent) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The value a float takes after a round trip through fp16 storage.
inline float round_to_fp16(float value) { return fp16_to_float(float_to_fp16(value)); }

// An array as fp16 storage holds it.
inline std::vector<fp16_bits> to_fp16_bits(const float* values, size_t count) {
  std::vector<fp16_bits> bits(count);
  for (size_t i = 0; i < count; ++i) bits[i] = float_to_fp16(values[i]);
  return bits;
}

}  // namespace aqpim::core
