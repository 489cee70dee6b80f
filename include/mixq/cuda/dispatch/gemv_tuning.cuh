// Tuning of the dequant-GEMV kernels: plain constexpr structs per architecture, printable, overridable.
#pragma once

#include "arch.cuh"

namespace mixq::cuda {

// One warp reduces one output row; warps_per_block rows share a block (more warps hide more latency).
struct gemv_tuning {
    int warps_per_block;
};

inline constexpr gemv_tuning gemv_tuning_sm80{4};
inline constexpr gemv_tuning gemv_tuning_sm90{8};

// The tuning for the current device; tests pass their own to exercise other block shapes.
inline gemv_tuning default_gemv_tuning() { return detail::compute_major() >= 9 ? gemv_tuning_sm90 : gemv_tuning_sm80; }

}  // namespace mixq::cuda
