// Test oracle of the GEMVs: y[b, n] within fp32 accumulation error of Σ_k x[b, k] · dequant(n, k) in double.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "catch.hpp"

namespace mixq::test {

// y(b, n) reads the result under test; dequant(n, k) the exact weight value.
template <class Y, class Dequant>
void check_gemv_against_double(Y y, const std::vector<float>& x, std::int64_t N, std::int64_t K, std::int64_t batch, Dequant dequant) {
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t n = 0; n < N; ++n) {
            double ref = 0, mag = 0;
            for (std::int64_t k = 0; k < K; ++k) {
                const double v = static_cast<double>(x[static_cast<std::size_t>(b * K + k)]) * dequant(n, k);
                ref += v;
                mag += std::fabs(v);
            }
            INFO("b=" << b << " n=" << n);
            REQUIRE(std::fabs(y(b, n) - ref) <= 2e-7 * static_cast<double>(K + 8) * mag + 1e-30);
        }
}

}  // namespace mixq::test
