// Device helpers shared by the kernels and the block-level pieces (cuda/detail: the floor of cuda/): fp32 <-> storage-type conversions and a warp-wide sum.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace mixq::cuda::detail {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
template <class T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// The activations of the SSM block, in the host reference's formulas (model/scan_reference.hpp).
__device__ __forceinline__ float silu(float v) { return v / (1.0f + expf(-v)); }
__device__ __forceinline__ float effective_dt(float delta, float bias, bool softplus) {
    const float v = delta + bias;
    return softplus && v <= 20.0f ? log1pf(expf(v)) : v;
}

}  // namespace mixq::cuda::detail

namespace mixq::cuda::kernels {
// The kernels call them unqualified, as when they lived here.
using namespace ::mixq::cuda::detail;
}  // namespace mixq::cuda::kernels
