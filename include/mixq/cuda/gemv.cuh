// Public entry points of the int8 / int4 dequant-GEMV: y[b, n] = Σ_k x[b, k] · dequant(W[n, k]), batch 1..8.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "../detail/static_int.hpp"
#include "dispatch/gemv_tuning.cuh"
#include "kernels/gemv_kernels.cuh"
#include "kernels/gemv_mma_kernels.cuh"

namespace mixq::cuda {

namespace detail {
// The batch is a template parameter of the kernels so its accumulators stay in registers.
template <class F>
cudaError_t with_batch(int batch, F f) {
    return mixq::detail::with_static_int<1, 8>(batch, f, [] { return cudaErrorInvalidValue; });
}
// Blocks for `warps` warps.
inline dim3 grid_for(int warps, const gemv_tuning& t) {
    return dim3(static_cast<unsigned>((warps + t.warps_per_block - 1) / t.warps_per_block));
}
inline dim3 block_for(const gemv_tuning& t) { return dim3(static_cast<unsigned>(32 * t.warps_per_block)); }
// Several rows per warp: for this batch by the tuning, and possible when every row starts 16-byte aligned.
inline bool aligned16(const void* p) { return (reinterpret_cast<std::uintptr_t>(p) & 15) == 0; }
inline bool multi_row(int batch, const gemv_tuning& t, const void* W, long long row_bytes) {
    return batch >= t.multi_row_from_batch && aligned16(W) && row_bytes % 16 == 0;
}
inline constexpr int multi_row_warps(int N) { return (N + gemv_rows_per_warp - 1) / gemv_rows_per_warp; }
// The tensor-core kernels: fp16 / bf16 activations, for this batch by the tuning, K in whole steps,
// 16-byte aligned weights and activations (with K % 64 == 0 every row then is), and an sm_80+ device.
template <class In>
bool use_mma(int batch, const gemv_tuning& t, const void* W, const In* x, int K) {
    return kernels::is_mma_operand<In> && batch >= t.mma_from_batch && K % kernels::gemv_mma_step == 0 &&
           aligned16(W) && aligned16(x) && compute_major() >= 8;
}
inline dim3 mma_grid(int N) { return dim3(static_cast<unsigned>((N + 16 * kernels::gemv_mma_tiles - 1) / (16 * kernels::gemv_mma_tiles))); }
inline std::size_t mma_shared_bytes(const gemv_tuning& t) {
    return sizeof(float) * static_cast<std::size_t>(t.mma_k_warps - 1) * kernels::gemv_mma_tiles * 4 * 32;
}
}  // namespace detail

// W: [N, K] int8 row-major (no alignment needed), scales: [N] fp32, x: [batch, K], y: [batch, N].
// In / Out: float, __half or __nv_bfloat16. Accumulation is fp32; the row scale is applied once. fp16 /
// bf16 activations with K % 64 == 0 and 16-byte aligned W and x run on the tensor cores from batch
// tuning.mma_from_batch (codes and activations exact in the mma's inputs, fp32 accumulation).
template <class In, class Out>
cudaError_t gemv_int8(const std::int8_t* W, const float* scales, const In* x, Out* y, int N, int K, int batch,
                      cudaStream_t stream = nullptr, gemv_tuning tuning = default_gemv_tuning()) {
    if (N <= 0 || K <= 0 || tuning.warps_per_block <= 0 || tuning.mma_k_warps <= 0 || batch < 1 || batch > 8) return cudaErrorInvalidValue;
    if constexpr (kernels::is_mma_operand<In>)
        if (detail::use_mma(batch, tuning, W, x, K)) {
            kernels::gemv_int8_mma<In, Out><<<detail::mma_grid(N), 32 * tuning.mma_k_warps, detail::mma_shared_bytes(tuning), stream>>>(
                W, scales, x, y, N, K, batch);
            return cudaGetLastError();
        }
    const bool rows = detail::multi_row(batch, tuning, W, K);
    return detail::with_batch(batch, [&](auto B) {
        constexpr int b = decltype(B)::value;
        if (rows)
            kernels::gemv_int8_rows<b, gemv_rows_per_warp, In, Out>
                <<<detail::grid_for(detail::multi_row_warps(N), tuning), detail::block_for(tuning), 0, stream>>>(W, scales, x, y, N, K);
        else
            kernels::gemv_int8<b, In, Out><<<detail::grid_for(N, tuning), detail::block_for(tuning), 0, stream>>>(W, scales, x, y, N, K);
        return cudaGetLastError();
    });
}

// W: [N, ceil(K/2)] bytes, two int4 codes each (low nibble first); scales: [N, ceil(K/group)], float or
// __half; group 64 or 128. Same In / Out / accumulation as gemv_int8.
template <class In, class Out, class Scale>
cudaError_t gemv_int4(const std::uint8_t* W, const Scale* scales, int group, const In* x, Out* y, int N, int K, int batch,
                      cudaStream_t stream = nullptr, gemv_tuning tuning = default_gemv_tuning()) {
    if (N <= 0 || K <= 0 || tuning.warps_per_block <= 0 || tuning.mma_k_warps <= 0 || batch < 1 || batch > 8 || (group != 64 && group != 128))
        return cudaErrorInvalidValue;
    if constexpr (kernels::is_mma_operand<In>)
        if (detail::use_mma(batch, tuning, W, x, K)) {
            kernels::gemv_int4_mma<In, Out, Scale><<<detail::mma_grid(N), 32 * tuning.mma_k_warps, detail::mma_shared_bytes(tuning), stream>>>(
                W, scales, group, x, y, N, K, batch);
            return cudaGetLastError();
        }
    const bool rows = K % 2 == 0 && detail::multi_row(batch, tuning, W, K / 2);
    return detail::with_batch(batch, [&](auto B) {
        constexpr int b = decltype(B)::value;
        if (rows)
            kernels::gemv_int4_rows<b, gemv_rows_per_warp, In, Out, Scale>
                <<<detail::grid_for(detail::multi_row_warps(N), tuning), detail::block_for(tuning), 0, stream>>>(W, scales, group, x, y, N,
                                                                                                                  K);
        else
            kernels::gemv_int4<b, In, Out, Scale>
                <<<detail::grid_for(N, tuning), detail::block_for(tuning), 0, stream>>>(W, scales, group, x, y, N, K);
        return cudaGetLastError();
    });
}

}  // namespace mixq::cuda
