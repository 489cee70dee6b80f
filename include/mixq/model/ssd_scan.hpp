// The Mamba-2 scan (one scalar decay per head, B and C shared by a group of heads): the token-by-token
// recurrence, the reference, and its chunked matrix ("state space dual") form, which prompt evaluation uses.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include <xsimd/xsimd.hpp>

namespace mixq {

// One sequence of L tokens, the state zero at its start. Head h (channels h·P .. h·P + P - 1 of x and y)
// reads group g = h / (heads / groups) of B and C (columns g·N .. g·N + N - 1):
//   S_h[p, n] = exp(dt[t, h] · A[h]) · S_h[p, n] + dt[t, h] · x[t, h, p] · B[t, g, n]
//   y[t, h, p] = Σ_n S_h[p, n] · C[t, g, n] + D[h] · x[t, h, p]
// dt is already softplus-ed and clamped; A = -exp(A_log). Rows have strides (ld*) so the operands can be
// read in place from the conv's output.
struct ssd_args {
    std::int64_t L = 0, heads = 0, head_dim = 0, groups = 1, d_state = 0;
    const float* x = nullptr;
    std::int64_t ldx = 0;
    const float* B = nullptr;
    const float* C = nullptr;
    std::int64_t ldbc = 0;
    const float* dt = nullptr;
    std::int64_t lddt = 0;
    const float* A = nullptr;  // [heads]
    const float* D = nullptr;  // [heads], or null for no skip
    float* y = nullptr;
    std::int64_t ldy = 0;
};

// The recurrence exactly as written above, one token at a time.
inline void ssd_scan_recurrent(const ssd_args& a) {
    const auto P = a.head_dim, N = a.d_state, per_group = a.heads / a.groups;
    std::vector<float> S(static_cast<std::size_t>(P * N));
    for (std::int64_t h = 0; h < a.heads; ++h) {
        const auto g = h / per_group;
        std::fill(S.begin(), S.end(), 0.0f);
        for (std::int64_t t = 0; t < a.L; ++t) {
            const float dt = a.dt[t * a.lddt + h], decay = std::exp(dt * a.A[h]);
            const float* x = a.x + t * a.ldx + h * P;
            const float* B = a.B + t * a.ldbc + g * N;
            const float* C = a.C + t * a.ldbc + g * N;
            float* y = a.y + t * a.ldy + h * P;
            for (std::int64_t p = 0; p < P; ++p) {
                float* s = S.data() + p * N;
                float acc = 0.0f;
                for (std::int64_t n = 0; n < N; ++n) {
                    s[n] = decay * s[n] + dt * x[p] * B[n];
                    acc += s[n] * C[n];
                }
                y[p] = acc + (a.D ? a.D[h] * x[p] : 0.0f);
            }
        }
    }
}

// The same function, a chunk of Q tokens at a time. With a[t] = Σ_{k = chunk start .. t} dt[k] · A (the
// log decay since the chunk began), inside a chunk
//   y[t] = Σ_{s <= t} exp(a[t] - a[s]) (C[t] · B[s]) dt[s] x[s]  +  exp(a[t]) C[t] · S_inᵀ
//   S_out = exp(a[Q-1]) S_in + Σ_s exp(a[Q-1] - a[s]) dt[s] x[s] ⊗ B[s]
// so each chunk is four GEMMs (C Bᵀ per group, then per head the masked product, the state read, the state
// update), and only the chunk boundaries are sequential. Every exponent is <= 0: nothing overflows.
inline void ssd_scan_chunked(const ssd_args& a, std::int64_t chunk = 64) {
    const auto P = a.head_dim, N = a.d_state, per_group = a.heads / a.groups;
    const auto Qmax = std::max<std::int64_t>(1, std::min(chunk, a.L));
    // Per-thread buffers, kept between calls: a prompt calls this once per sequence and layer.
    thread_local std::vector<float> G, M, cum, dts, Cs, Bw, S;
    auto buf = [](std::vector<float>& v, std::int64_t n) {
        v.resize(static_cast<std::size_t>(n));
        return v.data();
    };
    buf(G, a.groups * Qmax * Qmax), buf(M, Qmax * Qmax), buf(cum, Qmax), buf(dts, Qmax), buf(Cs, Qmax * N), buf(Bw, Qmax * N);
    buf(S, a.heads * P * N);  // the states entering the chunk, [heads][P][N]
    const auto I = [](std::int64_t v) { return static_cast<int>(v); };
    for (std::int64_t t0 = 0; t0 < a.L; t0 += Qmax) {
        const auto Q = std::min(Qmax, a.L - t0);
        const bool first = t0 == 0, last = t0 + Q >= a.L;
        for (std::int64_t g = 0; g < a.groups; ++g)  // G_g[t, s] = C[t, g] · B[s, g]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(Q), I(Q), I(N), 1.0f, a.C + t0 * a.ldbc + g * N, I(a.ldbc),
                        a.B + t0 * a.ldbc + g * N, I(a.ldbc), 0.0f, G.data() + g * Qmax * Qmax, I(Qmax));
        for (std::int64_t h = 0; h < a.heads; ++h) {
            const auto g = h / per_group;
            const float* dt = a.dt + t0 * a.lddt + h;
            double run = 0.0;  // the cumulative sum in double: its differences are what matter
            for (std::int64_t t = 0; t < Q; ++t) {
                dts[static_cast<std::size_t>(t)] = dt[t * a.lddt];
                cum[static_cast<std::size_t>(t)] = static_cast<float>(run += static_cast<double>(dt[t * a.lddt]) * a.A[h]);
            }
            const float* Gg = G.data() + g * Qmax * Qmax;
            using batch = xsimd::batch<float>;
            constexpr std::int64_t W = static_cast<std::int64_t>(batch::size);
            for (std::int64_t t = 0; t < Q; ++t) {  // M[t, s] = G[t, s] exp(a[t] - a[s]) dt[s] for s <= t
                float* m = M.data() + t * Qmax;
                const float* gr = Gg + t * Qmax;
                const batch ct(cum[static_cast<std::size_t>(t)]);
                std::int64_t s = 0;
                for (; s + W <= t + 1; s += W)
                    (batch::load_unaligned(gr + s) * xsimd::exp(ct - batch::load_unaligned(cum.data() + s)) * batch::load_unaligned(dts.data() + s))
                        .store_unaligned(m + s);
                for (; s <= t; ++s) m[s] = gr[s] * std::exp(cum[static_cast<std::size_t>(t)] - cum[static_cast<std::size_t>(s)]) * dts[static_cast<std::size_t>(s)];
                std::fill(m + t + 1, m + Q, 0.0f);
            }
            const float* x = a.x + t0 * a.ldx + h * P;
            float* y = a.y + t0 * a.ldy + h * P;
            float* Sh = S.data() + h * P * N;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, I(Q), I(P), I(Q), 1.0f, M.data(), I(Qmax), x, I(a.ldx), 0.0f, y,
                        I(a.ldy));
            if (!first) {  // y[t] += exp(a[t]) C[t] · S_inᵀ
                const float* C = a.C + t0 * a.ldbc + g * N;
                for (std::int64_t t = 0; t < Q; ++t) {
                    const float e = std::exp(cum[static_cast<std::size_t>(t)]);
                    for (std::int64_t n = 0; n < N; ++n) Cs[t * N + n] = e * C[t * a.ldbc + n];
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(Q), I(P), I(N), 1.0f, Cs.data(), I(N), Sh, I(N), 1.0f, y, I(a.ldy));
            }
            if (!last) {  // S_out = exp(a[Q-1]) S_in + Xᵀ (w ∘ B), w[s] = exp(a[Q-1] - a[s]) dt[s]
                const float* B = a.B + t0 * a.ldbc + g * N;
                for (std::int64_t s = 0; s < Q; ++s) {
                    const float wgt = std::exp(cum[static_cast<std::size_t>(Q - 1)] - cum[static_cast<std::size_t>(s)]) * dt[s * a.lddt];
                    for (std::int64_t n = 0; n < N; ++n) Bw[s * N + n] = wgt * B[s * a.ldbc + n];
                }
                const float decay = first ? 0.0f : std::exp(cum[static_cast<std::size_t>(Q - 1)]);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, I(P), I(N), I(Q), 1.0f, x, I(a.ldx), Bw.data(), I(N), decay, Sh, I(N));
            }
            if (a.D)
                for (std::int64_t t = 0; t < Q; ++t)
                    for (std::int64_t p = 0; p < P; ++p) y[t * a.ldy + p] += a.D[h] * x[t * a.ldx + p];
        }
    }
}

}  // namespace mixq
