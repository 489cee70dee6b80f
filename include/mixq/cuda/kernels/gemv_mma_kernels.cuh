// Tensor-core dequant-GEMV for fp16 / bf16 activations: the batch is the 8 columns of mma.m16n8k16, so one
// instruction does 16 rows x 16 values x all 8 batch rows, and decoding takes one to two integer ops per code.
#pragma once

#include <cstdint>

#include "mma_fragments.cuh"

namespace mixq::cuda::kernels {

// Each block reduces gemv_mma_tiles tiles of 16 rows; its warps split K in steps of gemv_mma_step values,
// a quad of lanes covering one step of a row (16 consecutive values per lane: one 16-byte int8 load or one
// 8-byte int4 load, no shuffles). The sum over k does not care about order, so each lane feeds its 16 values
// to the mma slots it owns (PTX layout in mma_fragments.cuh) in whatever order decodes cheapest, and loads
// the activations in the same order. Needs K % 64 == 0 and W, x 16-byte aligned (checked by the caller).
inline constexpr int gemv_mma_tiles = 2;
inline constexpr int gemv_mma_step = 64;

// Where a lane sits: its warp among the block's K-splitting warps, its mma group g and slot t, and the
// rows it loads (g and g + 8 of each of the block's tiles; rows past N read row N - 1, not written).
struct mma_lane {
    int lane = static_cast<int>(threadIdx.x % 32), warp = static_cast<int>(threadIdx.x / 32), warps = static_cast<int>(blockDim.x / 32);
    int g = lane / 4, t = lane % 4;
    int row0 = static_cast<int>(blockIdx.x) * 16 * gemv_mma_tiles;
    __device__ std::size_t row(int tile, int half, int N) const { return static_cast<std::size_t>(min(row0 + 16 * tile + 8 * half + g, N - 1)); }
};

// The lane's 16 activations of batch row min(g, batch - 1) at k, as eight words of pairs (x[2i], x[2i+1]);
// zero for lanes past the batch (their columns of the product are not written).
template <class In>
__device__ __forceinline__ void load_activation_pairs(const In* __restrict__ x_row, int k, bool live, unsigned (&xw)[8]) {
    const uint4 a = __ldg(reinterpret_cast<const uint4*>(x_row + k));
    const uint4 b = __ldg(reinterpret_cast<const uint4*>(x_row + k) + 1);
    const unsigned v[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
    for (int i = 0; i < 8; ++i) xw[i] = live ? v[i] : 0u;
}

// body(k, xw) for each of this warp's K steps, xw the lane's 16 activations at k (batch row min(g, batch - 1),
// values k + 16 t ..): the warps of a block take the steps in turn.
template <class In, class Body>
__device__ __forceinline__ void for_each_step(const mma_lane& l, const In* __restrict__ x, int K, int batch, Body body) {
    const In* x_row = x + static_cast<std::size_t>(min(l.g, batch - 1)) * K + 16 * l.t;
#pragma unroll 2
    for (int k = l.warp * gemv_mma_step; k < K; k += l.warps * gemv_mma_step) {
        unsigned xw[8];
        load_activation_pairs(x_row, k, l.g < batch, xw);
        body(k, xw);
    }
}

// The warps' partial tiles summed by warp 0 through shared memory ([warps - 1][tiles][4][32] floats);
// returns false for the other warps, which are done.
__device__ __forceinline__ bool sum_over_warps(float (&acc)[gemv_mma_tiles][4], float* partial, const mma_lane& l) {
    if (l.warps == 1) return true;
    auto slot = [&](int w, int i, int c) { return partial + (((w - 1) * gemv_mma_tiles + i) * 4 + c) * 32 + l.lane; };
    if (l.warp > 0)
#pragma unroll
        for (int i = 0; i < gemv_mma_tiles; ++i)
#pragma unroll
            for (int c = 0; c < 4; ++c) *slot(l.warp, i, c) = acc[i][c];
    __syncthreads();
    if (l.warp > 0) return false;
    for (int w = 1; w < l.warps; ++w)
#pragma unroll
        for (int i = 0; i < gemv_mma_tiles; ++i)
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][c] += *slot(w, i, c);
    return true;
}

// Writes the block's tiles: accumulator c of tile i is row row0 + 16 i + g + 8 (c / 2), batch row 2t + c % 2.
template <class Out, class RowScale>
__device__ __forceinline__ void store_tiles(const float (&acc)[gemv_mma_tiles][4], Out* __restrict__ y, int N, int batch, const mma_lane& l,
                                            RowScale scale) {
#pragma unroll
    for (int i = 0; i < gemv_mma_tiles; ++i)
#pragma unroll
        for (int c = 0; c < 4; ++c) {
            const int row = l.row0 + 16 * i + l.g + 8 * (c / 2), b = 2 * l.t + c % 2;
            if (row < N && b < batch) y[static_cast<std::size_t>(b) * N + row] = from_float<Out>(acc[i][c] * scale(row));
        }
}

// int8 with one fp32 scale per row, applied after the reduction. In: __half or __nv_bfloat16. Dynamic
// shared memory: (warps - 1) * gemv_mma_tiles * 4 * 32 floats.
template <class In, class Out>
__global__ void gemv_int8_mma(const std::int8_t* __restrict__ W, const float* __restrict__ scales, const In* __restrict__ x,
                              Out* __restrict__ y, int N, int K, int batch) {
    extern __shared__ float partial[];
    const mma_lane l;
    const std::int8_t* w[gemv_mma_tiles][2];
#pragma unroll
    for (int i = 0; i < gemv_mma_tiles; ++i)
#pragma unroll
        for (int h = 0; h < 2; ++h) w[i][h] = W + l.row(i, h, N) * K + 16 * l.t;
    float acc[gemv_mma_tiles][4] = {};
    for_each_step(l, x, K, batch, [&](int k, const unsigned(&xw)[8]) {
#pragma unroll
        for (int i = 0; i < gemv_mma_tiles; ++i) {
            unsigned a[2][8];  // pairs (c_2m, c_2m+1) of rows g and g + 8
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const uint4 v = *reinterpret_cast<const uint4*>(w[i][h] + k);
                const unsigned words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
                for (int q = 0; q < 4; ++q) int8x4_to_pairs<In>(words[q], &a[h][2 * q]);
            }
            // mma j takes values 4j .. 4j + 3 of each lane's 16: pair 2j in slots (2t, 2t+1), pair 2j+1 in (2t+8, 2t+9).
#pragma unroll
            for (int j = 0; j < 4; ++j)
                mma_16816<In>(acc[i], {a[0][2 * j], a[1][2 * j], a[0][2 * j + 1], a[1][2 * j + 1]}, {xw[2 * j], xw[2 * j + 1]});
        }
    });
    if (!sum_over_warps(acc, partial, l)) return;
    store_tiles(acc, y, N, batch, l, [&](int row) { return scales[row]; });
}

