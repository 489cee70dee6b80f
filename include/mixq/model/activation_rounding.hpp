// How llama.cpp's CPU backend rounds a product's input for each weight type, so mixq can compute as it does.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/half.hpp"

namespace mixq {

// ggml converts the activations of a matrix product to its weight type's "vec_dot_type" first: Q8_0 blocks
// of 32 for Q8_0, Q4_0 and the other 32-value types, Q8_1 (Q8_0 plus each block's sum) for Q4_1 / Q5_1,
// Q8_K blocks of 256 for the K-quants, fp16 for F16, bf16 for BF16; F32 weights take fp32 activations.
enum class activation_rounding : std::uint8_t { none, q8_0, f16, bf16, q8_k, q8_1 };

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
        case activation_rounding::q8_1:  // the same values; the block sums are q8_1_sum_errors'
            for (std::int64_t b = 0; b + 32 <= n; b += 32) {
                float amax = 0.0f;
                for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b + j]));
                const float d = round_to_half(amax / 127.0f);
                const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
                for (int j = 0; j < 32; ++j) x[b + j] = d * std::nearbyint(x[b + j] * id);
            }
            return;
        case activation_rounding::q8_k:  // quantize_row_q8_K_ref: iscale = -127 / (the signed absmax), d = 1 / iscale in float
            for (std::int64_t b = 0; b + 256 <= n; b += 256) {
                float amax = 0.0f, max = 0.0f;
                for (int j = 0; j < 256; ++j)
                    if (std::fabs(x[b + j]) > amax) amax = std::fabs(x[b + j]), max = x[b + j];
                if (amax == 0.0f) continue;  // all zero already
                const float iscale = -127.0f / max, d = 1 / iscale;
                for (int j = 0; j < 256; ++j) x[b + j] = d * static_cast<float>(std::min(127, static_cast<int>(std::nearbyint(iscale * x[b + j]))));
            }
            return;
    }
}

// Q8_1 also stores each block's sum s = fp16(d * Σ codes) with d = amax / 127 unrounded, and Q4_1 / Q5_1 dot
// products use it for the weights' min term: m · s, where the rounded values above sum to d_fp16 · Σ codes.
// `err` [T, K / 32] receives s minus that sum for each block of x (unrounded: call before round_activations).
inline void q8_1_sum_errors(const float* x, std::int64_t T, std::int64_t K, float* err) {
    for (std::int64_t b = 0; b + 32 <= T * K; b += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b + j]));
        const float d = amax / 127.0f, dh = round_to_half(d);
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        float rounded = 0.0f;
        for (int j = 0; j < 32; ++j) {
            const float q = std::nearbyint(x[b + j] * id);
            sum += static_cast<int>(q);
            rounded += dh * q;
        }
        err[b / 32] = round_to_half(d * static_cast<float>(sum)) - rounded;
    }
}

}  // namespace mixq
