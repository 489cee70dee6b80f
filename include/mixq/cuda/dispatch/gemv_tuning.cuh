// Tuning of the dequant-GEMV kernels: plain constexpr structs per architecture, printable, overridable.
#pragma once

#include "arch.cuh"

namespace mixq::cuda {

// CUDA-core kernels: one warp reduces one output row; warps_per_block warps share a block (more warps hide
// more latency). From batch multi_row_from_batch on, when the rows are 16-byte aligned, a warp reduces
// gemv_rows_per_warp rows at once: at batch 8 the activations, re-read for every row, would otherwise pass
// through L1 at 8 (fp16) to 16 (fp32) times the weights' bytes. 9 turns it off, 1 uses it for every batch.
// Tensor-core kernels (fp16 / bf16 activations, K % 64 == 0, 16-byte aligned W and x, sm_80+): from batch
// mma_from_batch on; blocks of 32 rows whose mma_k_warps warps split K. With fp32 FMAs a batch of 8 costs 8
// FMAs per weight: for int4 at an H100's memory speed more than its FP32 rate (estimate from the data-sheet
// 67 TFLOP/s and the ~3.0 TB/s copy rate recorded for this workplace's H100); the mma does all 8 at once.
struct gemv_tuning {
    int warps_per_block;
    int multi_row_from_batch;
    int mma_from_batch = 9;
    int mma_k_warps = 4;
};
inline constexpr int gemv_rows_per_warp = 4;

// Estimates from instruction and byte counts, not measurements (bench_cuda_gemv times every path and block
// shape): multi_row_from_batch = 4; mma_from_batch = 1, since even at batch 1 the CUDA-core int4 kernel
// spends ~5 instructions per code (decode, scale, convert x, FMA), about all an H100 issues at ~3.0 TB/s
// (6 T codes/s; 132 SMs x 4 schedulers x 1.755 GHz, data-sheet clock), where the tensor-core kernel spends
// about one; mma_k_warps = 8.
inline constexpr gemv_tuning gemv_tuning_sm80{4, 4, 1, 8};
inline constexpr gemv_tuning gemv_tuning_sm90{8, 4, 1, 8};

// The tuning for the current device; tests pass their own to exercise other block shapes.
inline gemv_tuning default_gemv_tuning() { return detail::compute_major() >= 9 ? gemv_tuning_sm90 : gemv_tuning_sm80; }

}  // namespace mixq::cuda
