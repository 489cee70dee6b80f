// Host-side interface of the GPU percentile calibrator and int8 quantize wrappers (no CUDA types).
#pragma once

#include <cstdint>
#include <vector>

#include "device.hpp"

namespace mixq::test::gpu {

struct percentile_rows_out {
    std::vector<float> clip, scales;
    unsigned first_bad_row = 0;
};
// x holds values representable in `a`; threads (0: default), max_cached_cols and max_sorted_cols (-1:
// default) override the tuning.
percentile_rows_out percentile_per_channel(const std::vector<float>& x, int rows, int cols, double p, act a, int threads = 0,
                                           int max_cached_cols = -1, int max_sorted_cols = -1);

struct percentile_tensor_out {
    float clip = 0, scale = 0;
    unsigned bad = 0;
};
percentile_tensor_out percentile_per_tensor(const std::vector<float>& x, double p, act a);

struct quantize_out {
    std::vector<std::int8_t> q;
    double max_abs_error = 0;
};
quantize_out quantize_int8(const std::vector<float>& x, const std::vector<float>& scales, long long rows, long long cols, act a);

}  // namespace mixq::test::gpu
