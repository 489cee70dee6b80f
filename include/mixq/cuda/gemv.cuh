// Public entry points of the int8 / int4 dequant-GEMV: y[b, n] = Σ_k x[b, k] · dequant(W[n, k]), batch 1..8.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "../detail/static_int.hpp"
#include "dispatch/gemv_tuning.cuh"
#include "kernels/gemv_kernels.cuh"

namespace mixq::cuda {

namespace detail {
// The batch is a template parameter of the kernels so its accumulators stay in registers.
template <class F>
cudaError_t with_batch(int batch, F f) {
    return mixq::detail::with_static_int<1, 8>(batch, f, [] { return cudaErrorInvalidValue; });
}
inline dim3 grid_for(int N, const gemv_tuning& t) {
    return dim3(static_cast<unsigned>((N + t.warps_per_block - 1) / t.warps_per_block));
}
inline dim3 block_for(const gemv_tuning& t) { return dim3(static_cast<unsigned>(32 * t.warps_per_block)); }
}  // namespace detail

// W: [N, K] int8 row-major (no alignment needed), scales: [N] fp32, x: [batch, K], y: [batch, N].
// In / Out: float, __half or __nv_bfloat16. Accumulation is fp32; the row scale is applied once.
template <class In, class Out>
cudaError_t gemv_int8(const std::int8_t* W, const float* scales, const In* x, Out* y, int N, int K, int batch,
                      cudaStream_t stream = nullptr, gemv_tuning tuning = default_gemv_tuning()) {
    if (N <= 0 || K <= 0 || tuning.warps_per_block <= 0) return cudaErrorInvalidValue;
    return detail::with_batch(batch, [&](auto B) {
        kernels::gemv_int8<decltype(B)::value, In, Out>
            <<<detail::grid_for(N, tuning), detail::block_for(tuning), 0, stream>>>(W, scales, x, y, N, K);
        return cudaGetLastError();
    });
}

// W: [N, ceil(K/2)] bytes, two int4 codes each (low nibble first); scales: [N, ceil(K/group)], float or
// __half; group 64 or 128. Same In / Out / accumulation as gemv_int8.
template <class In, class Out, class Scale>
cudaError_t gemv_int4(const std::uint8_t* W, const Scale* scales, int group, const In* x, Out* y, int N, int K, int batch,
                      cudaStream_t stream = nullptr, gemv_tuning tuning = default_gemv_tuning()) {
    if (N <= 0 || K <= 0 || tuning.warps_per_block <= 0 || (group != 64 && group != 128)) return cudaErrorInvalidValue;
    return detail::with_batch(batch, [&](auto B) {
        kernels::gemv_int4<decltype(B)::value, In, Out, Scale>
            <<<detail::grid_for(N, tuning), detail::block_for(tuning), 0, stream>>>(W, scales, group, x, y, N, K);
        return cudaGetLastError();
    });
}

}  // namespace mixq::cuda
