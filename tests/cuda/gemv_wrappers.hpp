// Host-side interface of the GPU test wrappers (no CUDA types, so Catch2 tests stay in plain C++).
#pragma once

#include <cstdint>
#include <vector>

#include "device.hpp"

namespace mixq::test::gpu {

// Copy in, launch, copy out. x holds values already representable in `a`; y comes back as fp32.
std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x,
                             int N, int K, int batch, act a, int warps_per_block);
std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool half_scales, int group,
                             const std::vector<float>& x, int N, int K, int batch, act a, int warps_per_block);

}  // namespace mixq::test::gpu
