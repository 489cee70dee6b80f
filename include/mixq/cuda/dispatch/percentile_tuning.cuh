// Tuning of the GPU percentile calibrator: block size of the per-row selection, how long a row may be to be
// cached in shared memory (read once from global memory instead of once per pass), and up to which row
// length a whole-row sort replaces the selection.
#pragma once

#include "arch.cuh"

namespace mixq::cuda {

struct percentile_tuning {
    int threads;          // 128, 256 or 512: one block selects in one row
    int max_cached_cols;  // rows up to this length are read into shared memory once (4 bytes a value)
    // Rows up to this length (at most sorted_cols_limit; 0: never) are instead sorted whole by one block of
    // 32..256 threads (cub::BlockRadixSort, 4 or 8 keys a thread, sized to the row): on short rows the
    // selection's block is mostly idle threads between barriers.
    int max_sorted_cols;
    static constexpr int sorted_cols_limit = 2048;
};

// max_sorted_cols = 512 is a guess awaiting measurement on a GPU (bench_cuda_percentile times both paths
// on the same rows); the other fields follow the shared memory per SM.
inline constexpr percentile_tuning percentile_tuning_sm80{256, 8192, 512};   // 32 KiB of the 164 KiB per SM
inline constexpr percentile_tuning percentile_tuning_sm90{256, 12288, 512};  // 48 KiB of the 228 KiB per SM

inline percentile_tuning default_percentile_tuning() { return detail::compute_major() >= 9 ? percentile_tuning_sm90 : percentile_tuning_sm80; }

}  // namespace mixq::cuda
