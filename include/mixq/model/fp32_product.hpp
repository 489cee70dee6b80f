// Which product fp32 weights take: OpenBLAS's sgemm or mixq's own kernel, measured once on this machine.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "dequant_gemm.hpp"

namespace mixq {

enum class fp32_product { blas, mixq };

namespace detail {
// Best of 3 runs of f, in seconds.
template <class F>
double best_of_3(F f) {
    double best = 1e30;
    for (int i = 0; i < 3; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    }
    return best;
}

// Times both products on one thread on a [256 x 256] · [1024 x 256]ᵀ product (134 MFLOP, ~1-7 ms each).
// mixq's kernel is taken only when it is at least 1.5x faster: a clear win (OpenBLAS falling back to its
// SSE3 kernels on a CPU it does not recognise runs ~5x slower), never a coin toss between runs, so the
// same machine makes the same choice each time and converted files stay byte-identical across runs.
inline fp32_product measure_fp32_product() {
    const std::int64_t T = 256, N = 1024, K = 256;
    std::vector<float> x(static_cast<std::size_t>(T * K)), w(static_cast<std::size_t>(N * K)), y(static_cast<std::size_t>(T * N));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 101.0f - 0.5f;
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 53) % 97) / 97.0f - 0.5f;
#if defined(OPENBLAS_VERSION)
    const int threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
#endif
    const double blas = best_of_3([&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(T), static_cast<int>(N), static_cast<int>(K), 1.0f, x.data(),
                    static_cast<int>(K), w.data(), static_cast<int>(K), 0.0f, y.data(), static_cast<int>(N));
    });
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(threads);
#endif
    const stored_matrix m{"probe", dtype::f32, N, K, std::as_bytes(std::span(w)), {}};
    const double own = best_of_3([&] { dequant_gemm(x.data(), T, m, y.data()); });
    return own * 1.5 <= blas ? fp32_product::mixq : fp32_product::blas;
}
}  // namespace detail

// MIXQ_FP32_PRODUCT=blas or =mixq pins the choice; otherwise it is measured on first use, once per process.
[[nodiscard]] inline fp32_product chosen_fp32_product() {
    static const fp32_product choice = [] {
        if (const char* e = std::getenv("MIXQ_FP32_PRODUCT")) {
            const std::string_view v(e);
            if (v == "blas") return fp32_product::blas;
            if (v == "mixq") return fp32_product::mixq;
        }
        return detail::measure_fp32_product();
    }();
    return choice;
}

}  // namespace mixq
