#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/fp16.h"

namespace aqpim::core {
namespace {

TEST(Fp16, EveryHalfSurvivesARoundTrip) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float value = fp16_to_float(fp16_bits(bits));
    if (std::isnan(value)) continue;
    EXPECT_EQ(float_to_fp16(value), bits) << std::hex << bits;
  }
}

TEST(Fp16, KnownEncodings) {
  EXPECT_EQ(float_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(float_to_fp16(-2.0f), 0xc000);
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7bff);                   // largest finite
  EXPECT_EQ(float_to_fp16(65520.0f), 0x7c00);                   // rounds to infinity
  EXPECT_EQ(float_to_fp16(std::ldexp(1.0f, -24)), 0x0001);      // smallest subnormal
  EXPECT_EQ(float_to_fp16(std::ldexp(1.0f, -26)), 0x0000);      // underflows to zero
  EXPECT_TRUE(std::isnan(fp16_to_float(float_to_fp16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Fp16, RoundsToNearestEven) {
  // 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
  EXPECT_EQ(float_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(float_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  // Just above halfway rounds up.
  EXPECT_EQ(float_to_fp16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
}

TEST(Fp16, RoundingErrorIsWithinHalfAnUlp) {
  for (float value = -70000.0f; value < 70000.0f; value += 12.345f) {
    const float rounded = round_to_fp16(value);
    if (std::isinf(rounded)) continue;
    const float ulp = std::ldexp(1.0f, std::ilogb(rounded == 0 ? 1.0f : rounded) - 10);
    EXPECT_LE(std::fabs(rounded - value), ulp / 2) << value;
  }
}

}  // namespace
}  // namespace aqpim::core
