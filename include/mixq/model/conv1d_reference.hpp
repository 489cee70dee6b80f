// Host reference of the GPU causal depthwise conv1d (+ optional SiLU): prefill and the rolling decode step.
#pragma once

#include <array>
#include <cstddef>
#include <xtensor/xtensor.hpp>

#include "scan_reference.hpp"

namespace mixq::ssm {

// The conv state of a sequence is its last width - 1 inputs, oldest first: [batch, d_inner, width - 1].
struct conv_result {
    xt::xtensor<float, 3> out;    // [batch, d_inner, L]
    xt::xtensor<float, 3> state;  // [batch, d_inner, width - 1]
};

// x: [batch, d_inner, L]; w: [d_inner, width] (PyTorch's [d_inner, 1, width] without the 1); bias: [d_inner].
//   out[t] = act(bias + Σ_k w[k] · x[t - (width - 1) + k])
// where inputs before t = 0 come from initial_state (a previous chunk or decode) or are 0.
[[nodiscard]] inline conv_result causal_conv1d_reference(const xt::xtensor<float, 3>& x, const xt::xtensor<float, 2>& w,
                                                         const xt::xtensor<float, 1>* bias, bool apply_silu,
                                                         const xt::xtensor<float, 3>* initial_state = nullptr) {
    constexpr const char* fn = "causal_conv1d_reference";
    const std::size_t batch = x.shape()[0], d_inner = x.shape()[1], L = x.shape()[2], width = w.shape()[1];
    detail::require(width >= 1, fn, "the conv width must be at least 1");
    detail::require_shape(w, std::array{d_inner, width}, fn, "w");
    if (bias) detail::require_shape(*bias, std::array{d_inner}, fn, "bias");
    if (initial_state) detail::require_shape(*initial_state, std::array{batch, d_inner, width - 1}, fn, "initial_state");

    conv_result r{xt::xtensor<float, 3>::from_shape({batch, d_inner, L}), xt::xtensor<float, 3>::from_shape({batch, d_inner, width - 1})};
    // input(t) for t in [-(width - 1), L)
    auto input = [&](std::size_t b, std::size_t c, std::ptrdiff_t t) -> float {
        if (t >= 0) return x(b, c, static_cast<std::size_t>(t));
        return initial_state ? (*initial_state)(b, c, static_cast<std::size_t>(static_cast<std::ptrdiff_t>(width - 1) + t)) : 0.0f;
    };
    for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t c = 0; c < d_inner; ++c) {
            for (std::size_t t = 0; t < L; ++t) {
                float acc = bias ? (*bias)(c) : 0.0f;
                for (std::size_t k = 0; k < width; ++k)
                    acc += w(c, k) * input(b, c, static_cast<std::ptrdiff_t>(t + k) - static_cast<std::ptrdiff_t>(width - 1));
                r.out(b, c, t) = apply_silu ? silu(acc) : acc;
            }
            for (std::size_t j = 0; j + 1 < width; ++j)
                r.state(b, c, j) = input(b, c, static_cast<std::ptrdiff_t>(L + j) - static_cast<std::ptrdiff_t>(width - 1));
        }
    return r;
}

// Decode: x [batch, d_inner] is the new input; state [batch, d_inner, width - 1] rolls by one in place.
[[nodiscard]] inline xt::xtensor<float, 2> causal_conv1d_update_reference(xt::xtensor<float, 3>& state, const xt::xtensor<float, 2>& x,
                                                                        const xt::xtensor<float, 2>& w, const xt::xtensor<float, 1>* bias,
                                                                        bool apply_silu) {
    constexpr const char* fn = "causal_conv1d_update_reference";
    const std::size_t batch = x.shape()[0], d_inner = x.shape()[1], width = w.shape()[1];
    detail::require(width >= 1, fn, "the conv width must be at least 1");
    detail::require_shape(w, std::array{d_inner, width}, fn, "w");
    detail::require_shape(state, std::array{batch, d_inner, width - 1}, fn, "state");
    if (bias) detail::require_shape(*bias, std::array{d_inner}, fn, "bias");
    auto y = xt::xtensor<float, 2>::from_shape({batch, d_inner});
    for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t c = 0; c < d_inner; ++c) {
            float acc = bias ? (*bias)(c) : 0.0f;  // the prefill's order of summation: equal bits
            for (std::size_t k = 0; k + 1 < width; ++k) acc += w(c, k) * state(b, c, k);
            acc += w(c, width - 1) * x(b, c);
            for (std::size_t k = 0; k + 2 < width; ++k) state(b, c, k) = state(b, c, k + 1);
            if (width > 1) state(b, c, width - 2) = x(b, c);
            y(b, c) = apply_silu ? silu(acc) : acc;
        }
    return y;
}

}  // namespace mixq::ssm
