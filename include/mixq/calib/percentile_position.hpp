// Where numpy's linear-interpolation percentile reads a sorted array, and its lerp: shared by the host
// calibrator (percentile.hpp) and the GPU one (cuda/percentile.cuh), so both select the same ranks.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "../core/error.hpp"

namespace mixq {

// numpy's "linear" percentile (numpy 1.22+) of n values: virtual index (n − 1)·q with q = p / 100,
// the two neighbours' ranks and the fraction between them.
struct percentile_position {
    std::int64_t prev = 0, next = 0;  // 0-based ranks in ascending order; next == prev at the ends
    double gamma = 0.0;
};
[[nodiscard]] inline percentile_position percentile_at(std::int64_t n, double p) {
    if (!(p >= 0.0 && p <= 100.0)) fail("percentile " + std::to_string(p) + " is outside [0, 100]");
    const double q = p / 100.0;
    const double virt = static_cast<double>(n - 1) * q;
    const double prev_d = std::floor(virt);
    percentile_position r{static_cast<std::int64_t>(prev_d), static_cast<std::int64_t>(prev_d) + 1, virt - prev_d};
    if (virt >= static_cast<double>(n - 1)) r.prev = r.next = n - 1;
    if (virt < 0.0) r.prev = r.next = 0;
    return r;
}
// numpy's lerp: neighbours subtracted in fp32 (the array's dtype), then computed from the nearer end in double.
// The product goes through a volatile so that no compiler fuses it with the sum into an FMA (numpy
// rounds both; the GPU calibrator does the same with __dmul_rn / __dadd_rn).
[[nodiscard]] inline double percentile_lerp(float a, float b, double gamma) noexcept {
    const float diff = b - a;
    volatile double t = static_cast<double>(diff) * (gamma >= 0.5 ? 1.0 - gamma : gamma);
    return gamma >= 0.5 ? static_cast<double>(b) - t : static_cast<double>(a) + t;
}

}  // namespace mixq
