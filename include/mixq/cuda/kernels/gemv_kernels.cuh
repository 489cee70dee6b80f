// The dequant-GEMV kernels: one warp per output row, 16-byte weight loads after an unaligned head, 16-byte
// activation loads where the activations' alignment allows, fp32 accumulation.
#pragma once

#include <cstdint>

#include "../detail/numeric.cuh"

namespace mixq::cuda::kernels {

// Bytes to peel before p is 16-byte aligned (0..15).
__device__ __forceinline__ int bytes_to_alignment(const void* p) {
    return static_cast<int>((16 - (reinterpret_cast<std::uintptr_t>(p) & 15)) & 15);
}
// Whether x[b * K + k] is 16-byte aligned for every batch row b once it is for b = 0: the rows' stride is.
template <class In>
__device__ __forceinline__ bool rows_aligned(const In* x_at_k, int K) {
    return ((reinterpret_cast<std::uintptr_t>(x_at_k) | (static_cast<std::size_t>(K) * sizeof(In))) & 15) == 0;
}

// Codes to exact floats without I2F, a quarter-rate conversion on sm_80 / sm_90 that would bound int4 (two
// conversions per byte read) below the memory speed: a byte permute puts each biased code into the low
// mantissa bits of 2^23, and one add removes 2^23 and the bias.
__device__ __forceinline__ float biased_byte_to_float(unsigned u, int j, float bias) {  // byte j of u, minus 2^23 + bias
    return __uint_as_float(__byte_perm(u, 0x4B000000u, 0x7540u + static_cast<unsigned>(j))) - (8388608.0f + bias);
}
// Four int8 codes of a 32-bit word (byte 0 first).
__device__ __forceinline__ void int8x4_to_float(unsigned w, float* out) {
    const unsigned u = w ^ 0x80808080u;  // code + 128 in each byte
#pragma unroll
    for (int j = 0; j < 4; ++j) out[j] = biased_byte_to_float(u, j, 128.0f);
}
// Eight int4 codes of a 32-bit word (low nibble first, byte 0 first).
__device__ __forceinline__ void int4x8_to_float(unsigned w, float* out) {
    const unsigned u = w ^ 0x88888888u;  // code + 8 in each nibble
    const unsigned lo = u & 0x0f0f0f0fu, hi = (u >> 4) & 0x0f0f0f0fu;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        out[2 * j] = biased_byte_to_float(lo, j, 8.0f);
        out[2 * j + 1] = biased_byte_to_float(hi, j, 8.0f);
    }
}

// 16 consecutive activations as fp32: 16-byte loads when `vec` (p 16-byte aligned), element loads otherwise.
template <class In>
__device__ __forceinline__ void load16(const In* __restrict__ p, bool vec, float (&out)[16]) {
    if (vec) {
        constexpr int per = 16 / static_cast<int>(sizeof(In));  // values per 16 bytes: 4 (fp32) or 8 (fp16, bf16)
#pragma unroll
        for (int v = 0; v < 16 / per; ++v) {
            const uint4 raw = __ldg(reinterpret_cast<const uint4*>(p) + v);
            const In* e = reinterpret_cast<const In*>(&raw);
#pragma unroll
            for (int j = 0; j < per; ++j) out[v * per + j] = to_float(e[j]);
        }
    } else {
#pragma unroll
        for (int j = 0; j < 16; ++j) out[j] = to_float(p[j]);
    }
}

// acc[r][b] += Σ_j x[b, k + j] · q[r][j] over 16 values for ROWS rows: each activation loaded feeds every row.
template <int BATCH, int ROWS, class In>
__device__ __forceinline__ void dot16_rows(float (*acc)[BATCH], const In* __restrict__ x, int K, int k, bool vec, const float (*q)[16]) {
#pragma unroll
    for (int b = 0; b < BATCH; ++b) {
        float xv[16];
        load16(x + static_cast<std::size_t>(b) * K + k, vec, xv);
#pragma unroll
        for (int r = 0; r < ROWS; ++r)
#pragma unroll
            for (int j = 0; j < 16; ++j) acc[r][b] = fmaf(xv[j], q[r][j], acc[r][b]);
    }
}
template <int BATCH, class In>
__device__ __forceinline__ void dot16(float (&acc)[BATCH], const In* __restrict__ x, int K, int k, bool vec, const float* q) {
    dot16_rows<BATCH, 1>(&acc, x, K, k, vec, reinterpret_cast<const float(*)[16]>(q));
}

// The first of the ROWS output rows of this thread's warp.
template <int ROWS>
__device__ __forceinline__ int first_row_of_warp() {
    return static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32) * ROWS;
}

