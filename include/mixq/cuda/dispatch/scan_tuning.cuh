// Tuning of the SSM kernels: block shapes of the chunked scan per architecture, and threads of the
// element-wise decode / conv kernels. Plain constexpr structs; tests pass their own.
#pragma once

#include "arch.cuh"

namespace mixq::cuda {

// One block scans one (sequence, channel) in chunks of threads * items_per_thread time steps.
struct scan_tuning {
    int threads;
    int items_per_thread;
    [[nodiscard]] constexpr int chunk() const { return threads * items_per_thread; }
};

// The block shapes compiled into the library; a tuning must be one of them.
inline constexpr scan_tuning scan_shapes[] = {{32, 4}, {32, 8}, {32, 16}, {64, 16}, {128, 16}};

// Per architecture: the shapes to use by sequence length, shortest chunk first. The first whose chunk
// covers L is used (no idle threads on short prompts), else the last (the longest chunk it allows).
struct scan_policy {
    scan_tuning by_length[4];
};
inline constexpr scan_policy scan_policy_sm80{{{32, 4}, {32, 16}, {64, 16}, {64, 16}}};
inline constexpr scan_policy scan_policy_sm90{{{32, 4}, {32, 16}, {64, 16}, {128, 16}}};

// Element-wise kernels (decode step, conv1d): threads per block.
struct elementwise_tuning {
    int threads;
};
inline constexpr elementwise_tuning elementwise_tuning_sm80{128};
inline constexpr elementwise_tuning elementwise_tuning_sm90{256};

inline scan_tuning default_scan_tuning(int L) {
    const scan_policy& p = detail::compute_major() >= 9 ? scan_policy_sm90 : scan_policy_sm80;
    for (const auto& t : p.by_length)
        if (t.chunk() >= L) return t;
    return p.by_length[3];
}
inline elementwise_tuning default_elementwise_tuning() {
    return detail::compute_major() >= 9 ? elementwise_tuning_sm90 : elementwise_tuning_sm80;
}

}  // namespace mixq::cuda
