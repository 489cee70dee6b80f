// The dequant-GEMV kernels: one warp per output row, 16-byte loads after an unaligned head, fp32 accumulation.
#pragma once

#include <cstdint>

#include "numeric.cuh"

namespace mixq::cuda::kernels {

// int8, one fp32 scale per row applied after the reduction. x: [BATCH, K], y: [BATCH, N].
template <int BATCH, class In, class Out>
__global__ void gemv_int8(const std::int8_t* __restrict__ W, const float* __restrict__ scales, const In* __restrict__ x,
                          Out* __restrict__ y, int N, int K) {
    const int row = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32);
    const int lane = static_cast<int>(threadIdx.x % 32);
    if (row >= N) return;
    const std::int8_t* w = W + static_cast<std::size_t>(row) * K;
    float acc[BATCH] = {};
    auto add = [&](int k, float q) {
#pragma unroll
        for (int b = 0; b < BATCH; ++b) acc[b] += to_float(x[static_cast<std::size_t>(b) * K + k]) * q;
    };
    // Rows start at any byte when K is not a multiple of 16: peel up to 15 bytes so the body is aligned.
    const int head = min(K, static_cast<int>((16 - (reinterpret_cast<std::uintptr_t>(w) & 15)) & 15));
    if (lane < head) add(lane, static_cast<float>(w[lane]));
    const int body_end = head + (K - head) / 16 * 16;
    for (int k = head + lane * 16; k < body_end; k += 32 * 16) {
        const int4 v = *reinterpret_cast<const int4*>(w + k);
        const auto* q = reinterpret_cast<const std::int8_t*>(&v);
#pragma unroll
        for (int j = 0; j < 16; ++j) add(k + j, static_cast<float>(q[j]));
    }
    for (int k = body_end + lane; k < K; k += 32) add(k, static_cast<float>(w[k]));
#pragma unroll
    for (int b = 0; b < BATCH; ++b) acc[b] = warp_sum(acc[b]);
    if (lane == 0) {
        const float s = scales[row];
#pragma unroll
        for (int b = 0; b < BATCH; ++b) y[static_cast<std::size_t>(b) * N + row] = from_float<Out>(acc[b] * s);
    }
}

// int4, two codes per byte (low nibble first), one scale per `group` values along K (Scale: float or __half).
template <int BATCH, class In, class Out, class Scale>
__global__ void gemv_int4(const std::uint8_t* __restrict__ W, const Scale* __restrict__ scales, int group,
                          const In* __restrict__ x, Out* __restrict__ y, int N, int K) {
    const int row = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32);
    const int lane = static_cast<int>(threadIdx.x % 32);
    if (row >= N) return;
    const int row_bytes = (K + 1) / 2, groups = (K + group - 1) / group;
    const std::uint8_t* w = W + static_cast<std::size_t>(row) * row_bytes;
    const Scale* s = scales + static_cast<std::size_t>(row) * groups;
    float acc[BATCH] = {};
    auto add_byte = [&](int byte, std::uint8_t v) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            const int k = 2 * byte + half;
            if (k >= K) break;
            const int nibble = half ? v >> 4 : v & 0xf;
            const float q = static_cast<float>((nibble ^ 8) - 8) * to_float(s[k / group]);
#pragma unroll
            for (int b = 0; b < BATCH; ++b) acc[b] += to_float(x[static_cast<std::size_t>(b) * K + k]) * q;
        }
    };
    const int head = min(row_bytes, static_cast<int>((16 - (reinterpret_cast<std::uintptr_t>(w) & 15)) & 15));
    if (lane < head) add_byte(lane, w[lane]);
    const int body_end = head + (row_bytes - head) / 16 * 16;
    for (int i = head + lane * 16; i < body_end; i += 32 * 16) {
        const int4 v = *reinterpret_cast<const int4*>(w + i);
        const auto* q = reinterpret_cast<const std::uint8_t*>(&v);
#pragma unroll
        for (int j = 0; j < 16; ++j) add_byte(i + j, q[j]);
    }
    for (int i = body_end + lane; i < row_bytes; i += 32) add_byte(i, w[i]);
#pragma unroll
    for (int b = 0; b < BATCH; ++b) acc[b] = warp_sum(acc[b]);
    if (lane == 0)
#pragma unroll
        for (int b = 0; b < BATCH; ++b) y[static_cast<std::size_t>(b) * N + row] = from_float<Out>(acc[b]);
}

}  // namespace mixq::cuda::kernels
