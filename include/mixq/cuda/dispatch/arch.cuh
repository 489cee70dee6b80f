// The compute capability the dispatch layers choose their tunings by.
#pragma once

#include <cuda_runtime.h>

namespace mixq::cuda::detail {

// Major compute capability of the current device; 8 (the sm_80 tunings) when it cannot be read.
inline int compute_major() {
    int device = 0, major = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess)
        return 8;
    return major;
}

}  // namespace mixq::cuda::detail