// The warp's sums of the row, written by lane 0 after `scale`.
template <int BATCH, class Out>
__device__ __forceinline__ void finish_row(float (&acc)[BATCH], float scale, Out* __restrict__ y, int N, int row, int lane) {
#pragma unroll
    for (int b = 0; b < BATCH; ++b) acc[b] = warp_sum(acc[b]);
    if (lane == 0)
#pragma unroll
        for (int b = 0; b < BATCH; ++b) y[static_cast<std::size_t>(b) * N + row] = from_float<Out>(acc[b] * scale);
}

// int8, one fp32 scale per row applied after the reduction. x: [BATCH, K], y: [BATCH, N].
template <int BATCH, class In, class Out>
__global__ void gemv_int8(const std::int8_t* __restrict__ W, const float* __restrict__ scales, const In* __restrict__ x,
                          Out* __restrict__ y, int N, int K) {
    const int row = first_row_of_warp<1>(), lane = static_cast<int>(threadIdx.x % 32);
    if (row >= N) return;
    const std::int8_t* w = W + static_cast<std::size_t>(row) * K;
    float acc[BATCH] = {};
    auto add = [&](int k, float q) {
#pragma unroll
        for (int b = 0; b < BATCH; ++b) acc[b] = fmaf(to_float(x[static_cast<std::size_t>(b) * K + k]), q, acc[b]);
    };
    // Rows start at any byte when K is not a multiple of 16: peel up to 15 bytes so the body is aligned.
    const int head = min(K, bytes_to_alignment(w));
    if (lane < head) add(lane, static_cast<float>(w[lane]));
    const int body_end = head + (K - head) / 16 * 16;
    const bool vec = rows_aligned(x + head, K);  // uniform across the warp
#pragma unroll 2
    for (int k = head + lane * 16; k < body_end; k += 32 * 16) {
        const uint4 v = *reinterpret_cast<const uint4*>(w + k);
        float q[16];
        int8x4_to_float(v.x, q);
        int8x4_to_float(v.y, q + 4);
        int8x4_to_float(v.z, q + 8);
        int8x4_to_float(v.w, q + 12);
        dot16<BATCH>(acc, x, K, k, vec, q);
    }
    for (int k = body_end + lane; k < K; k += 32) add(k, static_cast<float>(w[k]));
    finish_row<BATCH>(acc, scales[row], y, N, row, lane);
}

// int4, two codes per byte (low nibble first), one scale per `group` (64 or 128) values along K (Scale:
// float or __half). Each value is code · scale before the product, as the host reference.
template <int BATCH, class In, class Out, class Scale>
__global__ void gemv_int4(const std::uint8_t* __restrict__ W, const Scale* __restrict__ scales, int group,
                          const In* __restrict__ x, Out* __restrict__ y, int N, int K) {
    const int row = first_row_of_warp<1>(), lane = static_cast<int>(threadIdx.x % 32);
    if (row >= N) return;
    const int row_bytes = (K + 1) / 2, groups = (K + group - 1) / group;
    const int group_shift = group == 64 ? 6 : 7;  // k / group without a division per value
    const std::uint8_t* w = W + static_cast<std::size_t>(row) * row_bytes;
    const Scale* s = scales + static_cast<std::size_t>(row) * groups;
    float acc[BATCH] = {};
    auto add_byte = [&](int byte, std::uint8_t v) {  // both nibbles; an odd K's padding nibble is skipped
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            const int k = 2 * byte + half;
            if (k >= K) break;
            const int nibble = half ? v >> 4 : v & 0xf;
            const float q = static_cast<float>((nibble ^ 8) - 8) * to_float(s[k >> group_shift]);
#pragma unroll
            for (int b = 0; b < BATCH; ++b) acc[b] = fmaf(to_float(x[static_cast<std::size_t>(b) * K + k]), q, acc[b]);
        }
    };
    const int head = min(row_bytes, bytes_to_alignment(w));
    if (lane < head) add_byte(lane, w[lane]);
    // The body holds only bytes whose two values both exist (an odd K's last byte goes to the tail).
    const int full_bytes = K / 2;
    const int body_end = head + max(0, full_bytes - head) / 16 * 16;
    const bool vec = rows_aligned(x + 2 * head, K);
