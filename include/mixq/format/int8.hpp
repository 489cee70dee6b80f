// The int8 codec every part of mixq shares: the scale of a clipping magnitude, and the code of a value.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "traits.hpp"

namespace mixq {

// int8 codes, one byte each, with one scale per row (or one per tensor); GGUF has it as ggml's Q8_0.
inline constexpr format_traits int8_format{precision::int8, "int8", "int8", 8, 0, dtype::i8, scale_layout::per_row, gguf::ggml_type::q8_0};

// scale = clip / 127 in fp32; a zero scale becomes 1 so all-zero rows stay exact.
[[nodiscard]] inline float int8_scale(float clip) noexcept {
    const float s = clip / 127.0f;
    return s == 0.0f ? 1.0f : s;
}
// clamp(round-half-even(w / scale), -128, 127); nearbyint uses the default mode, to nearest even.
[[nodiscard]] inline std::int8_t int8_code(float w, float scale) noexcept {
    return static_cast<std::int8_t>(std::clamp(std::nearbyint(w / scale), -128.0f, 127.0f));
}

}  // namespace mixq
