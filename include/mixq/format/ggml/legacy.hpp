// ggml's 32-value block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: the quantizers of ggml-quants.c bit for bit (reference, and with an imatrix), and decoding.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "blocks.hpp"
#include "k_scales.hpp"
#include "rounding.hpp"

namespace mixq::gguf {

namespace detail {
// Each function takes a row of a whole number of blocks and writes the blocks' byte images.
template <class Block, class Encode>
inline void encode_blocks(std::span<const float> x, std::byte* out, std::int64_t per_block, Encode&& encode) {
    for (std::size_t b = 0; b + static_cast<std::size_t>(per_block) <= x.size(); b += static_cast<std::size_t>(per_block)) {
        Block blk{};
        encode(x.data() + b, blk);
        std::memcpy(out, &blk, sizeof blk);
        out += sizeof blk;
    }
}
// As encode_blocks, handing each block its slice of the importance too (null without one).
template <class Block, class Encode>
inline void encode_blocks_with(std::span<const float> x, std::byte* out, std::int64_t per_block, const float* qw, Encode&& encode) {
    for (std::size_t b = 0; b + static_cast<std::size_t>(per_block) <= x.size(); b += static_cast<std::size_t>(per_block)) {
        Block blk{};
        encode(x.data() + b, qw ? qw + b : nullptr, blk);
        std::memcpy(out, &blk, sizeof blk);
        out += sizeof blk;
    }
}
// The 32-value types with an importance matrix (quantize_row_*_impl): sigma2 is the mean square of the whole
// row, each value weighted qw * sqrt(sigma2 + x^2).
template <class Block, class Encode>
inline void weighted_blocks(std::span<const float> x, std::byte* out, const float* qw, Encode&& encode) {
    const float sigma2 = sum_squares(x.data(), static_cast<std::int64_t>(x.size())) / static_cast<float>(x.size());
    float weight[qk];
    for (std::size_t b = 0; b + qk <= x.size(); b += qk) {
        importance_weights(x.data() + b, qw + b, qk, sigma2, weight);
        Block blk{};
        encode(x.data() + b, weight, blk);
        std::memcpy(out, &blk, sizeof blk);
        out += sizeof blk;
    }
}
inline std::uint16_t half(float v) { return float_to_half_bits(v); }
inline float unhalf(std::uint16_t h) { return half_bits_to_float(h); }
// The min and max of a block (min starts at FLT_MAX, max at -FLT_MAX, as ggml's do).
inline void min_max(const float* x, int n, float& lo, float& hi) {
    lo = FLT_MAX, hi = -FLT_MAX;
    for (int j = 0; j < n; ++j) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
}
// Q4_0 / Q4_1 / IQ4_NL: the 4-bit code of value j in the low nibble of byte j, of value j + 16 in the high one.
inline void pack_nibbles(const std::uint8_t* L, std::uint8_t* qs) {
    for (int j = 0; j < qk / 2; ++j) qs[j] = static_cast<std::uint8_t>(L[j] | (L[j + qk / 2] << 4));
}
// Q5_0 / Q5_1: the low nibbles of values j and j + 16 in byte j, their fifth bits in the 32-bit qh.
// code(j) is the 5-bit code of value j.
template <class Code>
inline void pack_5bit(std::uint8_t* qs, std::uint8_t* qh_out, Code&& code) {
    std::uint32_t qh = 0;
    for (int j = 0; j < qk / 2; ++j) {
        const std::uint8_t a = code(j), b = code(j + qk / 2);
        qs[j] = static_cast<std::uint8_t>((a & 0x0f) | (b & 0x0f) << 4);
        qh |= static_cast<std::uint32_t>((a & 0x10u) >> 4) << j;
        qh |= static_cast<std::uint32_t>((b & 0x10u) >> 4) << (j + qk / 2);
    }
    std::memcpy(qh_out, &qh, 4);
}
}  // namespace detail

// Q8_0: fp16 d = absmax / 127, codes roundf(x / d) with the reciprocal computed in float. An importance
// matrix changes nothing (llama.cpp's quantize_q8_0 ignores it).
inline void quantize_q8_0(std::span<const float> x, std::byte* out, const float* = nullptr) {
    detail::encode_blocks<block_q8_0>(x, out, qk, [](const float* v, block_q8_0& y) {
        float amax = 0.0f;
        for (int j = 0; j < qk; ++j) amax = std::max(amax, std::fabs(v[j]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y.d = detail::half(d);
        for (int j = 0; j < qk; ++j) y.qs[j] = static_cast<std::int8_t>(std::roundf(v[j] * id));
    });
}

// Q4_0: d = (the value of largest magnitude, the first on ties) / -8, codes min(15, (int8)(x * id + 8.5));
// value j in the low nibble of byte j, value j + 16 in the high nibble.
inline void quantize_q4_0(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    if (qw) {  // quantize_row_q4_0_impl: the weighted scale search of make_qx_quants per block
        detail::weighted_blocks<block_q4_0>(x, out, qw, [](const float* v, const float* w, block_q4_0& y) {
            std::int8_t L[qk];
            y.d = detail::half(detail::make_qx_quants(qk, 8, v, L, w));
            detail::pack_nibbles(reinterpret_cast<const std::uint8_t*>(L), y.qs);
        });
        return;
    }
    detail::encode_blocks<block_q4_0>(x, out, qk, [](const float* v, block_q4_0& y) {
        const float d = detail::signed_absmax(v, qk) / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y.d = detail::half(d);
        auto code = [&](float e) { return static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(detail::mul(e, id) + 8.5f)))); };
        for (int j = 0; j < qk / 2; ++j) y.qs[j] = static_cast<std::uint8_t>(code(v[j]) | code(v[j + qk / 2]) << 4);
    });
}

