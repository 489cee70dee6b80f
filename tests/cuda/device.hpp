// Host-side facts about the GPU used by the tests, and the activation types a launch can use (no CUDA types).
#pragma once

#include <string>

namespace mixq::test::gpu {

enum class act { f32, f16, bf16 };  // activation and output type of a kernel launch

// The most a value r moves when stored in `a`: half an ulp (2^-11 of |r| in fp16, 2^-8 in bf16) and, in
// fp16, half its subnormal spacing 2^-24 (below 2^-14 fp16 keeps fewer bits; bf16 has fp32's range).
inline double stored_rounding(act a, double r) {
    const double m = r < 0 ? -r : r;
    return a == act::f16 ? m / 2048 + 0x1p-25 : a == act::bf16 ? m / 256 : 0.0;
}

// True when a CUDA device can be used; otherwise `why` says why not (no driver, no device, ...).
bool device_available(std::string& why);
std::string device_name();

}  // namespace mixq::test::gpu
