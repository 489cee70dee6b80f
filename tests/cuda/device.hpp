// Host-side facts about the GPU used by the tests, and the activation types a launch can use (no CUDA types).
#pragma once

#include <string>

namespace mixq::test::gpu {

enum class act { f32, f16, bf16 };  // activation and output type of a kernel launch

// True when a CUDA device can be used; otherwise `why` says why not (no driver, no device, ...).
bool device_available(std::string& why);
std::string device_name();

}  // namespace mixq::test::gpu
