// Tests include/mixq/core/half.hpp against the compiler's own _Float16 and a double-precision bf16 rounding.
#include <cmath>
#include <cstdint>
#include <limits>
#include <mixq/core/half.hpp>
#include <random>

#include "support/catch.hpp"

namespace {
// Independent bf16 reference: pick the nearer of the two neighbouring bf16 values in double, ties to even.
float bf16_reference(float f) {
    const auto x = std::bit_cast<std::uint32_t>(f);
    const float lo = std::bit_cast<float>(x & 0xffff0000u);
    const float hi = std::bit_cast<float>((x & 0xffff0000u) + 0x10000u);
    // Past the largest bf16 the upper neighbour is Inf; for the distance it stands at 2^128 (IEEE rounding).
    const double hi_d = std::isinf(hi) ? std::copysign(std::ldexp(1.0, 128), static_cast<double>(f)) : hi;
    const double dl = std::fabs(static_cast<double>(f) - lo), dh = std::fabs(hi_d - f);
    if (dl < dh) return lo;
    if (dh < dl) return hi;
    return ((x >> 16) & 1u) ? hi : lo;
}
}  // namespace

TEST_CASE("fp16 bits decode exactly like _Float16 for all 65536 patterns", "[half]") {
    for (std::uint32_t b = 0; b < 65536; ++b) {
        const auto h = static_cast<std::uint16_t>(b);
        const auto ref = static_cast<float>(std::bit_cast<_Float16>(h));
        const float got = mixq::half_bits_to_float(h);
        if (std::isnan(ref)) {
            REQUIRE(std::isnan(got));
        } else {
            REQUIRE(std::bit_cast<std::uint32_t>(got) == std::bit_cast<std::uint32_t>(ref));
            REQUIRE(mixq::float_to_half_bits(got) == h);  // exact values round-trip
        }
    }
}

TEST_CASE("float to fp16 rounds to nearest even like _Float16", "[half]") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> bits;
    std::size_t checked = 0;
    for (int i = 0; i < 2'000'000; ++i) {
        // Bias towards the fp16 range, including subnormals, ties and overflow.
        std::uint32_t x = bits(rng);
        x = (x & 0x807fffffu) | ((100u + (x >> 23) % 60u) << 23);
        const float f = std::bit_cast<float>(x);
        const auto ref = std::bit_cast<std::uint16_t>(static_cast<_Float16>(f));
        REQUIRE(mixq::float_to_half_bits(f) == ref);
        ++checked;
    }
    // Hand-picked edges: max finite, the overflow tie, smallest subnormal and its half-way point.
    for (float f : {65504.0f, 65519.99f, 65520.0f, -65520.0f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 6.1035156e-5f,
                    0.0f, -0.0f, std::numeric_limits<float>::infinity(), 1.0f + 1.0f / 2048.0f, 1.0f + 3.0f / 2048.0f})
        CHECK(mixq::float_to_half_bits(f) == std::bit_cast<std::uint16_t>(static_cast<_Float16>(f)));
    CHECK(std::isnan(mixq::round_to_half(std::numeric_limits<float>::quiet_NaN())));
    CHECK(checked == 2'000'000);
}

TEST_CASE("float to bf16 rounds to nearest even", "[half]") {
    std::mt19937 rng(11);
    std::uniform_int_distribution<std::uint32_t> bits;
    for (int i = 0; i < 1'000'000; ++i) {
        const float f = std::bit_cast<float>(bits(rng) & 0xff7fffffu);  // finite values
        if (!std::isfinite(f)) continue;
        REQUIRE(mixq::round_to_bf16(f) == bf16_reference(f));
    }
    CHECK(mixq::round_to_bf16(1.0f + 1.0f / 256.0f) == 1.0f);               // tie, even stays
    CHECK(mixq::round_to_bf16(1.0f + 3.0f / 256.0f) == 1.0f + 4.0f / 256.0f);  // tie, odd rounds up
    CHECK(std::isnan(mixq::round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
    for (std::uint32_t b = 0; b < 65536; ++b)
        if (!std::isnan(mixq::bf16_bits_to_float(static_cast<std::uint16_t>(b))))
            REQUIRE(mixq::float_to_bf16_bits(mixq::bf16_bits_to_float(static_cast<std::uint16_t>(b))) == b);
}

static_assert(mixq::float_to_half_bits(1.0f) == 0x3c00, "usable at compile time");
static_assert(mixq::float_to_bf16_bits(-2.0f) == 0xc000);
