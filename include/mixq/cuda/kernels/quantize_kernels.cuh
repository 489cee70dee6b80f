// The fused int8 quantize kernel: codes from given scales (round half to even, clamp) and the largest
// |w - code · scale|, in the host's arithmetic (format/int8.hpp, quant/error_stats.hpp).
#pragma once

#include <cstdint>

#include "../detail/numeric.cuh"

namespace mixq::cuda::kernels {

// Grid-stride over n = rows · cols values; the scale of value i is scales[i / cols] (cols = n: one scale).
// max_error_bits holds a non-negative double's bits, whose order as integers is the order of the values.
template <class T>
__global__ void quantize_int8(const T* __restrict__ x, const float* __restrict__ scales, long long n, long long cols,
                              std::int8_t* __restrict__ q, unsigned long long* max_error_bits) {
    double worst = 0.0;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<long long>(gridDim.x) * blockDim.x) {
        const float w = to_float(x[i]), s = scales[i / cols];
        const float code = fminf(fmaxf(rintf(__fdiv_rn(w, s)), -128.0f), 127.0f);
        q[i] = static_cast<std::int8_t>(code);
        const double err = fabs(__dsub_rn(static_cast<double>(w), static_cast<double>(__fmul_rn(code, s))));
        worst = err > worst || err != err ? err : worst;  // a NaN input shows as a NaN error
    }
    for (int o = 16; o > 0; o >>= 1) {
        const double other = __shfl_xor_sync(0xffffffffu, worst, o);
        worst = other > worst || other != other ? other : worst;
    }
    if ((threadIdx.x & 31) == 0) atomicMax(max_error_bits, static_cast<unsigned long long>(__double_as_longlong(worst)));
}

}  // namespace mixq::cuda::kernels
