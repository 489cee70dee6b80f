// Public entry points of the causal depthwise conv1d (+ SiLU) before the scan: prefill with an optional
// initial / final conv state, and the rolling one-token decode step. Semantics: model/conv1d_reference.hpp.
#pragma once

#include <cuda_runtime.h>

#include "dispatch/scan_tuning.cuh"
#include "kernels/conv1d_kernels.cuh"
#include "detail/ssm_args.cuh"

namespace mixq::cuda {

template <class T>
cudaError_t causal_conv1d(const conv1d_args<T>& a, cudaStream_t stream = nullptr, elementwise_tuning t = default_elementwise_tuning()) {
    if (!a.x || !a.w || !a.out || a.batch <= 0 || a.batch > 65535 || a.d_inner <= 0 || a.d_inner > 65535 || a.L <= 0 || a.width < 1 ||
        a.width > kernels::max_conv_width || t.threads <= 0)
        return cudaErrorInvalidValue;
    const dim3 grid(static_cast<unsigned>((a.L + t.threads - 1) / t.threads), static_cast<unsigned>(a.d_inner), static_cast<unsigned>(a.batch));
    kernels::causal_conv1d_fwd<T><<<grid, t.threads, 0, stream>>>(a);
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess || !a.final_state || a.width == 1) return e;
    const long n = static_cast<long>(a.batch) * a.d_inner;
    kernels::conv1d_final_state<T><<<static_cast<unsigned>((n + t.threads - 1) / t.threads), t.threads, 0, stream>>>(a);
    return cudaGetLastError();
}

template <class T>
cudaError_t causal_conv1d_update(const conv1d_update_args<T>& a, cudaStream_t stream = nullptr,
                                 elementwise_tuning t = default_elementwise_tuning()) {
    if (!a.x || !a.w || !a.out || (!a.state && a.width > 1) || a.batch <= 0 || a.d_inner <= 0 || a.width < 1 ||
        a.width > kernels::max_conv_width || t.threads <= 0)
        return cudaErrorInvalidValue;
    const long n = static_cast<long>(a.batch) * a.d_inner;
    kernels::causal_conv1d_update<T><<<static_cast<unsigned>((n + t.threads - 1) / t.threads), t.threads, 0, stream>>>(a);
    return cudaGetLastError();
}

}  // namespace mixq::cuda
