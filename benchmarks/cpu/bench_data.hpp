// Deterministic benchmark inputs shared by the CPU benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace mixq::bench {

// n values from Normal(0, 0.05), the scale of trained weights.
inline std::vector<float> randn(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.05f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

}  // namespace mixq::bench
