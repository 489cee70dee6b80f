// Host-side interface of the GPU test wrappers (no CUDA types, so Catch2 tests stay in plain C++).
#pragma once

#include <cstdint>
#include <vector>

#include "device.hpp"

namespace mixq::test::gpu {

// Copy in, launch, copy out. x holds values already representable in `a`; y comes back as fp32. The last
// two arguments are the tuning (cuda/dispatch/gemv_tuning.cuh): warps per block, and the batch from which
// a warp takes several rows (1: always where the rows allow, 9: never).
std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x,
                             int N, int K, int batch, act a, int warps_per_block, int multi_row_from_batch);
std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool half_scales, int group,
                             const std::vector<float>& x, int N, int K, int batch, act a, int warps_per_block, int multi_row_from_batch);

}  // namespace mixq::test::gpu
