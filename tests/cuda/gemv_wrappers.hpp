// Host-side interface of the GPU test wrappers (no CUDA types, so Catch2 tests stay in plain C++).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mixq::test::gpu {

enum class act { f32, f16, bf16 };  // activation and output type of a kernel launch

// True when a CUDA device can be used; otherwise `why` says why not (no driver, no device, ...).
bool device_available(std::string& why);
std::string device_name();

// Copy in, launch, copy out. x holds values already representable in `a`; y comes back as fp32.
std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x,
                             int N, int K, int batch, act a, int warps_per_block);
std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool half_scales, int group,
                             const std::vector<float>& x, int N, int K, int batch, act a, int warps_per_block);

}  // namespace mixq::test::gpu
