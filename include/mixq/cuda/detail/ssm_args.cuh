// Arguments of the SSM kernels (scan, decode step, causal conv1d): plain structs of device pointers and sizes.
#pragma once

namespace mixq::cuda {

// Prefill scan. u, delta, z, y: [batch, d_inner, L]; A: [d_inner, d_state] fp32 (already -exp(A_log));
// B, C: [batch, d_state, L]; D, delta_bias: [d_inner]; states: [batch, d_inner, d_state] fp32.
// Optional pointers may be null. T: float, __half or __nv_bfloat16; all arithmetic is fp32.
template <class T>
struct selective_scan_args {
    const T* u = nullptr;
    const T* delta = nullptr;
    const float* A = nullptr;
    const T* B = nullptr;
    const T* C = nullptr;
    T* y = nullptr;
    int batch = 0, d_inner = 0, d_state = 0, L = 0;
    const float* D = nullptr;
    const T* z = nullptr;  // gate: y *= SiLU(z)
    const float* delta_bias = nullptr;
    bool delta_softplus = false;
    const float* initial_state = nullptr;  // null: start from 0
    float* final_state = nullptr;          // null: not written
};

// Decode: one token per sequence. x, dt, z, y: [batch, d_inner]; B, C: [batch, d_state];
// state: [batch, d_inner, d_state] fp32, updated in place.
template <class T>
struct state_update_args {
    float* state = nullptr;
    const T* x = nullptr;
    const T* dt = nullptr;
    const float* A = nullptr;
    const T* B = nullptr;
    const T* C = nullptr;
    T* y = nullptr;
    int batch = 0, d_inner = 0, d_state = 0;
    const float* D = nullptr;
    const T* z = nullptr;
    const float* delta_bias = nullptr;
    bool delta_softplus = false;
};

// Causal depthwise conv1d. x, out: [batch, d_inner, L]; w: [d_inner, width]; bias: [d_inner];
// conv states: [batch, d_inner, width - 1] fp32, the last width - 1 inputs, oldest first.
template <class T>
struct conv1d_args {
    const T* x = nullptr;
    const float* w = nullptr;
    T* out = nullptr;
    int batch = 0, d_inner = 0, L = 0, width = 4;
    const float* bias = nullptr;
    bool silu = true;
    const float* initial_state = nullptr;  // inputs before t = 0; null: zeros
    float* final_state = nullptr;          // may equal initial_state
};

// Decode step of the conv: x, out: [batch, d_inner]; state rolls by one in place.
template <class T>
struct conv1d_update_args {
    float* state = nullptr;
    const T* x = nullptr;
    const float* w = nullptr;
    T* out = nullptr;
    int batch = 0, d_inner = 0, width = 4;
    const float* bias = nullptr;
    bool silu = true;
};

}  // namespace mixq::cuda
