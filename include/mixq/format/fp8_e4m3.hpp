// The float8 e4m3fn codec (OCP FP8, PyTorch's float8_e4m3fn): 1 sign, 4 exponent (bias 7), 3 mantissa bits.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "traits.hpp"

namespace mixq {

// e4m3fn codes, one byte each, one scale per row; no ggml twin.
inline constexpr format_traits fp8_e4m3_format{precision::fp8_e4m3, "fp8_e4m3", "fp8_e4m3", 8, 0, dtype::f8_e4m3, scale_layout::per_row, std::nullopt};

// e4m3fn has no infinities; 0x7f / 0xff are NaN and the largest finite magnitude is 448 (0x7e).
inline constexpr float fp8_e4m3_max = 448.0f;

// The value of a code: normal 2^(e-7) · (1 + m/8), subnormal (e = 0) m · 2^-9. NaN for 0x7f / 0xff.
[[nodiscard]] constexpr float fp8_e4m3_decode(std::uint8_t b) noexcept {
    const int e = (b >> 3) & 0xf, m = b & 7;
    const bool neg = (b & 0x80) != 0;
    if (e == 15 && m == 7) return neg ? -__builtin_nanf("") : __builtin_nanf("");
    float v = e == 0 ? static_cast<float>(m) / 512.0f : static_cast<float>(8 + m) / 8.0f;
    for (int i = 7; i < e; ++i) v *= 2.0f;  // constexpr-friendly 2^(e - 7)
    for (int i = e; i < 7 && e > 0; ++i) v *= 0.5f;
    return neg ? -v : v;
}

// All 256 values, for decoding by table lookup.
inline constexpr std::array<float, 256> fp8_e4m3_table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[static_cast<std::size_t>(i)] = fp8_e4m3_decode(static_cast<std::uint8_t>(i));
    return t;
}();

// Nearest e4m3fn value, round half to even on the mantissa, saturating at ±448 (never NaN for finite
// input). The step is 2^(e-3) for |v| in [2^e, 2^(e+1)), and 2^-9 below the smallest normal 2^-6; the
// quotient by that power of two is exact, so nearbyint rounds the true value. A carry into the next
// binade is the next code: codes are monotone in the value.
[[nodiscard]] inline std::uint8_t fp8_e4m3_encode(float v) noexcept {
    const std::uint8_t sign = std::signbit(v) ? 0x80 : 0x00;
    float a = std::fabs(v);
    if (!(a < fp8_e4m3_max)) return static_cast<std::uint8_t>(sign | 0x7e);  // saturate (NaN too: never written)
    if (a == 0.0f) return sign;  // frexp's exponent of 0 is no binade
    int e = 0;
    std::frexp(a, &e);  // a = f · 2^e, f in [0.5, 1): binade 2^(e-1)
    const int binade = std::max(e - 1, -6);
    const float q = std::nearbyint(std::ldexp(a, 3 - binade));  // in [0, 16]
    // Subnormals (binade -6, q < 8) come out as e = 0, m = q; q == 16 carries into the next exponent.
    int code = ((binade + 7) << 3) + (static_cast<int>(q) - 8);
    if (code > 0x7e) code = 0x7e;
    return static_cast<std::uint8_t>(sign | code);
}

}  // namespace mixq
