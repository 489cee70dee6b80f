// Public entry points of the GPU percentile calibrator: numpy's linear-interpolation percentile of |x|,
// per row (channel) or over a whole tensor, by radix selection instead of sorting (short rows: a sort of the
// row in one block). Bit-identical to the host calibrator (calib/percentile.hpp); fp32, fp16 and bf16 inputs.
#pragma once

#include <cuda_runtime.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>
#include <cstddef>
#include <cub/device/device_histogram.cuh>
#include <cub/device/device_reduce.cuh>
#include <cuda/functional>

#include "../calib/percentile_position.hpp"
#include "dispatch/percentile_tuning.cuh"
#include "kernels/percentile_kernels.cuh"

namespace mixq::cuda {

namespace detail {
inline bool valid_percentile(double p) { return p >= 0.0 && p <= 100.0; }

template <int THREADS, class T>
cudaError_t launch_percentile_rows(const T* x, int rows, int cols, const percentile_position& at, bool cache, float* clip,
                                   float* scales, unsigned* first_bad_row, cudaStream_t stream) {
    const std::size_t smem = cache ? sizeof(unsigned) * static_cast<std::size_t>(cols) : 0;
    if (smem > 0) {  // the 48 KiB default covers static + dynamic shared memory: opt in for every cached size
        const auto attr = cudaFuncSetAttribute(kernels::percentile_rows<THREADS, T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                               static_cast<int>(smem));
        if (attr != cudaSuccess) return attr;
    }
    kernels::percentile_rows<THREADS, T><<<static_cast<unsigned>(rows), THREADS, smem, stream>>>(
        x, cols, static_cast<unsigned>(at.prev), static_cast<unsigned>(at.next), at.gamma, cache, clip, scales, first_bad_row);
    return cudaGetLastError();
}

template <int THREADS, int ITEMS, class T>
cudaError_t launch_percentile_rows_sorted(const T* x, int rows, int cols, const percentile_position& at, float* clip, float* scales,
                                          unsigned* first_bad_row, cudaStream_t stream) {
    kernels::percentile_rows_sorted<THREADS, ITEMS, T><<<static_cast<unsigned>(rows), THREADS, 0, stream>>>(
        x, cols, static_cast<unsigned>(at.prev), static_cast<unsigned>(at.next), at.gamma, clip, scales, first_bad_row);
    return cudaGetLastError();
}

// The smallest compiled block that holds the row: 128, 256, 512, 1024 or 2048 keys
// (percentile_tuning::sorted_cols_limit).
template <class T>
cudaError_t launch_sorted_by_length(const T* x, int rows, int cols, const percentile_position& at, float* clip, float* scales,
                                    unsigned* first_bad_row, cudaStream_t stream) {
    static_assert(percentile_tuning::sorted_cols_limit == 256 * 8);
    if (cols <= 32 * 4) return launch_percentile_rows_sorted<32, 4>(x, rows, cols, at, clip, scales, first_bad_row, stream);
    if (cols <= 64 * 4) return launch_percentile_rows_sorted<64, 4>(x, rows, cols, at, clip, scales, first_bad_row, stream);
    if (cols <= 128 * 4) return launch_percentile_rows_sorted<128, 4>(x, rows, cols, at, clip, scales, first_bad_row, stream);
    if (cols <= 128 * 8) return launch_percentile_rows_sorted<128, 8>(x, rows, cols, at, clip, scales, first_bad_row, stream);
    return launch_percentile_rows_sorted<256, 8>(x, rows, cols, at, clip, scales, first_bad_row, stream);
}
}  // namespace detail

// x: [rows, cols] row-major on the device. Writes clip[r] = percentile p of |x[r, :]| and, when `scales`
// is not null, scales[r] = clip / 127 (a zero clip gives 1). *first_bad_row (device) becomes the first row
// holding a NaN or Inf, 0xffffffff when there is none; such rows get NaN. No temporary storage.
template <class T>
cudaError_t percentile_per_channel(const T* x, int rows, int cols, double p, float* clip, float* scales, unsigned* first_bad_row,
                                   cudaStream_t stream = nullptr, percentile_tuning t = default_percentile_tuning()) {
    if (!x || !clip || !first_bad_row || rows <= 0 || cols <= 0 || !detail::valid_percentile(p)) return cudaErrorInvalidValue;
    if (const cudaError_t e = cudaMemsetAsync(first_bad_row, 0xff, sizeof(unsigned), stream); e != cudaSuccess) return e;
    const auto at = percentile_at(cols, p);
    if (cols <= std::min(t.max_sorted_cols, percentile_tuning::sorted_cols_limit))
        return detail::launch_sorted_by_length(x, rows, cols, at, clip, scales, first_bad_row, stream);
    const bool cache = cols <= t.max_cached_cols;
    switch (t.threads) {
        case 128: return detail::launch_percentile_rows<128>(x, rows, cols, at, cache, clip, scales, first_bad_row, stream);
        case 256: return detail::launch_percentile_rows<256>(x, rows, cols, at, cache, clip, scales, first_bad_row, stream);
        case 512: return detail::launch_percentile_rows<512>(x, rows, cols, at, cache, clip, scales, first_bad_row, stream);
        default: return cudaErrorInvalidValue;
    }
}

// The percentile of |x| over n values (n < 2^32), CUB-style: call once with d_temp == nullptr to get
// temp_bytes, then with that much device memory. Four cub::DeviceHistogram passes narrow the key bits
// to the rank sought, a cub::DeviceReduce finds the next key when the interpolation needs it; every step
// stays on `stream` (no host round trip). *clip and, if not null, *scale are written on the device;
// *bad (device) becomes 1 when x holds a NaN or Inf (and *clip is then NaN), else 0.
template <class T>
cudaError_t percentile_per_tensor(void* d_temp, std::size_t& temp_bytes, const T* x, std::size_t n, double p, float* clip, float* scale,
                                  unsigned* bad, cudaStream_t stream = nullptr) {
    if (!x || !clip || !bad || n == 0 || n >= (std::size_t{1} << 32) || !detail::valid_percentile(p)) return cudaErrorInvalidValue;
    using state_t = kernels::tensor_select_state;
    auto digits = thrust::make_transform_iterator(x, kernels::digit_of<T>{nullptr, nullptr, 24});
    auto above = thrust::make_transform_iterator(x, kernels::above_selected<T>{nullptr, false});
    const auto count = static_cast<long long>(n);
    std::size_t hist_bytes = 0, reduce_bytes = 0;
    cudaError_t e = cub::DeviceHistogram::HistogramEven(nullptr, hist_bytes, digits, static_cast<unsigned*>(nullptr), 257, 0, 256, count, stream);
    if (e != cudaSuccess) return e;
    e = cub::DeviceReduce::Reduce(nullptr, reduce_bytes, above, static_cast<unsigned*>(nullptr), count, ::cuda::minimum<>{}, 0xffffffffu, stream);
    if (e != cudaSuccess) return e;
    auto align = [](std::size_t b) { return (b + 255) / 256 * 256; };
    const std::size_t need = align(sizeof(state_t)) + align(256 * sizeof(unsigned)) + align(std::max(hist_bytes, reduce_bytes));
    if (!d_temp) {
        temp_bytes = need;
        return cudaSuccess;
    }
    if (temp_bytes < need) return cudaErrorInvalidValue;
    auto* base = static_cast<unsigned char*>(d_temp);
    auto* state = reinterpret_cast<state_t*>(base);
    auto* hist = reinterpret_cast<unsigned*>(base + align(sizeof(state_t)));
    void* cub_temp = base + align(sizeof(state_t)) + align(256 * sizeof(unsigned));

    const auto at = percentile_at(count, p);
    kernels::tensor_select_init<<<1, 1, 0, stream>>>(state, static_cast<unsigned long long>(at.prev));
    for (int shift = 24; shift >= 0; shift -= 8) {
        auto pass = thrust::make_transform_iterator(x, kernels::digit_of<T>{state, &state->bad, shift});
        std::size_t bytes = hist_bytes;
        if ((e = cub::DeviceHistogram::HistogramEven(cub_temp, bytes, pass, hist, 257, 0, 256, count, stream)) != cudaSuccess) return e;
        kernels::tensor_select_choose<<<1, 256, 0, stream>>>(state, hist, shift);
    }
    if (at.next != at.prev) {
        auto next = thrust::make_transform_iterator(x, kernels::above_selected<T>{state, true});
        std::size_t bytes = reduce_bytes;
        if ((e = cub::DeviceReduce::Reduce(cub_temp, bytes, next, &state->min_above, count, ::cuda::minimum<>{}, 0xffffffffu, stream)) !=
            cudaSuccess)
            return e;
    }
    kernels::tensor_select_finish<<<1, 1, 0, stream>>>(state, at.next != at.prev, at.gamma, clip, scale, bad);
    return cudaGetLastError();
}

}  // namespace mixq::cuda
