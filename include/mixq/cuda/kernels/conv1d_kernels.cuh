// The causal depthwise conv1d kernels: prefill (one thread per output), its final conv state, and the
// one-token decode step that rolls the state. Sums run in the host reference's order (model/conv1d_reference.hpp).
#pragma once

#include <cstddef>

#include "../detail/ssm_args.cuh"
#include "../detail/numeric.cuh"

namespace mixq::cuda::kernels {

// Register arrays bound the width; Mamba uses 4.
inline constexpr int max_conv_width = 8;

// grid: (ceil(L / blockDim.x), d_inner, batch).
template <class T>
__global__ void causal_conv1d_fwd(conv1d_args<T> p) {
    const int t = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int c = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
    if (t >= p.L) return;
    const std::size_t seq = static_cast<std::size_t>(b) * p.d_inner + c;
    const T* x = p.x + seq * p.L;
    const float* w = p.w + static_cast<std::size_t>(c) * p.width;
    float acc = p.bias ? p.bias[c] : 0.0f;
    for (int k = 0; k < p.width; ++k) {
        const int s = t - (p.width - 1) + k;
        const float v = s >= 0 ? to_float(x[s]) : p.initial_state ? p.initial_state[seq * (p.width - 1) + (p.width - 1) + s] : 0.0f;
        acc += w[k] * v;
    }
    p.out[seq * p.L + t] = from_float<T>(p.silu ? silu(acc) : acc);
}

// One thread per (sequence, channel): the last width - 1 inputs. Reads everything before writing, so the
// final state may overwrite the initial one. Runs after causal_conv1d_fwd on the same stream.
template <class T>
__global__ void conv1d_final_state(conv1d_args<T> p) {
    const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= static_cast<long>(p.batch) * p.d_inner) return;
    const std::size_t seq = static_cast<std::size_t>(i);
    float keep[max_conv_width];
    for (int j = 0; j + 1 < p.width; ++j) {
        const int s = p.L - (p.width - 1) + j;
        keep[j] = s >= 0 ? to_float(p.x[seq * p.L + s]) : p.initial_state ? p.initial_state[seq * (p.width - 1) + (p.width - 1) + s] : 0.0f;
    }
    for (int j = 0; j + 1 < p.width; ++j) p.final_state[seq * (p.width - 1) + j] = keep[j];
}

template <class T>
__global__ void causal_conv1d_update(conv1d_update_args<T> p) {
    const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= static_cast<long>(p.batch) * p.d_inner) return;
    const int c = static_cast<int>(i % p.d_inner);
    float* s = p.state + static_cast<std::size_t>(i) * (p.width - 1);
    const float* w = p.w + static_cast<std::size_t>(c) * p.width;
    const float x = to_float(p.x[i]);
    float acc = p.bias ? p.bias[c] : 0.0f;
    for (int k = 0; k + 1 < p.width; ++k) acc += w[k] * s[k];
    acc += w[p.width - 1] * x;
    for (int k = 0; k + 2 < p.width; ++k) s[k] = s[k + 1];
    if (p.width > 1) s[p.width - 2] = x;
    p.out[i] = from_float<T>(p.silu ? silu(acc) : acc);
}

}  // namespace mixq::cuda::kernels
