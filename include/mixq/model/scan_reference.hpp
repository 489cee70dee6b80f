// Host reference of the GPU selective scan (prefill) and state update (decode): channel-major layouts, fp32.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "../core/error.hpp"

namespace mixq::ssm {

// Per-channel options shared by the scan and the decode step (nullptr: absent).
struct channel_options {
    const xt::xtensor<float, 1>* D = nullptr;           // [d_inner]: y += D · u
    const xt::xtensor<float, 1>* delta_bias = nullptr;  // [d_inner]: added to delta before the softplus
    bool delta_softplus = false;                        // dt = softplus(delta + bias), PyTorch's (threshold 20)
};

// One time step of one channel, as every implementation (host, kernels) computes it.
[[nodiscard]] inline float effective_dt(float delta, float bias, bool softplus) noexcept {
    const float v = delta + bias;
    return softplus && v <= 20.0f ? std::log1p(std::exp(v)) : v;
}
[[nodiscard]] inline float silu(float v) noexcept { return v / (1.0f + std::exp(-v)); }

namespace detail {
inline void require(bool ok, const char* fn, const std::string& what) {
    if (!ok) fail(std::string(fn) + ": " + what);
}
template <class S>
std::string shape_str(const S& s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}
template <class E, class S>
void require_shape(const E& e, const S& want, const char* fn, const char* name) {
    bool same = e.dimension() == want.size();
    for (std::size_t i = 0; same && i < want.size(); ++i) same = e.shape()[i] == want[i];
    require(same, fn, std::string(name) + " has shape " + shape_str(e.shape()) + ", expected " + shape_str(want));
}
inline void require_channel_options(const channel_options& o, std::size_t d_inner, const char* fn) {
    const std::array<std::size_t, 1> di{d_inner};
    if (o.D) require_shape(*o.D, di, fn, "D");
    if (o.delta_bias) require_shape(*o.delta_bias, di, fn, "delta_bias");
}
}  // namespace detail

struct scan_result {
    xt::xtensor<float, 3> y;      // [batch, d_inner, L]
    xt::xtensor<float, 3> state;  // [batch, d_inner, d_state]: the state after the last token
};

// u, delta, z: [batch, d_inner, L]; A: [d_inner, d_state] (already -exp(A_log)); B, C: [batch, d_state, L].
//   s[n] = exp(dt_t · A[c, n]) · s[n] + dt_t · B[n, t] · u_t,   y_t = (Σ_n s[n] · C[n, t] + D[c] · u_t) · SiLU(z_t)
// with dt_t = effective_dt(delta_t, delta_bias[c], delta_softplus); s starts at initial_state or 0.
[[nodiscard]] inline scan_result selective_scan_reference(const xt::xtensor<float, 3>& u, const xt::xtensor<float, 3>& delta,
                                                          const xt::xtensor<float, 2>& A, const xt::xtensor<float, 3>& B,
                                                          const xt::xtensor<float, 3>& C, const channel_options& opt = {},
                                                          const xt::xtensor<float, 3>* z = nullptr,
                                                          const xt::xtensor<float, 3>* initial_state = nullptr) {
    constexpr const char* fn = "selective_scan_reference";
    const std::size_t batch = u.shape()[0], d_inner = u.shape()[1], L = u.shape()[2], d_state = A.shape()[1];
    detail::require_shape(delta, u.shape(), fn, "delta");
    detail::require_shape(A, std::array{d_inner, d_state}, fn, "A");
    detail::require_shape(B, std::array{batch, d_state, L}, fn, "B");
    detail::require_shape(C, std::array{batch, d_state, L}, fn, "C");
    if (z) detail::require_shape(*z, u.shape(), fn, "z");
    if (initial_state) detail::require_shape(*initial_state, std::array{batch, d_inner, d_state}, fn, "initial_state");
    detail::require_channel_options(opt, d_inner, fn);

    scan_result r{xt::xtensor<float, 3>::from_shape({batch, d_inner, L}), xt::xtensor<float, 3>::from_shape({batch, d_inner, d_state})};
    std::vector<float> s(d_state);
    for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t c = 0; c < d_inner; ++c) {
            for (std::size_t n = 0; n < d_state; ++n) s[n] = initial_state ? (*initial_state)(b, c, n) : 0.0f;
            const float bias = opt.delta_bias ? (*opt.delta_bias)(c) : 0.0f, d = opt.D ? (*opt.D)(c) : 0.0f;
            for (std::size_t t = 0; t < L; ++t) {
                const float dt = effective_dt(delta(b, c, t), bias, opt.delta_softplus), ut = u(b, c, t);
                float acc = 0.0f;
                for (std::size_t n = 0; n < d_state; ++n) {
                    s[n] = std::exp(dt * A(c, n)) * s[n] + dt * B(b, n, t) * ut;
                    acc += s[n] * C(b, n, t);
                }
                acc += d * ut;
                r.y(b, c, t) = z ? acc * silu((*z)(b, c, t)) : acc;
            }
            for (std::size_t n = 0; n < d_state; ++n) r.state(b, c, n) = s[n];
        }
    return r;
}

// Decode: one new token per sequence. state [batch, d_inner, d_state] is updated in place; x, dt, z:
// [batch, d_inner]; B, C: [batch, d_state]. Returns y [batch, d_inner]. Same step as the scan.
[[nodiscard]] inline xt::xtensor<float, 2> selective_state_update_reference(xt::xtensor<float, 3>& state, const xt::xtensor<float, 2>& x,
                                                                          const xt::xtensor<float, 2>& dt_in, const xt::xtensor<float, 2>& A,
                                                                          const xt::xtensor<float, 2>& B, const xt::xtensor<float, 2>& C,
                                                                          const channel_options& opt = {},
                                                                          const xt::xtensor<float, 2>* z = nullptr) {
    constexpr const char* fn = "selective_state_update_reference";
    const std::size_t batch = state.shape()[0], d_inner = state.shape()[1], d_state = state.shape()[2];
    const std::array bd{batch, d_inner}, bn{batch, d_state};
    detail::require_shape(x, bd, fn, "x");
    detail::require_shape(dt_in, bd, fn, "dt");
    detail::require_shape(A, std::array{d_inner, d_state}, fn, "A");
    detail::require_shape(B, bn, fn, "B");
    detail::require_shape(C, bn, fn, "C");
    if (z) detail::require_shape(*z, bd, fn, "z");
    detail::require_channel_options(opt, d_inner, fn);

    auto y = xt::xtensor<float, 2>::from_shape({batch, d_inner});
    for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t c = 0; c < d_inner; ++c) {
            const float dt = effective_dt(dt_in(b, c), opt.delta_bias ? (*opt.delta_bias)(c) : 0.0f, opt.delta_softplus);
            const float u = x(b, c);
            float acc = 0.0f;
            for (std::size_t n = 0; n < d_state; ++n) {
                float& s = state(b, c, n);
                s = std::exp(dt * A(c, n)) * s + dt * B(b, n) * u;
                acc += s * C(b, n);
            }
            acc += (opt.D ? (*opt.D)(c) : 0.0f) * u;
            y(b, c) = z ? acc * silu((*z)(b, c)) : acc;
        }
    return y;
}

}  // namespace mixq::ssm
