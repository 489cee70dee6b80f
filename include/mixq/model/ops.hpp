// Ops of the reference forward: LayerNorm, RMSNorm, and vectorised SiLU, exact GELU, softplus (PyTorch's definitions).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

namespace mixq::ops {

// x: [T, d] in place. PyTorch LayerNorm: biased variance, eps inside the square root.
inline void layer_norm(const float* x, float* y, std::int64_t T, std::int64_t d, const float* w, const float* b, double eps) {
    for (std::int64_t t = 0; t < T; ++t) {
        const float* xr = x + t * d;
        float* yr = y + t * d;
        float mean = 0.0f;
        for (std::int64_t i = 0; i < d; ++i) mean += xr[i];
        mean /= static_cast<float>(d);
        float var = 0.0f;
        for (std::int64_t i = 0; i < d; ++i) var += (xr[i] - mean) * (xr[i] - mean);
        var /= static_cast<float>(d);
        const float inv = 1.0f / std::sqrt(var + static_cast<float>(eps));
        for (std::int64_t i = 0; i < d; ++i) yr[i] = (xr[i] - mean) * inv * w[i] + (b ? b[i] : 0.0f);
    }
}

// HF Mamba RMSNorm: x * rsqrt(mean(x^2) + eps) * w.
inline void rms_norm(const float* x, float* y, std::int64_t T, std::int64_t d, const float* w, double eps) {
    for (std::int64_t t = 0; t < T; ++t) {
        const float* xr = x + t * d;
        float* yr = y + t * d;
        float ms = 0.0f;
        for (std::int64_t i = 0; i < d; ++i) ms += xr[i] * xr[i];
        const float inv = 1.0f / std::sqrt(ms / static_cast<float>(d) + static_cast<float>(eps));
        for (std::int64_t i = 0; i < d; ++i) yr[i] = xr[i] * inv * w[i];
    }
}

// Applies f to every element in place: xsimd batches, then a scalar tail. f is a generic lambda that
// works on both (it calls exp/erf/log1p unqualified after `using std::exp; using xsimd::exp;`).
template <class F>
inline void map_inplace(float* p, std::size_t n, F f) {
    using batch = xsimd::batch<float>;
    constexpr std::size_t W = batch::size;
    std::size_t i = 0;
    for (; i + W <= n; i += W) f(batch::load_unaligned(p + i)).store_unaligned(p + i);
    for (; i < n; ++i) p[i] = f(p[i]);
}

inline constexpr auto silu = [](auto v) {
    using std::exp;
    using xsimd::exp;
    return v / (1.0f + exp(-v));
};
// Exact GELU (erf form), as torch.nn.functional.gelu's default.
inline constexpr auto gelu = [](auto v) {
    using std::erf;
    using xsimd::erf;
    return 0.5f * v * (1.0f + erf(v * 0.70710678118654752f));
};
// torch.nn.functional.softplus with beta 1, threshold 20 (linear above it).
inline constexpr auto softplus = [](auto v) {
    using std::exp;
    using std::log1p;
    using xsimd::exp;
    using xsimd::log1p;
    if constexpr (std::is_same_v<decltype(v), float>) return v > 20.0f ? v : log1p(exp(v));
    else return xsimd::select(v > 20.0f, v, log1p(exp(xsimd::min(v, decltype(v)(20.0f)))));
};

}  // namespace mixq::ops