// int4, two codes per byte (low nibble first), one scale per `group` (64 or 128) values: a step of 64 lies
// in one group, so each step's mma sums are scaled and added to the running fp32 sums.
template <class In, class Out, class Scale>
__global__ void gemv_int4_mma(const std::uint8_t* __restrict__ W, const Scale* __restrict__ scales, int group,
                              const In* __restrict__ x, Out* __restrict__ y, int N, int K, int batch) {
    extern __shared__ float partial[];
    const mma_lane l;
    const int row_bytes = K / 2, groups = (K + group - 1) / group, group_shift = group == 64 ? 6 : 7;
    const std::uint8_t* w[gemv_mma_tiles][2];
    const Scale* s[gemv_mma_tiles][2];
#pragma unroll
    for (int i = 0; i < gemv_mma_tiles; ++i)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const std::size_t n = l.row(i, h, N);
            w[i][h] = W + n * row_bytes + 8 * l.t;
            s[i][h] = scales + n * groups;
        }
    float acc[gemv_mma_tiles][4] = {};
    for_each_step(l, x, K, batch, [&](int k, const unsigned(&xw)[8]) {
        // The weights' pairs are (c_s, c_s+4) and (c_8+s, c_12+s): pair m holds values a(m) and a(m) + 4 of
        // the lane's 16, a(m) = m for m < 4 and m + 4 after; the activations are permuted to match.
        unsigned xp[8];
#pragma unroll
        for (int m = 0; m < 8; ++m) {
            const int base = (m < 4 ? 0 : 4) + (m % 4) / 2;
            xp[m] = __byte_perm(xw[base], xw[base + 2], m % 2 ? 0x7632 : 0x5410);
        }
        const int grp = k >> group_shift;
#pragma unroll
        for (int i = 0; i < gemv_mma_tiles; ++i) {
            unsigned a[2][8];
            float sc[2];
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const uint2 v = *reinterpret_cast<const uint2*>(w[i][h] + k / 2);
                int4x8_to_pairs<In>(v.x, &a[h][0]);
                int4x8_to_pairs<In>(v.y, &a[h][4]);
                sc[h] = to_float(s[i][h][grp]);
            }
            float d[4] = {};
#pragma unroll
            for (int j = 0; j < 4; ++j) mma_16816<In>(d, {a[0][2 * j], a[1][2 * j], a[0][2 * j + 1], a[1][2 * j + 1]}, {xp[2 * j], xp[2 * j + 1]});
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][c] = fmaf(d[c], sc[c / 2], acc[i][c]);
        }
    });
    if (!sum_over_warps(acc, partial, l)) return;
    store_tiles(acc, y, N, batch, l, [](int) { return 1.0f; });
}

}  // namespace mixq::cuda::kernels
