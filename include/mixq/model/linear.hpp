// y = x · Wᵀ (+ b) for a stored weight of any precision: fp32 to BLAS or mixq's kernel (measured), the others through mixq's kernels.
#pragma once

#include <cblas.h>

#include <cstdint>

#include "dequant_gemm.hpp"
#include "dequant_gemv.hpp"
#include "fp32_product.hpp"
#include "stored_matrix.hpp"

namespace mixq {

// x: [T, K] row-major, y: [T, N] row-major, W: [N, K]. fp32 weights go to BLAS in place or to mixq's own
// kernel, whichever chosen_fp32_product() measured faster on this machine; every other
// precision goes through mixq's own dequantizing kernel, which never holds more than one packed panel of W
// in fp32; quantized weights (int8, int4, nf4, fp8, ggml blocks) with at most 8 rows of x (decoding) take the
// memory-bound GEMV, which reads the codes in place.
inline void linear(const float* x, std::int64_t T, const stored_matrix& W, float* y, const float* bias = nullptr) {
    const auto N = W.rows, K = W.cols;
    const float* w = W.direct_f32();
    if (w && chosen_fp32_product() == fp32_product::blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(T), static_cast<int>(N), static_cast<int>(K),
                    1.0f, x, static_cast<int>(K), w, static_cast<int>(K), 0.0f, y, static_cast<int>(N));
    } else if (T >= 1 && T <= dequant_gemv_tuning::max_batch && W.is_int8()) {
        gemv_int8(reinterpret_cast<const std::int8_t*>(W.bytes.data()), W.scales, x, T, N, K, y);
    } else if (T >= 1 && T <= dequant_gemv_tuning::max_batch && W.is_packed4()) {
        gemv_packed4(W.packed4(), x, T, y);
    } else if (T >= 1 && T <= dequant_gemv_tuning::max_batch && W.is_blocks()) {
        gemv_blocks(W.blocks, W.bytes.data(), x, T, N, K, y);
    } else if (T >= 1 && T <= dequant_gemv_tuning::max_batch && W.is_fp8()) {
        gemv_fp8(W.codes(), W.scales, x, T, N, K, y);
    } else {
        dequant_gemm(x, T, W, y);  // also covers fp32 data that is not 4-byte aligned in the file
    }
    if (bias)
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t n = 0; n < N; ++n) y[t * N + n] += bias[n];
}

}  // namespace mixq
