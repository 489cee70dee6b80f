// Public entry point of the fused int8 quantization on the GPU: codes from per-row (or one) scales and
// the largest absolute error, bit-identical to the host quantizer.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/quantize_kernels.cuh"

namespace mixq::cuda {

// x: [rows, cols] on the device; scales: [rows] (per channel) or [1] (per tensor: pass rows = 1,
// cols = number of values). Writes q (same shape) and *max_abs_error (device) = max |x - q · scale|,
// computed in double as the host's error statistics; NaN if x holds a NaN.
template <class T>
cudaError_t quantize_int8(const T* x, const float* scales, long long rows, long long cols, std::int8_t* q, double* max_abs_error,
                          cudaStream_t stream = nullptr, int threads = 256) {
    if (!x || !scales || !q || !max_abs_error || rows <= 0 || cols <= 0 || threads <= 0 || threads % 32 != 0) return cudaErrorInvalidValue;
    if (const cudaError_t e = cudaMemsetAsync(max_abs_error, 0, sizeof(double), stream); e != cudaSuccess) return e;
    int device = 0, sms = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) sms = 32;
    const long long n = rows * cols;
    const long long blocks = std::min<long long>((n + threads - 1) / threads, 8LL * sms);  // grid-stride: a few waves
    kernels::quantize_int8<T><<<static_cast<unsigned>(blocks), threads, 0, stream>>>(x, scales, n, cols, q,
                                                                                   reinterpret_cast<unsigned long long*>(max_abs_error));
    return cudaGetLastError();
}

}  // namespace mixq::cuda
