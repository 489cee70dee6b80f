// Tuning of the dequant-GEMV kernels: plain constexpr structs per architecture, printable, overridable.
#pragma once

#include "arch.cuh"

namespace mixq::cuda {

// One warp reduces one output row; warps_per_block warps share a block (more warps hide more latency).
// From batch multi_row_from_batch on, when the rows are 16-byte aligned, a warp reduces gemv_rows_per_warp
// rows at once: at batch 8 the activations, re-read for every row, would otherwise pass through L1 at 8
// (fp16) to 16 (fp32) times the weights' bytes. 9 turns it off, 1 uses it for every batch.
struct gemv_tuning {
    int warps_per_block;
    int multi_row_from_batch;
};
inline constexpr int gemv_rows_per_warp = 4;

// multi_row_from_batch = 4 is an estimate from those byte counts, not a measurement: bench_cuda_gemv
// times it on and off.
inline constexpr gemv_tuning gemv_tuning_sm80{4, 4};
inline constexpr gemv_tuning gemv_tuning_sm90{8, 4};

// The tuning for the current device; tests pass their own to exercise other block shapes.
inline gemv_tuning default_gemv_tuning() { return detail::compute_major() >= 9 ? gemv_tuning_sm90 : gemv_tuning_sm80; }

}  // namespace mixq::cuda
