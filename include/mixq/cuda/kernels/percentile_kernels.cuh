// Kernels of the GPU percentile calibrator: per-row radix selection or, for short rows, a whole-row block
// sort (one block per row), and the small steps of the device-wide selection (bucket choice between histogram passes, the final lerp).
#pragma once

#include <cstdint>
#include <cub/block/block_radix_sort.cuh>

#include "../block/radix_select.cuh"
#include "../detail/numeric.cuh"

namespace mixq::cuda::kernels {

// |v| as an ordered 32-bit key: non-negative floats sort like their bit patterns. NaN / Inf: >= 0x7f800000.
template <class T>
__device__ __forceinline__ unsigned abs_key(T v) {
    return __float_as_uint(fabsf(to_float(v)));
}
inline constexpr unsigned non_finite_key = 0x7f800000u;

// numpy's lerp, each operation rounded on its own (no FMA), as calib/percentile_position.hpp.
__device__ __forceinline__ float percentile_lerp(float a, float b, double gamma) {
    const float diff = __fsub_rn(b, a);
    const bool from_b = gamma >= 0.5;
    const double t = __dmul_rn(static_cast<double>(diff), from_b ? __dsub_rn(1.0, gamma) : gamma);
    return __double2float_rn(from_b ? __dsub_rn(static_cast<double>(b), t) : __dadd_rn(static_cast<double>(a), t));
}
// format/int8.hpp's int8_scale.
__device__ __forceinline__ float int8_scale(float clip) {
    const float s = __fdiv_rn(clip, 127.0f);
    return s == 0.0f ? 1.0f : s;
}

// The result of one row, written by one thread: the lerp of the keys of ranks prev and next, or NaN for a
// row holding a NaN or Inf (which also lowers *first_bad_row to its index).
__device__ __forceinline__ void store_row(unsigned row, unsigned a, unsigned b, double gamma, float* clip, float* scales) {
    const float v = percentile_lerp(__uint_as_float(a), __uint_as_float(b), gamma);
    clip[row] = v;
    if (scales) scales[row] = int8_scale(v);
}
__device__ __forceinline__ void store_bad_row(unsigned row, float* clip, float* scales, unsigned* first_bad_row) {
    atomicMin(first_bad_row, row);
    clip[row] = __uint_as_float(0x7fc00000u);
    if (scales) scales[row] = __uint_as_float(0x7fc00000u);
}

// One block per row: ranks prev and next of |row| (next == prev or prev + 1) by radix selection, lerp with
// gamma.
template <int THREADS, class T>
__global__ void __launch_bounds__(THREADS)
percentile_rows(const T* __restrict__ x, int cols, unsigned prev, unsigned next, double gamma, bool cache, float* clip, float* scales,
                unsigned* first_bad_row) {
    using select_t = block::radix_select<THREADS>;
    __shared__ typename select_t::TempStorage tmp;
    extern __shared__ unsigned cached[];  // [cols] when `cache`
    const unsigned row = blockIdx.x;
    const T* r = x + static_cast<std::size_t>(row) * cols;
    int bad = 0;
    for (int i = static_cast<int>(threadIdx.x); i < cols; i += THREADS) {
        const unsigned k = abs_key(r[i]);
        bad |= k >= non_finite_key;
        if (cache) cached[i] = k;
    }
    if (__syncthreads_or(bad)) {
        if (threadIdx.x == 0) store_bad_row(row, clip, scales, first_bad_row);
        return;
    }
    auto key_at = [&](int i) { return cache ? cached[i] : abs_key(r[i]); };
    select_t sel(tmp);
    const auto a = sel.select(key_at, cols, prev);
    unsigned b = a.key;
    if (next != prev && a.rank + 1 >= a.count) b = sel.min_above(key_at, cols, a.key);
    if (threadIdx.x == 0) store_row(row, a.key, b, gamma, clip, scales);
}

// One block per short row (cols <= THREADS * ITEMS): the row's keys sorted whole in registers, ranks prev
// and next read from the sorted (blocked) arrangement. Slots past cols hold 0xffffffff, above every key.
template <int THREADS, int ITEMS, class T>
__global__ void __launch_bounds__(THREADS)
percentile_rows_sorted(const T* __restrict__ x, int cols, unsigned prev, unsigned next, double gamma, float* clip, float* scales,
                       unsigned* first_bad_row) {
    using sort_t = cub::BlockRadixSort<unsigned, THREADS, ITEMS>;
    __shared__ typename sort_t::TempStorage tmp;
    __shared__ unsigned picked[2];
    const unsigned row = blockIdx.x;
    const T* r = x + static_cast<std::size_t>(row) * cols;
    const int tid = static_cast<int>(threadIdx.x);
    unsigned keys[ITEMS];
    int bad = 0;
#pragma unroll
    for (int j = 0; j < ITEMS; ++j) {  // striped: consecutive threads read consecutive values
        const int i = j * THREADS + tid;
        keys[j] = i < cols ? abs_key(r[i]) : 0xffffffffu;
        bad |= i < cols && keys[j] >= non_finite_key;
    }
    if (__syncthreads_or(bad)) {
        if (tid == 0) store_bad_row(row, clip, scales, first_bad_row);
        return;
    }
    sort_t(tmp).Sort(keys);  // the order of the input does not matter; the output is blocked
#pragma unroll
    for (int j = 0; j < ITEMS; ++j) {
        const auto rank = static_cast<unsigned>(tid * ITEMS + j);
        if (rank == prev) picked[0] = keys[j];
        if (rank == next) picked[1] = keys[j];
    }
    __syncthreads();
    if (tid == 0) store_row(row, picked[0], picked[1], gamma, clip, scales);
}

// State of the device-wide selection, kept in device memory between the passes of one stream.
struct tensor_select_state {
    unsigned prefix, mask;           // key bits chosen so far
    unsigned long long rank, count;  // rank still sought among keys with that prefix; keys in the last bucket
    unsigned bad;                    // a NaN / Inf was seen
    unsigned min_above;              // smallest key above the selected one (when rank + 1 needs it)
};

__global__ void tensor_select_init(tensor_select_state* s, unsigned long long rank) {
    *s = tensor_select_state{0u, 0u, rank, 0ull, 0u, 0xffffffffu};
}

// Pass input: the bucket of each key whose high bits match the prefix, -1 (outside the histogram) otherwise.
template <class T>
struct digit_of {
    const tensor_select_state* s;
    unsigned* bad;
    int shift;
    __device__ int operator()(T v) const {
        const unsigned k = abs_key(v);
        if (shift == 24 && k >= non_finite_key) *bad = 1u;  // the first pass sees every key
        return (k & s->mask) == s->prefix ? static_cast<int>((k >> shift) & 0xffu) : -1;
    }
};

// After a histogram pass: one block of 256 threads finds the bucket holding the rank sought.
__global__ void tensor_select_choose(tensor_select_state* s, const unsigned* hist, int shift) {
    using scan_t = cub::BlockScan<unsigned long long, 256>;
    __shared__ typename scan_t::TempStorage tmp;
    const unsigned long long mine = hist[threadIdx.x];
    unsigned long long below = 0;
    scan_t(tmp).ExclusiveSum(mine, below);
    const unsigned long long k = s->rank;
    __syncthreads();  // every thread has read s->rank before one of them rewrites it
    if (mine != 0 && below <= k && k < below + mine) {
        s->prefix |= threadIdx.x << shift;
        s->rank = k - below;
        s->count = mine;
    }
    if (threadIdx.x == 0) s->mask |= 0xffu << shift;
}

// Reduction input for the next rank: keys above the selected one, or the maximum when it is not needed.
template <class T>
struct above_selected {
    const tensor_select_state* s;
    bool wanted;  // next != prev
    __device__ unsigned operator()(T v) const {
        if (!wanted || s->rank + 1 < s->count) return 0xffffffffu;  // rank + 1 has the same key
        const unsigned k = abs_key(v);
        return k > s->prefix ? k : 0xffffffffu;
    }
};

__global__ void tensor_select_finish(const tensor_select_state* s, bool next_differs, double gamma, float* clip, float* scale,
                                     unsigned* bad) {
    *bad = s->bad;
    if (s->bad) {
        *clip = __uint_as_float(0x7fc00000u);
        if (scale) *scale = *clip;
        return;
    }
    const unsigned b = next_differs && s->rank + 1 >= s->count ? s->min_above : s->prefix;
    *clip = percentile_lerp(__uint_as_float(s->prefix), __uint_as_float(b), gamma);
    if (scale) *scale = int8_scale(*clip);
}

}  // namespace mixq::cuda::kernels