// Q4_1: d = (max - min) / 15 and m = min, both fp16; codes min(15, (int8)((x - min) * id + 0.5)).
inline void quantize_q4_1(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    if (qw) {  // quantize_row_q4_1_impl: make_qkx3_quants' weighted scale and min per block
        detail::weighted_blocks<block_q4_1>(x, out, qw, [](const float* v, const float* w, block_q4_1& y) {
            std::uint8_t L[qk], Laux[qk];
            float min;
            y.d = detail::half(detail::make_qkx2_quants(qk, 15, v, w, L, &min, Laux, -0.9f, 0.05f, 36, false));
            y.m = detail::half(-min);
            detail::pack_nibbles(L, y.qs);
        });
        return;
    }
    detail::encode_blocks<block_q4_1>(x, out, qk, [](const float* v, block_q4_1& y) {
        float lo, hi;
        detail::min_max(v, qk, lo, hi);
        const float d = (hi - lo) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y.d = detail::half(d), y.m = detail::half(lo);
        auto code = [&](float e) { return static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(detail::mul(e - lo, id) + 0.5f)))); };
        for (int j = 0; j < qk / 2; ++j) y.qs[j] = static_cast<std::uint8_t>(code(v[j]) | code(v[j + qk / 2]) << 4);
    });
}

// Q5_0: d = (the value of largest magnitude) / -16, codes min(31, (int8)(x * id + 16.5)); the fifth bits in qh.
inline void quantize_q5_0(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    if (qw) {  // quantize_row_q5_0_impl
        detail::weighted_blocks<block_q5_0>(x, out, qw, [](const float* v, const float* w, block_q5_0& y) {
            std::int8_t L[qk];
            y.d = detail::half(detail::make_qx_quants(qk, 16, v, L, w));
            detail::pack_5bit(y.qs, y.qh, [&](int j) { return static_cast<std::uint8_t>(L[j]); });
        });
        return;
    }
    detail::encode_blocks<block_q5_0>(x, out, qk, [](const float* v, block_q5_0& y) {
        const float d = detail::signed_absmax(v, qk) / -16.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y.d = detail::half(d);
        detail::pack_5bit(y.qs, y.qh, [&](int j) {
            return static_cast<std::uint8_t>(std::min(31, static_cast<int>(static_cast<std::int8_t>(detail::mul(v[j], id) + 16.5f))));
        });
    });
}

