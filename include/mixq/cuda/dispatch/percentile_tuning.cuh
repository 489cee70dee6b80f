// Tuning of the GPU percentile calibrator: block size of the per-row selection and how long a row may be
// to be cached in shared memory (read once from global memory instead of once per pass).
#pragma once

#include "arch.cuh"

namespace mixq::cuda {

struct percentile_tuning {
    int threads;          // 128, 256 or 512: one block selects in one row
    int max_cached_cols;  // rows up to this length are read into shared memory once (4 bytes a value)
};

inline constexpr percentile_tuning percentile_tuning_sm80{256, 8192};   // 32 KiB of the 164 KiB per SM
inline constexpr percentile_tuning percentile_tuning_sm90{256, 12288};  // 48 KiB of the 228 KiB per SM

inline percentile_tuning default_percentile_tuning() { return detail::compute_major() >= 9 ? percentile_tuning_sm90 : percentile_tuning_sm80; }

}  // namespace mixq::cuda
