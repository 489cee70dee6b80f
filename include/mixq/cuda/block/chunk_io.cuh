// Block-wide load / store of one chunk of a sequence in the blocked arrangement (thread i holds items
// i*ITEMS .. i*ITEMS+ITEMS-1, as cub::BlockScan wants), converted to / from fp32. Coalesced through a warp
// transpose; 16-byte vectors when the chunk is full and its address allows, element loads otherwise.
#pragma once

#include <cstdint>
#include <cub/block/block_load.cuh>
#include <cub/block/block_store.cuh>

#include "../detail/numeric.cuh"

namespace mixq::cuda::block {

template <int THREADS, int ITEMS, class T>
struct chunk_io {
    static constexpr int vec = 16 / static_cast<int>(sizeof(T));
    static constexpr bool can_vec = ITEMS % vec == 0;
    static constexpr int vec_items = can_vec ? ITEMS / vec : 1;
    using load_t = cub::BlockLoad<T, THREADS, ITEMS, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
    using vload_t = cub::BlockLoad<uint4, THREADS, vec_items, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
    using store_t = cub::BlockStore<T, THREADS, ITEMS, cub::BLOCK_STORE_WARP_TRANSPOSE>;
    using vstore_t = cub::BlockStore<uint4, THREADS, vec_items, cub::BLOCK_STORE_WARP_TRANSPOSE>;
    union TempStorage {
        typename load_t::TempStorage load;
        typename vload_t::TempStorage vload;
        typename store_t::TempStorage store;
        typename vstore_t::TempStorage vstore;
    };

    // A full chunk at a 16-byte aligned address (uniform across the block, so every thread takes the same path).
    static __device__ __forceinline__ bool vectorizable(const void* p, int valid) {
        return valid == THREADS * ITEMS && (reinterpret_cast<std::uintptr_t>(p) & 15) == 0;
    }

    // `valid` leading elements of p; items past them read as 0. Callers __syncthreads() between calls.
    static __device__ __forceinline__ void load(TempStorage& s, const T* p, int valid, float (&out)[ITEMS]) {
        alignas(16) T raw[ITEMS];
        bool done = false;
        if constexpr (can_vec) {
            if (vectorizable(p, valid)) {
                vload_t(s.vload).Load(reinterpret_cast<const uint4*>(p), reinterpret_cast<uint4(&)[vec_items]>(raw));
                done = true;
            }
        }
        if (!done) load_t(s.load).Load(p, raw, valid, detail::from_float<T>(0.0f));
#pragma unroll
        for (int i = 0; i < ITEMS; ++i) out[i] = detail::to_float(raw[i]);
    }

    static __device__ __forceinline__ void store(TempStorage& s, T* p, int valid, const float (&in)[ITEMS]) {
        alignas(16) T raw[ITEMS];
#pragma unroll
        for (int i = 0; i < ITEMS; ++i) raw[i] = detail::from_float<T>(in[i]);
        if constexpr (can_vec) {
            if (vectorizable(p, valid)) {
                vstore_t(s.vstore).Store(reinterpret_cast<uint4*>(p), reinterpret_cast<uint4(&)[vec_items]>(raw));
                return;
            }
        }
        store_t(s.store).Store(p, raw, valid);
    }
};

}  // namespace mixq::cuda::block