// Q5_1: d = (max - min) / 31 and m = min; codes (uint8)((x - min) * id + 0.5), no clamp (as ggml).
inline void quantize_q5_1(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    if (qw) {  // quantize_row_q5_1_impl
        detail::weighted_blocks<block_q5_1>(x, out, qw, [](const float* v, const float* w, block_q5_1& y) {
            std::uint8_t L[qk], Laux[qk];
            float min;
            y.d = detail::half(detail::make_qkx2_quants(qk, 31, v, w, L, &min, Laux, -0.9f, 0.05f, 36, false));
            y.m = detail::half(-min);
            detail::pack_5bit(y.qs, y.qh, [&](int j) { return L[j]; });
        });
        return;
    }
    detail::encode_blocks<block_q5_1>(x, out, qk, [](const float* v, block_q5_1& y) {
        float lo, hi;
        detail::min_max(v, qk, lo, hi);
        const float d = (hi - lo) / 31.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y.d = detail::half(d), y.m = detail::half(lo);
        detail::pack_5bit(y.qs, y.qh, [&](int j) { return static_cast<std::uint8_t>(detail::mul(v[j] - lo, id) + 0.5f); });
    });
}

// Decoding, as ggml's dequantize_row_*. Bit for bit without ggml's unfused products: d · q is exact in fp32
// (an fp16 scale times a code of at most 8 bits), so a fused multiply-add with the min rounds as ggml does.
inline void dequantize_q8_0(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q8_0>(in, n, out, qk, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q8_0, d));
        const auto* q = detail::bytes_at(b + offsetof(block_q8_0, qs));
        for (int j = 0; j < qk; ++j) y[j] = d * static_cast<float>(static_cast<std::int8_t>(q[j]));
    });
}
inline void dequantize_q4_0(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q4_0>(in, n, out, qk, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q4_0, d));
        const auto* q = detail::bytes_at(b + offsetof(block_q4_0, qs));
        for (int j = 0; j < qk / 2; ++j) y[j] = d * static_cast<float>((q[j] & 0x0f) - 8);
        for (int j = 0; j < qk / 2; ++j) y[j + qk / 2] = d * static_cast<float>((q[j] >> 4) - 8);
    });
}
inline void dequantize_q4_1(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q4_1>(in, n, out, qk, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q4_1, d)), m = detail::half_at(b + offsetof(block_q4_1, m));
        const auto* q = detail::bytes_at(b + offsetof(block_q4_1, qs));
        for (int j = 0; j < qk / 2; ++j) y[j] = d * static_cast<float>(q[j] & 0x0f) + m;
        for (int j = 0; j < qk / 2; ++j) y[j + qk / 2] = d * static_cast<float>(q[j] >> 4) + m;
    });
}
namespace detail {
// The fifth bits of a Q5_0 / Q5_1 block: value j's is bit j of qh, moved to bit 4 of its code.
inline std::uint32_t fifth_bits(const std::byte* qh) {
    std::uint32_t h;
    std::memcpy(&h, qh, 4);
    return h;
}
}  // namespace detail
inline void dequantize_q5_0(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q5_0>(in, n, out, qk, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q5_0, d));
        const auto h = detail::fifth_bits(b + offsetof(block_q5_0, qh));
        const auto* q = detail::bytes_at(b + offsetof(block_q5_0, qs));
        for (int j = 0; j < qk / 2; ++j) y[j] = d * static_cast<float>(static_cast<int>((q[j] & 0x0fu) | (((h >> j) << 4) & 0x10u)) - 16);
        for (int j = 0; j < qk / 2; ++j) y[j + qk / 2] = d * static_cast<float>(static_cast<int>((q[j] >> 4) | ((h >> (j + 12)) & 0x10u)) - 16);
    });
}
inline void dequantize_q5_1(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q5_1>(in, n, out, qk, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q5_1, d)), m = detail::half_at(b + offsetof(block_q5_1, m));
        const auto h = detail::fifth_bits(b + offsetof(block_q5_1, qh));
        const auto* q = detail::bytes_at(b + offsetof(block_q5_1, qs));
        for (int j = 0; j < qk / 2; ++j) y[j] = d * static_cast<float>((q[j] & 0x0fu) | (((h >> j) << 4) & 0x10u)) + m;
        for (int j = 0; j < qk / 2; ++j) y[j + qk / 2] = d * static_cast<float>((q[j] >> 4) | ((h >> (j + 12)) & 0x10u)) + m;
    });
}

}  // namespace mixq::gguf
