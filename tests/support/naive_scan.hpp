// Test oracle: the selective scan and causal conv1d written sequentially in double, on flat row-major vectors.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "fixture.hpp"

namespace mixq::test {

// Random inputs of the scan in [batch, d_inner, L] / [batch, d_state, L] layouts, never zero.
struct scan_inputs {
    std::size_t batch, d_inner, d_state, L;
    xt::xtensor<float, 3> u, delta, B, C, z, initial_state;
    xt::xtensor<float, 2> A;
    xt::xtensor<float, 1> D, delta_bias;
};

template <std::size_t R>
xt::xtensor<float, R> random_tensor(const std::array<std::size_t, R>& shape, std::uint32_t seed, float stddev) {
    auto t = xt::xtensor<float, R>::from_shape(shape);
    const auto v = random_weights(t.size(), seed, stddev, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) t.data()[i] = v[i] == 0.0f ? stddev : v[i];
    return t;
}

// delta is positive (as a softplus output) unless it will go through the softplus itself.
inline scan_inputs random_scan_inputs(std::size_t batch, std::size_t d_inner, std::size_t d_state, std::size_t L, std::uint32_t seed,
                                      bool raw_delta) {
    scan_inputs in{batch, d_inner, d_state, L, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    in.u = random_tensor<3>({batch, d_inner, L}, seed + 1, 1.0f);
    in.delta = random_tensor<3>({batch, d_inner, L}, seed + 2, 0.5f);
    if (!raw_delta)
        for (auto& v : in.delta) v = std::log1p(std::exp(v - 2.0f));
    in.B = random_tensor<3>({batch, d_state, L}, seed + 3, 1.0f);
    in.C = random_tensor<3>({batch, d_state, L}, seed + 4, 1.0f);
    in.z = random_tensor<3>({batch, d_inner, L}, seed + 5, 1.0f);
    in.initial_state = random_tensor<3>({batch, d_inner, d_state}, seed + 6, 1.0f);
    in.A = random_tensor<2>({d_inner, d_state}, seed + 7, 0.5f);
    for (auto& v : in.A) v = -std::exp(v);  // A = -exp(A_log)
    in.D = random_tensor<1>({d_inner}, seed + 8, 1.0f);
    in.delta_bias = random_tensor<1>({d_inner}, seed + 9, 1.0f);
    return in;
}

struct naive_scan_result {
    std::vector<double> y, state;
    std::vector<double> magnitude, state_magnitude;  // the same sums over |terms|: scales of the error bounds
};

// Sequential double-precision scan with the documented semantics; flags choose the optional inputs.
inline naive_scan_result naive_scan(const scan_inputs& in, bool use_D, bool use_z, bool use_bias, bool softplus, bool use_init) {
    naive_scan_result r;
    r.y.resize(in.batch * in.d_inner * in.L);
    r.magnitude.resize(r.y.size());
    r.state.resize(in.batch * in.d_inner * in.d_state);
    r.state_magnitude.resize(r.state.size());
    std::vector<double> s(in.d_state), m(in.d_state);
    for (std::size_t b = 0; b < in.batch; ++b)
        for (std::size_t c = 0; c < in.d_inner; ++c) {
            for (std::size_t n = 0; n < in.d_state; ++n) {
                s[n] = use_init ? in.initial_state(b, c, n) : 0.0;
                m[n] = std::fabs(s[n]);
            }
            for (std::size_t t = 0; t < in.L; ++t) {
                double dt = static_cast<double>(in.delta(b, c, t)) + (use_bias ? in.delta_bias(c) : 0.0);
                if (softplus && dt <= 20.0) dt = std::log1p(std::exp(dt));
                const double u = in.u(b, c, t);
                double acc = 0, mag = 0;
                for (std::size_t n = 0; n < in.d_state; ++n) {
                    const double a = std::exp(dt * in.A(c, n));
                    s[n] = a * s[n] + dt * in.B(b, n, t) * u;
                    m[n] = a * m[n] + std::fabs(dt * in.B(b, n, t) * u);
                    acc += s[n] * in.C(b, n, t);
                    mag += m[n] * std::fabs(in.C(b, n, t));
                }
                if (use_D) {
                    acc += in.D(c) * u;
                    mag += std::fabs(in.D(c) * u);
                }
                const double g = use_z ? in.z(b, c, t) / (1.0 + std::exp(-static_cast<double>(in.z(b, c, t)))) : 1.0;
                const std::size_t i = (b * in.d_inner + c) * in.L + t;
                r.y[i] = acc * g;
                r.magnitude[i] = mag * std::fabs(g);
            }
            for (std::size_t n = 0; n < in.d_state; ++n) {
                r.state[(b * in.d_inner + c) * in.d_state + n] = s[n];
                r.state_magnitude[(b * in.d_inner + c) * in.d_state + n] = m[n];
            }
        }
    return r;
}

}  // namespace mixq::test
