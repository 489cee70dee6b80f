// Each ggml type's codes apart from its scales: the grid every value lies on once a block's scales are fixed, and writing codes into a block.
#pragma once

#include <cstdint>
#include <cstring>

#include "iq4_nl.hpp"
#include "k_quants.hpp"
#include "legacy.hpp"

namespace mixq::gguf {

// The values one element of a block can take with the block's scales (and mins) fixed: value(k) for the
// integer code k in [lo, hi], computed exactly as ggml's dequantize_row_* computes it, so a value on the grid
// is a value llama.cpp decodes bit for bit. IQ4_NL's grid is a times its 16 non-linear levels.
struct element_grid {
    float a = 0.0f, b = 0.0f;
    int lo = 0, hi = 0;
    bool iq4nl = false;

    [[nodiscard]] float value(int k) const noexcept {
        return iq4nl ? a * static_cast<float>(iq4nl_values[k]) : detail::mul(a, static_cast<float>(k)) + b;
    }
    // The code of the grid value nearest to v (a zero scale leaves one value: any code, here lo).
    [[nodiscard]] int code(float v) const noexcept {
        if (a == 0.0f) return lo;
        if (iq4nl) return detail::nearest_level(v / a);
        return detail::clamp_int(detail::nearest_int((v - b) / a), lo, hi);
    }
    [[nodiscard]] float snap(float v) const noexcept { return value(code(v)); }
};

namespace detail {
// value(k) = a * k + b with k in [lo, hi]; `k` below is always that signed code (the stored one minus its offset).
inline element_grid affine(float a, float b, int lo, int hi) { return {a, b, lo, hi, false}; }

inline void grids(const block_q8_0& y, element_grid* g) {
    for (int i = 0; i < qk; ++i) g[i] = affine(unhalf(y.d), 0.0f, -127, 127);  // -128 would break ggml's sign-trick dot products
}
inline void put_codes(block_q8_0& y, const int* k) {
    for (int i = 0; i < qk; ++i) y.qs[i] = static_cast<std::int8_t>(k[i]);
}
inline void grids(const block_q4_0& y, element_grid* g) {
    for (int i = 0; i < qk; ++i) g[i] = affine(unhalf(y.d), 0.0f, -8, 7);
}
inline void put_codes(block_q4_0& y, const int* k) {
    std::uint8_t L[qk];
    for (int i = 0; i < qk; ++i) L[i] = static_cast<std::uint8_t>(k[i] + 8);
    pack_nibbles(L, y.qs);
}
inline void grids(const block_q4_1& y, element_grid* g) {
    for (int i = 0; i < qk; ++i) g[i] = affine(unhalf(y.d), unhalf(y.m), 0, 15);
}
inline void put_codes(block_q4_1& y, const int* k) {
    std::uint8_t L[qk];
    for (int i = 0; i < qk; ++i) L[i] = static_cast<std::uint8_t>(k[i]);
    pack_nibbles(L, y.qs);
}
inline void grids(const block_q5_0& y, element_grid* g) {
    for (int i = 0; i < qk; ++i) g[i] = affine(unhalf(y.d), 0.0f, -16, 15);
}
inline void put_codes(block_q5_0& y, const int* k) {
    pack_5bit(y.qs, y.qh, [&](int j) { return static_cast<std::uint8_t>(k[j] + 16); });
}
inline void grids(const block_q5_1& y, element_grid* g) {
    for (int i = 0; i < qk; ++i) g[i] = affine(unhalf(y.d), unhalf(y.m), 0, 31);
}
inline void put_codes(block_q5_1& y, const int* k) {
    pack_5bit(y.qs, y.qh, [&](int j) { return static_cast<std::uint8_t>(k[j]); });
}
inline void grids(const block_iq4_nl& y, element_grid* g) {
    for (int i = 0; i < qk; ++i) g[i] = {unhalf(y.d), 0.0f, 0, 15, true};
}
inline void put_codes(block_iq4_nl& y, const int* k) {
    std::uint8_t L[qk];
    for (int i = 0; i < qk; ++i) L[i] = static_cast<std::uint8_t>(k[i]);
    pack_nibbles(L, y.qs);
}
inline void grids(const block_q2_k& y, element_grid* g) {
    const float d = unhalf(y.d), dmin = unhalf(y.dmin);
    for (int i = 0; i < qk_k; ++i) {
        const auto s = y.scales[i / 16];
        g[i] = affine(d * static_cast<float>(s & 0xF), -(dmin * static_cast<float>(s >> 4)), 0, 3);
    }
}
inline void put_codes(block_q2_k& y, const int* k) {
    std::uint8_t L[qk_k];
    for (int i = 0; i < qk_k; ++i) L[i] = static_cast<std::uint8_t>(k[i]);
    pack_2bit(L, y.qs);
}
inline void grids(const block_q3_k& y, element_grid* g) {
    const float d = unhalf(y.d);
    for (int i = 0; i < qk_k; ++i) g[i] = affine(d * static_cast<float>(q3_scale(y.scales, i / 16)), 0.0f, -4, 3);
}
inline void put_codes(block_q3_k& y, const int* k) {
    std::int8_t L[qk_k];
    for (int i = 0; i < qk_k; ++i) L[i] = static_cast<std::int8_t>(k[i] + 4);
    pack_q3_codes(L, y);
}
template <class Block>
inline void k4_grids(const Block& y, element_grid* g, int hi) {  // Q4_K / Q5_K
    const float d = unhalf(y.d), dmin = unhalf(y.dmin);
    for (int j = 0; j < qk_k / 32; ++j) {
        std::uint8_t s, m;
        scale_min_k4(j, y.scales, s, m);
        const auto e = affine(d * static_cast<float>(s), -(dmin * static_cast<float>(m)), 0, hi);
        for (int i = 0; i < 32; ++i) g[32 * j + i] = e;
    }
}
inline void grids(const block_q4_k& y, element_grid* g) { k4_grids(y, g, 15); }
inline void put_codes(block_q4_k& y, const int* k) {
    std::uint8_t L[qk_k];
    for (int i = 0; i < qk_k; ++i) L[i] = static_cast<std::uint8_t>(k[i]);
    pack_q4_k_codes(L, y);
}
inline void grids(const block_q5_k& y, element_grid* g) { k4_grids(y, g, 31); }
inline void put_codes(block_q5_k& y, const int* k) {
    std::uint8_t L[qk_k];
    for (int i = 0; i < qk_k; ++i) L[i] = static_cast<std::uint8_t>(k[i]);
    pack_q5_k_codes(L, y);
}
inline void grids(const block_q6_k& y, element_grid* g) {
    const float d = unhalf(y.d);
    for (int i = 0; i < qk_k; ++i) g[i] = affine(d * static_cast<float>(y.scales[i / 16]), 0.0f, -32, 31);
}
inline void put_codes(block_q6_k& y, const int* k) {
    std::int8_t L[qk_k];
    for (int i = 0; i < qk_k; ++i) L[i] = static_cast<std::int8_t>(k[i] + 32);
    pack_q6_k_codes(L, y);
}

// The type-erased forms the traits table holds.
template <class Block>
inline void block_grids(const std::byte* in, element_grid* g) {
    Block y;
    std::memcpy(&y, in, sizeof y);
    grids(y, g);
}
template <class Block>
inline void block_put_codes(std::byte* inout, const int* k) {
    Block y;
    std::memcpy(&y, inout, sizeof y);
    put_codes(y, k);
    std::memcpy(inout, &y, sizeof y);
}
}  // namespace detail

}  // namespace mixq::gguf
