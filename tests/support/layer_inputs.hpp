// Test inputs for GPTQ: layer inputs with correlated columns, and a layer's output error under rounded weights.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace mixq::test {

// X [T, K] with strongly correlated columns: a few latent factors plus noise, as layer inputs are.
inline std::vector<float> correlated_inputs(std::int64_t T, std::int64_t K, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    const std::int64_t F = 4;
    std::vector<float> mix(static_cast<std::size_t>(F * K)), x(static_cast<std::size_t>(T * K));
    for (auto& v : mix) v = n(rng);
    for (std::int64_t t = 0; t < T; ++t) {
        float f[F];
        for (auto& v : f) v = n(rng);
        for (std::int64_t k = 0; k < K; ++k) {
            float s = 0.1f * n(rng);
            for (std::int64_t j = 0; j < F; ++j) s += f[j] * mix[static_cast<std::size_t>(j * K + k)];
            x[static_cast<std::size_t>(t * K + k)] = s;
        }
    }
    return x;
}
// ||X Wᵀ - X Qᵀ||² in double, W and Q [N, K].
inline double output_error(const std::vector<float>& x, std::int64_t T, std::int64_t K, const std::vector<float>& w,
                           const std::vector<float>& q, std::int64_t N) {
    double e = 0;
    for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t n = 0; n < N; ++n) {
            double d = 0;
            for (std::int64_t k = 0; k < K; ++k)
                d += static_cast<double>(x[static_cast<std::size_t>(t * K + k)]) *
                     (w[static_cast<std::size_t>(n * K + k)] - q[static_cast<std::size_t>(n * K + k)]);
            e += d * d;
        }
    return e;
}

}  // namespace mixq::test
