// Tests include/mixq/format/fp8_e4m3.hpp against an independent brute-force rounding over all fp16 inputs.
#include <cmath>
#include <cstdint>
#include <mixq/core/half.hpp>
#include <mixq/format/fp8_e4m3.hpp>
#include <random>
#include <vector>

#include "support/catch.hpp"

namespace {
// The 127 non-negative finite e4m3fn values by their definition, code i = i (0x00 .. 0x7e).
std::vector<double> positive_values() {
    std::vector<double> v;
    for (int code = 0; code <= 0x7e; ++code) {
        const int e = code >> 3, m = code & 7;
        v.push_back(e == 0 ? std::ldexp(m, -9) : std::ldexp(8 + m, e - 10));
    }
    return v;
}
// Nearest value in double, a tie to the even code (even mantissa), saturating at 448: the spec, slowly.
std::uint8_t brute_encode(double x, const std::vector<double>& pos) {
    const double a = std::min(std::fabs(x), 448.0);
    int best = 0;
    for (int i = 1; i < static_cast<int>(pos.size()); ++i) {
        const double d = std::fabs(a - pos[static_cast<std::size_t>(i)]), bd = std::fabs(a - pos[static_cast<std::size_t>(best)]);
        if (d < bd || (d == bd && i % 2 == 0)) best = i;
    }
    return static_cast<std::uint8_t>((std::signbit(x) ? 0x80 : 0) | best);
}
}  // namespace

TEST_CASE("fp8 e4m3 decoding: every code by its definition, NaN only at 0x7f / 0xff", "[fp8]") {
    const auto pos = positive_values();
    for (int b = 0; b < 256; ++b) {
        const float v = mixq::fp8_e4m3_decode(static_cast<std::uint8_t>(b));
        if ((b & 0x7f) == 0x7f) {
            CHECK(std::isnan(v));
            CHECK(std::isnan(mixq::fp8_e4m3_table[static_cast<std::size_t>(b)]));
            continue;
        }
        CHECK(mixq::fp8_e4m3_table[static_cast<std::size_t>(b)] == v);
        CHECK(static_cast<double>(v) == ((b & 0x80) ? -1.0 : 1.0) * pos[static_cast<std::size_t>(b & 0x7f)]);
    }
    CHECK(mixq::fp8_e4m3_decode(0x7e) == 448.0f);
    CHECK(mixq::fp8_e4m3_decode(0x01) == 0x1p-9f);  // the smallest subnormal
    CHECK(mixq::fp8_e4m3_decode(0x08) == 0x1p-6f);  // the smallest normal
}

TEST_CASE("fp8 e4m3 encoding equals a brute-force nearest-even search on every fp16 value and random floats", "[fp8]") {
    const auto pos = positive_values();
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        const float x = mixq::half_bits_to_float(static_cast<std::uint16_t>(h));
        if (!std::isfinite(x)) continue;
        INFO("fp16 bits " << h << " = " << x);
        REQUIRE(mixq::fp8_e4m3_encode(x) == brute_encode(x, pos));
    }
    std::mt19937 rng(8);
    std::uniform_real_distribution<float> mag(-12.0f, 10.0f);
    for (int i = 0; i < 200000; ++i) {
        const float x = std::exp2(mag(rng)) * (rng() % 2 ? 1.0f : -1.0f);
        REQUIRE(mixq::fp8_e4m3_encode(x) == brute_encode(x, pos));
    }
}

TEST_CASE("fp8 e4m3 ties go to the even mantissa, beyond 448 saturates, never NaN", "[fp8]") {
    CHECK(mixq::fp8_e4m3_encode(1.0625f) == 0x38);   // halfway 1.0 (m 0) and 1.125 (m 1): even
    CHECK(mixq::fp8_e4m3_encode(1.1875f) == 0x3a);   // halfway 1.125 and 1.25 (m 2): even
    CHECK(mixq::fp8_e4m3_encode(0x1.8p-10f) == 0x01);  // 0.75 · 2^-9: nearer the smallest subnormal than 0
    CHECK(mixq::fp8_e4m3_encode(0x1p-10f) == 0x00);  // exactly half the smallest subnormal: to even (0)
    CHECK(mixq::fp8_e4m3_encode(0x1.8p-9f) == 0x02); // 1.5 · 2^-9: between codes 1 and 2, to even
    CHECK(mixq::fp8_e4m3_encode(464.0f) == 0x7e);     // halfway 448 and 480 (NaN in e4m3fn): saturates
    CHECK(mixq::fp8_e4m3_encode(1e30f) == 0x7e);
    CHECK(mixq::fp8_e4m3_encode(-1e30f) == 0xfe);
    CHECK(mixq::fp8_e4m3_encode(-0.0f) == 0x80);
    CHECK(mixq::fp8_e4m3_encode(240.0f) == 0x77);     // 2^7 · 1.875
}
