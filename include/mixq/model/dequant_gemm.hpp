// y = x · dequant(W)ᵀ for int8 / fp16 / bf16 weights: a register-blocked xsimd kernel, one packed panel at a time.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "stored_matrix.hpp"

namespace mixq {

// Tuning of the CPU kernel: rows of x per micro-tile, and vector registers of W columns per micro-tile.
// MR x NV accumulators must fit the register file (4 x 2 = 8 of 16 on AVX2, of 32 on AVX-512).
struct dequant_gemm_tuning {
    static constexpr std::int64_t MR = 4;
    static constexpr std::int64_t NV = 2;
};

namespace detail {
// acc[i][v] += x[i][k] * panel[k][v*S .. v*S+S) over all k; then y[i][j] = acc * scale[j] for the valid columns.
template <std::int64_t MR, std::int64_t NV>
inline void dequant_micro(const float* x, std::int64_t ldx, const float* panel, std::int64_t K, const float* scale,
                          float* y, std::int64_t ldy, std::int64_t ncols) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t S = static_cast<std::int64_t>(batch::size);
    std::array<std::array<batch, NV>, MR> acc;
    for (auto& r : acc) r.fill(batch(0.0f));
    for (std::int64_t k = 0; k < K; ++k) {
        std::array<batch, NV> w;
        for (std::int64_t v = 0; v < NV; ++v) w[v] = batch::load_aligned(panel + k * NV * S + v * S);
        for (std::int64_t i = 0; i < MR; ++i) {
            const batch xb(x[i * ldx + k]);
            for (std::int64_t v = 0; v < NV; ++v) acc[i][v] = xsimd::fma(xb, w[v], acc[i][v]);
        }
    }
    alignas(64) float out[NV * S];
    for (std::int64_t i = 0; i < MR; ++i) {
        for (std::int64_t v = 0; v < NV; ++v) (acc[i][v] * batch::load_aligned(scale + v * S)).store_aligned(out + v * S);
        std::copy_n(out, ncols, y + i * ldy);
    }
}
}  // namespace detail

// x: [T, K], y: [T, N] (row-major), W: [N, K] in any stored dtype. Each panel of NV·S rows of W is
// converted once into a K x (NV·S) fp32 panel (int8 codes as exact integers) that stays in L1 while
// every row of x streams past it; int8 scales are applied once per output, after the K reduction.
inline void dequant_gemm(const float* x, std::int64_t T, const stored_matrix& W, float* y) {
    using tune = dequant_gemm_tuning;
    using batch = xsimd::batch<float>;
    constexpr std::int64_t S = static_cast<std::int64_t>(batch::size), NB = tune::NV * S;
    const auto N = W.rows, K = W.cols;
    using aligned_vec = std::vector<float, xsimd::aligned_allocator<float>>;
    thread_local aligned_vec panel, rows, scale;
    panel.assign(static_cast<std::size_t>(K * NB), 0.0f);
    rows.resize(static_cast<std::size_t>(NB * K));
    scale.resize(static_cast<std::size_t>(NB));
    for (std::int64_t n0 = 0; n0 < N; n0 += NB) {
        const auto nc = std::min(NB, N - n0);
        W.rows_unscaled(n0, nc, rows.data());
        for (std::int64_t j = 0; j < NB; ++j) {  // transpose into the panel; missing columns stay zero
            for (std::int64_t k = 0; k < K; ++k) panel[static_cast<std::size_t>(k * NB + j)] = j < nc ? rows[static_cast<std::size_t>(j * K + k)] : 0.0f;
            scale[static_cast<std::size_t>(j)] = j < nc && W.is_int8() ? W.scale(n0 + j) : 1.0f;
        }
        std::int64_t t = 0;
        for (; t + tune::MR <= T; t += tune::MR)
            detail::dequant_micro<tune::MR, tune::NV>(x + t * K, K, panel.data(), K, scale.data(), y + t * N + n0, N, nc);
        for (; t < T; ++t) detail::dequant_micro<1, tune::NV>(x + t * K, K, panel.data(), K, scale.data(), y + t * N + n0, N, nc);
    }
}

}  // namespace mixq
