// Host-side interface of the GPU test wrappers (no CUDA types, so Catch2 tests stay in plain C++).
#pragma once

#include <cstdint>
#include <vector>

#include "device.hpp"

namespace mixq::test::gpu {

// The tuning (cuda/dispatch/gemv_tuning.cuh) as plain ints: warps per block of the CUDA-core kernels, the
// batch from which a warp takes several rows and the batch from which the tensor-core kernel runs (1: always
// where the shape allows, 9: never), and the warps splitting K in the tensor-core kernel.
struct gemv_config {
    int warps_per_block = 4;
    int multi_row_from_batch = 9;
    int mma_from_batch = 9;
    int mma_k_warps = 1;
};

// Copy in, launch, copy out. x holds values already representable in `a`; y comes back as fp32.
std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x,
                             int N, int K, int batch, act a, gemv_config config);
std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool half_scales, int group,
                             const std::vector<float>& x, int N, int K, int batch, act a, gemv_config config);
// Whether the dispatch would run the tensor-core kernel for this shape, activation type and tuning on
// 16-byte aligned data on the current device (the tests above would pass on another kernel too).
bool gemv_takes_mma_path(int K, int batch, act a, gemv_config config);

}  // namespace mixq::test::gpu
