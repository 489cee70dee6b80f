// Public entry points of the selective SSM scan: prefill over [batch, d_inner, L] and the one-token
// decode step, fp32 / fp16 / bf16 inputs, fp32 state and arithmetic. Semantics: model/scan_reference.hpp.
#pragma once

#include <cuda_runtime.h>

#include "dispatch/scan_tuning.cuh"
#include "kernels/scan_kernels.cuh"
#include "detail/ssm_args.cuh"

namespace mixq::cuda {

namespace detail {
template <int THREADS, int ITEMS, class T>
cudaError_t launch_scan(const selective_scan_args<T>& a, cudaStream_t stream) {
    const dim3 grid(static_cast<unsigned>(a.d_inner), static_cast<unsigned>(a.batch));
    kernels::selective_scan_fwd<THREADS, ITEMS, T>
        <<<grid, THREADS, sizeof(float2) * static_cast<std::size_t>(a.d_state), stream>>>(a);
    return cudaGetLastError();
}
}  // namespace detail

// Launches the scan on `stream`. Returns cudaErrorInvalidValue for a missing required pointer, a
// non-positive size, a batch over 65535, or a tuning that is not one of scan_shapes.
template <class T>
cudaError_t selective_scan(const selective_scan_args<T>& a, cudaStream_t stream, scan_tuning t) {
    if (!a.u || !a.delta || !a.A || !a.B || !a.C || !a.y || a.batch <= 0 || a.batch > 65535 || a.d_inner <= 0 || a.d_state <= 0 ||
        a.d_state > 4096 || a.L <= 0)
        return cudaErrorInvalidValue;
    if (t.threads == 32 && t.items_per_thread == 4) return detail::launch_scan<32, 4>(a, stream);
    if (t.threads == 32 && t.items_per_thread == 8) return detail::launch_scan<32, 8>(a, stream);
    if (t.threads == 32 && t.items_per_thread == 16) return detail::launch_scan<32, 16>(a, stream);
    if (t.threads == 64 && t.items_per_thread == 16) return detail::launch_scan<64, 16>(a, stream);
    if (t.threads == 128 && t.items_per_thread == 16) return detail::launch_scan<128, 16>(a, stream);
    return cudaErrorInvalidValue;
}

// The same with the architecture's tuning for this sequence length.
template <class T>
cudaError_t selective_scan(const selective_scan_args<T>& a, cudaStream_t stream = nullptr) {
    return selective_scan(a, stream, default_scan_tuning(a.L));
}

// Decode step: state updated in place, y written. One thread per (sequence, channel).
template <class T>
cudaError_t selective_state_update(const state_update_args<T>& a, cudaStream_t stream = nullptr,
                                   elementwise_tuning t = default_elementwise_tuning()) {
    if (!a.state || !a.x || !a.dt || !a.A || !a.B || !a.C || !a.y || a.batch <= 0 || a.d_inner <= 0 || a.d_state <= 0 || t.threads <= 0)
        return cudaErrorInvalidValue;
    const long n = static_cast<long>(a.batch) * a.d_inner;
    kernels::selective_state_update<T><<<static_cast<unsigned>((n + t.threads - 1) / t.threads), t.threads, 0, stream>>>(a);
    return cudaGetLastError();
}

}  // namespace mixq::cuda
