// The int4 codec: the scale of a clipping magnitude, the code of a value, and two codes per byte.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "traits.hpp"

namespace mixq {

// Symmetric int4, two codes per byte, one scale per group of 32, 64 or 128 values along a row. int4_g32 is
// ggml's Q4_0 grid (GGUF exports it so); the wider groups have no ggml twin.
inline constexpr format_traits int4_g32_format{precision::int4_g32, "int4_g32", "int4", 4, 32, dtype::u8, scale_layout::per_group, gguf::ggml_type::q4_0};
inline constexpr format_traits int4_g64_format{precision::int4_g64, "int4_g64", "int4", 4, 64, dtype::u8, scale_layout::per_group, std::nullopt};
inline constexpr format_traits int4_g128_format{precision::int4_g128, "int4_g128", "int4", 4, 128, dtype::u8, scale_layout::per_group, std::nullopt};

// scale = clip / 7 in fp32 (symmetric: the clip maps to code 7); a zero scale becomes 1 so an all-zero
// group stays exact.
[[nodiscard]] inline float int4_scale(float clip) noexcept {
    const float s = clip / 7.0f;
    return s == 0.0f ? 1.0f : s;
}
// clamp(round-half-even(w / scale), -8, 7); nearbyint rounds to nearest even in the default mode.
[[nodiscard]] inline int int4_code(float w, float scale) noexcept {
    return static_cast<int>(std::clamp(std::nearbyint(w / scale), -8.0f, 7.0f));
}

// Packing shared by int4 and nf4: value c of a row sits in byte c / 2, the low nibble for even c, the
// high nibble for odd c (the layout gemv_int4 and the CUDA kernels read). An odd row length leaves the
// last high nibble as padding, written as 0 and never read.
[[nodiscard]] constexpr unsigned nibble_at(const std::uint8_t* row, std::int64_t c) noexcept {
    const unsigned b = row[c / 2];
    return c % 2 ? b >> 4 : b & 0xfu;
}
constexpr void set_nibble(std::uint8_t* row, std::int64_t c, unsigned nibble) noexcept {
    auto& b = row[c / 2];
    b = static_cast<std::uint8_t>(c % 2 ? (b & 0x0fu) | (nibble << 4) : (b & 0xf0u) | (nibble & 0xfu));
}
// int4 codes as nibbles: two's complement in 4 bits, so nibbles 8..15 are codes -8..-1.
[[nodiscard]] constexpr int int4_from_nibble(unsigned n) noexcept { return static_cast<int>(n ^ 8u) - 8; }
[[nodiscard]] constexpr unsigned int4_to_nibble(int code) noexcept { return static_cast<unsigned>(code) & 0xfu; }

}  // namespace mixq
