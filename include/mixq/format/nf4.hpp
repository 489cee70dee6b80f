// The NF4 codec: bitsandbytes' 16 normal-float levels, the nearest level of a value, and its decoding.
#pragma once

#include <array>
#include <cmath>

#include "traits.hpp"

namespace mixq {

// NF4 codes, two per byte, one absmax scale per block of 64 values (bitsandbytes' blocksize); no ggml twin.
inline constexpr format_traits nf4_format{precision::nf4, "nf4", "nf4", 4, 64, dtype::u8, scale_layout::per_group, std::nullopt};

// bitsandbytes' NF4 codebook, its exact float32 constants (quantiles of N(0, 1) scaled to [-1, 1]);
// code i is the nibble i. A block's absmax maps to 1.0.
inline constexpr std::array<float, 16> nf4_levels{
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

// The scale of a block: its absmax (or a clip) in fp32; zero becomes 1 so an all-zero block stays exact.
[[nodiscard]] inline float nf4_scale(float clip) noexcept { return clip == 0.0f ? 1.0f : clip; }

// The level nearest to v = w / scale, |v - level| computed in fp32; on a tie the lower level wins
// (the first minimum in codebook order). Values beyond ±1 go to ±1.
[[nodiscard]] inline unsigned nf4_code(float v) noexcept {
    unsigned best = 0;
    float best_d = std::fabs(v - nf4_levels[0]);
    for (unsigned i = 1; i < 16; ++i) {
        const float d = std::fabs(v - nf4_levels[i]);
        if (d < best_d) best = i, best_d = d;
    }
    return best;
}
[[nodiscard]] inline unsigned nf4_code(float w, float scale) noexcept { return nf4_code(w / scale); }

// Dequantized value: level · scale in fp32.
[[nodiscard]] inline float nf4_value(unsigned code, float scale) noexcept { return nf4_levels[code & 0xfu] * scale; }

}  // namespace mixq
