// Host-side interface of the SSM kernel wrappers (scan, decode step, conv1d): plain vectors, no CUDA types.
#pragma once

#include <utility>
#include <vector>

#include "device.hpp"

namespace mixq::test::gpu {

// Host copies of the scan's inputs in the kernels' layouts, fp32 (already representable in the launch's type).
// Optional inputs: empty vector = absent. threads / items 0: the library's default tuning.
struct scan_call {
    int batch = 0, d_inner = 0, d_state = 0, L = 0;
    std::vector<float> u, delta, A, B, C;
    std::vector<float> D, z, delta_bias, initial_state;
    bool delta_softplus = false;
    int threads = 0, items = 0;
};
struct ssm_out {
    std::vector<float> y, state;  // outputs (as fp32) and the final state
};

// The (threads, items per thread) block shapes compiled into the library (mixq::cuda::scan_shapes).
std::vector<std::pair<int, int>> scan_block_shapes();
// One prefill launch.
ssm_out selective_scan(const scan_call& c, act a);
// The same inputs fed one token at a time to the decode step (state starts at initial_state or 0).
ssm_out selective_scan_by_decode(const scan_call& c, act a);
// The error name the library returns for arguments it must refuse (only for those: nothing is allocated).
const char* selective_scan_launch_error(const scan_call& c);

struct conv_call {
    int batch = 0, d_inner = 0, L = 0, width = 4;
    std::vector<float> x, w, bias, initial_state;  // bias / initial_state: empty = absent
    bool silu = true;
    bool in_place_state = false;  // final state written over the initial state's buffer
};
ssm_out causal_conv1d(const conv_call& c, act a);
ssm_out causal_conv1d_by_decode(const conv_call& c, act a);

}  // namespace mixq::test::gpu
