// Host reference of the dequant-GEMV kernels: y[b, n] = Σ_k x[b, k] · dequant(W[n, k]), fp32 accumulation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "lowbit.hpp"

namespace mixq {

// int8: W [N, K] codes with one scale per row, applied once after the row's reduction (as the kernel does).
// x: [batch, K] row-major; returns y [batch, N].
[[nodiscard]] inline xt::xtensor<float, 2> gemv_int8_reference(std::span<const std::int8_t> W, std::span<const float> scales,
                                                              std::span<const float> x, std::int64_t N, std::int64_t K,
                                                              std::int64_t batch) {
    const auto w = xt::adapt(W.data(), W.size(), xt::no_ownership(), std::vector<std::size_t>{std::size_t(N), std::size_t(K)});
    const auto xv = xt::adapt(x.data(), x.size(), xt::no_ownership(), std::vector<std::size_t>{std::size_t(batch), std::size_t(K)});
    xt::xtensor<float, 2> y({std::size_t(batch), std::size_t(N)});
    for (std::size_t b = 0; b < std::size_t(batch); ++b)
        for (std::size_t n = 0; n < std::size_t(N); ++n) {
            float acc = 0.0f;
            for (std::size_t k = 0; k < std::size_t(K); ++k) acc += xv(b, k) * static_cast<float>(w(n, k));
            y(b, n) = acc * scales[n];
        }
    return y;
}

// int4: each code is scaled by its group's scale before the product (as the kernel does).
[[nodiscard]] inline xt::xtensor<float, 2> gemv_int4_reference(const int4_matrix& W, std::span<const float> x, std::int64_t batch) {
    const auto xv = xt::adapt(x.data(), x.size(), xt::no_ownership(),
                              std::vector<std::size_t>{std::size_t(batch), std::size_t(W.cols)});
    xt::xtensor<float, 2> y({std::size_t(batch), std::size_t(W.rows)});
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t n = 0; n < W.rows; ++n) {
            float acc = 0.0f;
            for (std::int64_t k = 0; k < W.cols; ++k) acc += xv(std::size_t(b), std::size_t(k)) * W.dequantize(n, k);
            y(std::size_t(b), std::size_t(n)) = acc;
        }
    return y;
}

}  // namespace mixq