#pragma unroll 2
    for (int i = head + lane * 16; i < body_end; i += 32 * 16) {
        const uint4 v = *reinterpret_cast<const uint4*>(w + i);
        const int k0 = 2 * i;
        float q[32];
        int4x8_to_float(v.x, q);
        int4x8_to_float(v.y, q + 8);
        int4x8_to_float(v.z, q + 16);
        int4x8_to_float(v.w, q + 24);
        // 32 values lie in one group unless the row is not 16-byte aligned and they straddle a boundary.
        if ((k0 >> group_shift) == ((k0 + 31) >> group_shift)) {
            const float sc = to_float(s[k0 >> group_shift]);
#pragma unroll
            for (int j = 0; j < 32; ++j) q[j] *= sc;
        } else {
#pragma unroll
            for (int j = 0; j < 32; ++j) q[j] *= to_float(s[(k0 + j) >> group_shift]);
        }
        dot16<BATCH>(acc, x, K, k0, vec, q);
        dot16<BATCH>(acc, x, K, k0 + 16, vec, q + 16);
    }
    for (int i = body_end + lane; i < row_bytes; i += 32) add_byte(i, w[i]);
    finish_row<BATCH>(acc, 1.0f, y, N, row, lane);
}

// Several rows per warp, for batches whose activations, re-read for every row, would move more bytes
// through L1 than the weights: each activation vector loaded feeds ROWS rows. Needs 16-byte aligned rows
// (W aligned; K a multiple of 16 for int8, of 32 for int4: no head, no tail, every int4 chunk of 32 values
// in one group), checked by the caller. Rows past N are read from row N - 1 and not written. Each lane
// has ROWS 16-byte loads in flight per step, so the loops are not unrolled (registers go to occupancy).
template <int BATCH, int ROWS, class In, class Out>
__global__ void gemv_int8_rows(const std::int8_t* __restrict__ W, const float* __restrict__ scales, const In* __restrict__ x,
                               Out* __restrict__ y, int N, int K) {
    const int row0 = first_row_of_warp<ROWS>(), lane = static_cast<int>(threadIdx.x % 32);
    if (row0 >= N) return;
    const std::int8_t* w[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) w[r] = W + static_cast<std::size_t>(min(row0 + r, N - 1)) * K;
    float acc[ROWS][BATCH] = {};
    const bool vec = rows_aligned(x, K);
    for (int k = lane * 16; k < K; k += 32 * 16) {
        float q[ROWS][16];
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            const uint4 v = *reinterpret_cast<const uint4*>(w[r] + k);
            int8x4_to_float(v.x, q[r]);
            int8x4_to_float(v.y, q[r] + 4);
            int8x4_to_float(v.z, q[r] + 8);
            int8x4_to_float(v.w, q[r] + 12);
        }
        dot16_rows<BATCH, ROWS>(acc, x, K, k, vec, q);
    }
#pragma unroll
    for (int r = 0; r < ROWS; ++r)
        if (row0 + r < N) finish_row<BATCH>(acc[r], scales[row0 + r], y, N, row0 + r, lane);  // uniform across the warp
}

template <int BATCH, int ROWS, class In, class Out, class Scale>
__global__ void gemv_int4_rows(const std::uint8_t* __restrict__ W, const Scale* __restrict__ scales, int group,
                               const In* __restrict__ x, Out* __restrict__ y, int N, int K) {
    const int row0 = first_row_of_warp<ROWS>(), lane = static_cast<int>(threadIdx.x % 32);
    if (row0 >= N) return;
    const int row_bytes = K / 2, groups = (K + group - 1) / group;
    const int group_shift = group == 64 ? 6 : 7;
    const std::uint8_t* w[ROWS];
    const Scale* s[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const auto n = static_cast<std::size_t>(min(row0 + r, N - 1));
        w[r] = W + n * row_bytes;
        s[r] = scales + n * groups;
    }
    float acc[ROWS][BATCH] = {};
    const bool vec = rows_aligned(x, K);
    for (int i = lane * 16; i < row_bytes; i += 32 * 16) {
        const int k0 = 2 * i;  // a multiple of 32: the chunk's 32 values share one group
        uint4 v[ROWS];
        float sc[ROWS];
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            v[r] = *reinterpret_cast<const uint4*>(w[r] + i);
            sc[r] = to_float(s[r][k0 >> group_shift]);
        }
#pragma unroll
        for (int h = 0; h < 2; ++h) {  // values k0 .. k0 + 15 (words x, y), then k0 + 16 .. k0 + 31 (words z, w)
            float q[ROWS][16];
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                int4x8_to_float(h ? v[r].z : v[r].x, q[r]);
                int4x8_to_float(h ? v[r].w : v[r].y, q[r] + 8);
#pragma unroll
                for (int j = 0; j < 16; ++j) q[r][j] *= sc[r];
            }
            dot16_rows<BATCH, ROWS>(acc, x, K, k0 + 16 * h, vec, q);
        }
    }
#pragma unroll
    for (int r = 0; r < ROWS; ++r)
        if (row0 + r < N) finish_row<BATCH>(acc[r], 1.0f, y, N, row0 + r, lane);
}

}  // namespace mixq::cuda::kernels
