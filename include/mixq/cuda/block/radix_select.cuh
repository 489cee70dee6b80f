// Block-wide radix selection of the k-th smallest of n 32-bit keys (MSB-first, 8 bits a pass: shared
// histogram, cub::BlockScan over its 256 bins to find the bucket holding rank k), and the smallest key
// above a given one (cub::BlockReduce), for percentile calibration without sorting.
#pragma once

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cuda/functional>

namespace mixq::cuda::block {

template <int THREADS>
struct radix_select {
    static constexpr int bins = 256;
    static constexpr int bins_per_thread = (bins + THREADS - 1) / THREADS;
    using scan_t = cub::BlockScan<unsigned, THREADS>;
    using reduce_t = cub::BlockReduce<unsigned, THREADS>;
    struct TempStorage {
        unsigned hist[bins];
        union {
            typename scan_t::TempStorage scan;
            typename reduce_t::TempStorage reduce;
        } cub;
        unsigned prefix, rank, count, min_above;
    };
    struct result {
        unsigned key;    // the k-th smallest key
        unsigned rank;   // k minus the number of keys below it: its rank among the keys equal to it
        unsigned count;  // how many keys equal it
    };

    TempStorage& s;
    __device__ explicit radix_select(TempStorage& storage) : s(storage) {}

    // key_at(i) for i in [0, n) yields the keys (read as often as there are passes: 4).
    template <class KeyAt>
    __device__ result select(KeyAt key_at, int n, unsigned k) {
        unsigned prefix = 0, mask = 0, count = 0;
        const int tid = static_cast<int>(threadIdx.x);
        for (int shift = 24; shift >= 0; shift -= 8) {
            for (int i = tid; i < bins; i += THREADS) s.hist[i] = 0;
            __syncthreads();
            for (int i = tid; i < n; i += THREADS) {
                const unsigned key = key_at(i);
                if ((key & mask) == prefix) atomicAdd(&s.hist[(key >> shift) & 0xffu], 1u);
            }
            __syncthreads();
            unsigned items[bins_per_thread], below[bins_per_thread];
#pragma unroll
            for (int j = 0; j < bins_per_thread; ++j) {
                const int bin = tid * bins_per_thread + j;
                items[j] = bin < bins ? s.hist[bin] : 0u;
            }
            scan_t(s.cub.scan).ExclusiveSum(items, below);
#pragma unroll
            for (int j = 0; j < bins_per_thread; ++j)
                if (items[j] != 0 && below[j] <= k && k < below[j] + items[j]) {  // exactly one bin holds rank k
                    s.prefix = prefix | (static_cast<unsigned>(tid * bins_per_thread + j) << shift);
                    s.rank = k - below[j];
                    s.count = items[j];
                }
            __syncthreads();
            prefix = s.prefix;
            k = s.rank;
            count = s.count;
            mask |= 0xffu << shift;
            __syncthreads();
        }
        return {prefix, k, count};
    }

    // The smallest key greater than `key` (0xffffffff if none).
    template <class KeyAt>
    __device__ unsigned min_above(KeyAt key_at, int n, unsigned key) {
        unsigned best = 0xffffffffu;
        for (int i = static_cast<int>(threadIdx.x); i < n; i += THREADS) {
            const unsigned v = key_at(i);
            if (v > key && v < best) best = v;
        }
        const unsigned r = reduce_t(s.cub.reduce).Reduce(best, ::cuda::minimum<>{});
        if (threadIdx.x == 0) s.min_above = r;
        __syncthreads();
        const unsigned out = s.min_above;
        __syncthreads();
        return out;
    }
};

}  // namespace mixq::cuda::block
