// The selective-scan kernels: the chunked prefill scan (one block per sequence and channel, cub::BlockScan
// over (decay, input) pairs, state carried across chunks) and the one-token decode step.
#pragma once

#include <cstddef>
#include <cub/block/block_scan.cuh>

#include "../block/chunk_io.cuh"
#include "../detail/ssm_args.cuh"
#include "../detail/numeric.cuh"

namespace mixq::cuda::kernels {

// exp(x) = exp2(x · log2 e): A is pre-multiplied once per state, so each step is one multiply and one exp2f.
inline constexpr float log2e = 1.4426950408889634f;

// The recurrence s_t = a_t · s_{t-1} + b_t as an associative operator on (a, b) pairs: `x` first, then `y`.
struct ssm_pair_op {
    __device__ __forceinline__ float2 operator()(const float2& x, const float2& y) const {
        return make_float2(y.x * x.x, y.x * x.y + y.y);
    }
};

// BlockScan prefix callback: returns the pair carried in from earlier chunks and folds in this chunk.
// Called by the first warp; thread 0's copy is the one written back.
struct carried_state {
    float2 running;
    __device__ __forceinline__ float2 operator()(float2 block_aggregate) {
        const float2 before = running;
        running = ssm_pair_op{}(running, block_aggregate);
        return before;
    }
};

template <int THREADS, int ITEMS, class T>
__global__ void __launch_bounds__(THREADS) selective_scan_fwd(selective_scan_args<T> p) {
    using io = block::chunk_io<THREADS, ITEMS, T>;
    using scan_t = cub::BlockScan<float2, THREADS, cub::BLOCK_SCAN_WARP_SCANS>;
    __shared__ union {
        typename io::TempStorage io;
        typename scan_t::TempStorage scan;
    } smem;
    extern __shared__ float2 carried[];  // [d_state]: (1, state) carried across chunks
    constexpr int chunk = THREADS * ITEMS;

    const int c = static_cast<int>(blockIdx.x), b = static_cast<int>(blockIdx.y);
    const std::size_t seq = static_cast<std::size_t>(b) * p.d_inner + c;
    const std::size_t row = seq * p.L;
    for (int n = static_cast<int>(threadIdx.x); n < p.d_state; n += THREADS)
        carried[n] = make_float2(1.0f, p.initial_state ? p.initial_state[seq * p.d_state + n] : 0.0f);
    const float D = p.D ? p.D[c] : 0.0f, bias = p.delta_bias ? p.delta_bias[c] : 0.0f;

    for (int t0 = 0; t0 < p.L; t0 += chunk) {
        const int valid = min(chunk, p.L - t0);
        float u[ITEMS], dt[ITEMS], y[ITEMS];
        io::load(smem.io, p.u + row + t0, valid, u);
        __syncthreads();
        io::load(smem.io, p.delta + row + t0, valid, dt);
#pragma unroll
        for (int i = 0; i < ITEMS; ++i) {
            dt[i] = effective_dt(dt[i], bias, p.delta_softplus);
            y[i] = 0.0f;
        }
        for (int n = 0; n < p.d_state; ++n) {
            const float a2 = p.A[static_cast<std::size_t>(c) * p.d_state + n] * log2e;
            const std::size_t bc = (static_cast<std::size_t>(b) * p.d_state + n) * p.L + t0;
            float Bv[ITEMS], Cv[ITEMS];
            __syncthreads();
            io::load(smem.io, p.B + bc, valid, Bv);
            __syncthreads();
            io::load(smem.io, p.C + bc, valid, Cv);
            float2 pairs[ITEMS];
#pragma unroll
            for (int i = 0; i < ITEMS; ++i)  // steps past the end are the identity (1, 0)
                pairs[i] = static_cast<int>(threadIdx.x) * ITEMS + i < valid ? make_float2(exp2f(dt[i] * a2), dt[i] * Bv[i] * u[i])
                                                                            : make_float2(1.0f, 0.0f);
            carried_state prefix{carried[n]};
            __syncthreads();
            scan_t(smem.scan).InclusiveScan(pairs, pairs, ssm_pair_op{}, prefix);
            if (threadIdx.x == 0) carried[n] = prefix.running;
#pragma unroll
            for (int i = 0; i < ITEMS; ++i) y[i] += pairs[i].y * Cv[i];
        }
#pragma unroll
        for (int i = 0; i < ITEMS; ++i) y[i] += D * u[i];
        if (p.z) {
            float z[ITEMS];
            __syncthreads();
            io::load(smem.io, p.z + row + t0, valid, z);
#pragma unroll
            for (int i = 0; i < ITEMS; ++i) y[i] *= silu(z[i]);
        }
        __syncthreads();
        io::store(smem.io, p.y + row + t0, valid, y);
        __syncthreads();
    }
    if (p.final_state)
        for (int n = static_cast<int>(threadIdx.x); n < p.d_state; n += THREADS) p.final_state[seq * p.d_state + n] = carried[n].y;
}

// Decode: one thread per (sequence, channel), the same step as the scan (exp2f with A · log2 e).
template <class T>
__global__ void selective_state_update(state_update_args<T> p) {
    const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= static_cast<long>(p.batch) * p.d_inner) return;
    const int b = static_cast<int>(i / p.d_inner), c = static_cast<int>(i % p.d_inner);
    const float dt = effective_dt(to_float(p.dt[i]), p.delta_bias ? p.delta_bias[c] : 0.0f, p.delta_softplus);
    const float u = to_float(p.x[i]);
    float* s = p.state + static_cast<std::size_t>(i) * p.d_state;
    const T* B = p.B + static_cast<std::size_t>(b) * p.d_state;
    const T* C = p.C + static_cast<std::size_t>(b) * p.d_state;
    const float* A = p.A + static_cast<std::size_t>(c) * p.d_state;
    float acc = 0.0f;
    for (int n = 0; n < p.d_state; ++n) {
        const float sn = exp2f(dt * (A[n] * log2e)) * s[n] + dt * to_float(B[n]) * u;
        s[n] = sn;
        acc += sn * to_float(C[n]);
    }
    acc += (p.D ? p.D[c] : 0.0f) * u;
    if (p.z) acc *= silu(to_float(p.z[i]));
    p.y[i] = from_float<T>(acc);
}

}  // namespace mixq::cuda::kernels
