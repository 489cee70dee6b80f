// How llama.cpp's CPU backend rounds a product's input for each weight type, so mixq can compute as it does.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/half.hpp"

namespace mixq {

// ggml converts the activations of a matrix product to its weight type's "vec_dot_type" first: Q8_0 blocks
// of 32 for Q8_0 and Q4_0 weights, fp16 for F16, bf16 for BF16; F32 weights take fp32 activations.
enum class activation_rounding : std::uint8_t { none, q8_0, f16, bf16 };

// Rounds [T, K] activations in place. Q8_0 as ggml's quantize_row_q8_0 for activations: d = amax / 127
// stored as fp16, codes x * (127 / amax) rounded to nearest even (the AVX2 path's _mm256_round_ps), value
// d_fp16 * code. A K that is not a multiple of 32 cannot hold Q8_0 blocks: the weight would have been
// written F16, so it never reaches here.
inline void round_activations(float* x, std::int64_t T, std::int64_t K, activation_rounding mode) {
    const auto n = T * K;
    switch (mode) {
        case activation_rounding::none: return;
        case activation_rounding::f16:
            for (std::int64_t i = 0; i < n; ++i) x[i] = round_to_half(x[i]);
            return;
        case activation_rounding::bf16:
            for (std::int64_t i = 0; i < n; ++i) x[i] = round_to_bf16(x[i]);
            return;
        case activation_rounding::q8_0:
            for (std::int64_t b = 0; b + 32 <= n; b += 32) {
                float amax = 0.0f;
                for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b + j]));
                const float d = round_to_half(amax / 127.0f);
                const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
                for (int j = 0; j < 32; ++j) x[b + j] = d * std::nearbyint(x[b + j] * id);
            }
            return;
    }
}

}  // namespace mixq
