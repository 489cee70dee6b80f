// ggml's IQ4_NL: blocks of 32 on 16 non-linear levels with one fp16 scale, quantized as llama-quantize does (with or without an imatrix).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#if defined(__SSSE3__)
#include <immintrin.h>
#endif

#include "blocks.hpp"
#include "k_scales.hpp"
#include "legacy.hpp"

namespace mixq::gguf {

namespace detail {
// best_index_int8: the nearest of the sorted levels (the lower one when x is nearer to it, else the upper).
inline int nearest_level(float x) {
    const auto* v = iq4nl_values;
    if (x <= v[0]) return 0;
    if (x >= v[15]) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        (x < v[mid] ? hi : lo) = mid;
    }
    return x - v[hi - 1] < v[hi] - x ? hi - 1 : hi;
}
}  // namespace detail

// quantize_row_iq4_nl_impl with ntry 7: the scale of least weighted error over 15 trial scales around
// max / -127, then codes re-picked for that scale. Weights: x^2, or with an importance matrix qw * sqrt(sigma2 + x^2)
// (sigma2 twice the block's mean square).
inline void quantize_iq4_nl(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    detail::encode_blocks_with<block_iq4_nl>(x, out, qk, qw, [](const float* v, const float* imp, block_iq4_nl& y) {
        constexpr int ntry = 7;
        const float lv0 = iq4nl_values[0];
        float weight[qk];
        std::uint8_t L[qk] = {};
        if (imp) detail::importance_weights(v, imp, qk, detail::sum_squares(v, qk) * (2.f / qk), weight);
        else
            for (int j = 0; j < qk; ++j) weight[j] = v[j] * v[j];
        const float max = detail::signed_absmax(v, qk);
        float scale = 0;
        if (std::fabs(max) >= detail::group_max_eps) {
            auto sums = [&](float id, float& sumqx, float& sumq2, bool store) {
                sumqx = sumq2 = 0;
                for (int j = 0; j < qk; ++j) {
                    const int l = detail::nearest_level(detail::mul(id, v[j]));
                    if (store) L[j] = static_cast<std::uint8_t>(l);
                    const float q = iq4nl_values[l];
                    sumqx += detail::mul(weight[j] * q, v[j]);
                    sumq2 += detail::mul(weight[j] * q, q);
                }
            };
            float d = -max / lv0, sumqx, sumq2;
            sums(1 / d, sumqx, sumq2, true);
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry) {
                sums(static_cast<float>(itry + iq4nl_values[0]) / max, sumqx, sumq2, false);
                if (sumq2 > 0 && detail::mul(sumqx, sumqx) > detail::mul(best, sumq2)) d = sumqx / sumq2, best = d * sumqx;
            }
            scale = d;
        }
        y.d = detail::half(scale);
        const float id = scale != 0.0f ? 1 / scale : 0;
        for (int j = 0; j < qk; ++j) L[j] = static_cast<std::uint8_t>(detail::nearest_level(detail::mul(id, v[j])));
        detail::pack_nibbles(L, y.qs);
    });
}

// Decoding, as ggml's dequantize_row_iq4_nl (d times a level: exact in fp32). With SSSE3 the 16 levels are
// looked up 16 codes at a time by a byte shuffle; the compiler does not vectorise the table lookup itself
// (0.54 ns a value against 0.06 for Q4_0 on the Zen 4 VM).
inline void dequantize_iq4_nl(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_iq4_nl>(in, n, out, qk, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_iq4_nl, d));
        const auto* q = detail::bytes_at(b + offsetof(block_iq4_nl, qs));
#if defined(__SSSE3__)
        const __m128i table = _mm_loadu_si128(reinterpret_cast<const __m128i*>(iq4nl_values)), low = _mm_set1_epi8(0x0f);
        const __m128i codes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
        const __m128i levels[2] = {_mm_shuffle_epi8(table, _mm_and_si128(codes, low)),
                                   _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(codes, 4), low))};
        for (int i = 0; i < 2; ++i) {
#if defined(__AVX512F__)
            _mm512_storeu_ps(y + 16 * i, _mm512_mul_ps(_mm512_set1_ps(d), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(levels[i]))));
#elif defined(__AVX2__)
            _mm256_storeu_ps(y + 16 * i, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(levels[i]))));
            _mm256_storeu_ps(y + 16 * i + 8, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(levels[i], 8)))));
#else
            alignas(16) std::int8_t v[16];
            _mm_store_si128(reinterpret_cast<__m128i*>(v), levels[i]);
            for (int j = 0; j < 16; ++j) y[16 * i + j] = d * static_cast<float>(v[j]);
#endif
        }
#else
        for (int j = 0; j < qk / 2; ++j) y[j] = d * static_cast<float>(iq4nl_values[q[j] & 0xF]);
        for (int j = 0; j < qk / 2; ++j) y[j + qk / 2] = d * static_cast<float>(iq4nl_values[q[j] >> 4]);
#endif
    });
}

}  // namespace mixq::gguf
