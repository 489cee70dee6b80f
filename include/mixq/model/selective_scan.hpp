// Host reference of the Mamba-1 SSM core: causal depthwise conv + SiLU, and the selective scan (token-major).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "ops.hpp"

namespace mixq {

// xs: [L, d_inner] token-major, in place: xs[t, c] = SiLU(bias[c] + Σ_k w[c, k] · xs[t - (K-1) + k, c]),
// zero before t = 0. `w` is the conv1d weight [d_inner, 1, K] flattened.
inline void causal_conv1d_silu(float* xs, std::int64_t L, std::int64_t d_inner, const float* w, const float* bias,
                               std::int64_t K) {
    std::vector<float> out(static_cast<std::size_t>(L * d_inner));
    for (std::int64_t t = 0; t < L; ++t)
        for (std::int64_t c = 0; c < d_inner; ++c) {
            float acc = bias ? bias[c] : 0.0f;
            for (std::int64_t k = 0; k < K; ++k) {
                const std::int64_t s = t - (K - 1) + k;
                if (s >= 0) acc += w[c * K + k] * xs[s * d_inner + c];
            }
            out[static_cast<std::size_t>(t * d_inner + c)] = acc;
        }
    ops::map_inplace(out.data(), out.size(), ops::silu);
    std::copy(out.begin(), out.end(), xs);
}

// One sequence of the selective scan, all fp32:
//   s[c, n] = exp(dt[t, c] · A[c, n]) · s[c, n] + dt[t, c] · B[t, n] · u[t, c]
//   y[t, c] = Σ_n s[c, n] · C[t, n] + D[c] · u[t, c]
// u, dt, y: [L, d_inner]; B, C: rows of a [L, ldbc] matrix (d_state used); A_t: [d_state, d_inner]
// (A transposed, so the inner loop runs over channels and vectorises); state: [d_state, d_inner], in/out.
inline void selective_scan(const float* u, const float* dt, const float* B, const float* C, std::int64_t ldbc,
                           const float* A_t, const float* D, float* y, float* state, std::int64_t L, std::int64_t d_inner,
                           std::int64_t d_state) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t W = static_cast<std::int64_t>(batch::size);
    const std::int64_t vec_end = d_inner - d_inner % W;
    for (std::int64_t t = 0; t < L; ++t) {
        const float* ut = u + t * d_inner;
        const float* dtt = dt + t * d_inner;
        float* yt = y + t * d_inner;
        for (std::int64_t c = 0; c < d_inner; ++c) yt[c] = 0.0f;
        for (std::int64_t n = 0; n < d_state; ++n) {
            const float b = B[t * ldbc + n], cc = C[t * ldbc + n];
            const float* a = A_t + n * d_inner;
            float* s = state + n * d_inner;
            std::int64_t c = 0;
            for (; c < vec_end; c += W) {
                const auto d = batch::load_unaligned(dtt + c);
                const auto sv = xsimd::exp(d * batch::load_unaligned(a + c)) * batch::load_unaligned(s + c) +
                                d * b * batch::load_unaligned(ut + c);
                sv.store_unaligned(s + c);
                (batch::load_unaligned(yt + c) + sv * cc).store_unaligned(yt + c);
            }
            for (; c < d_inner; ++c) {
                s[c] = std::exp(dtt[c] * a[c]) * s[c] + dtt[c] * b * ut[c];
                yt[c] += s[c] * cc;
            }
        }
        if (D)
            for (std::int64_t c = 0; c < d_inner; ++c) yt[c] += D[c] * ut[c];
    }
}

}  // namespace mixq
