// Percentile calibrator: the P-th percentile of |w| with numpy's default (linear) interpolation, by selection.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "calibrator.hpp"

namespace mixq {

// numpy.percentile(|v|, p) bit for bit (numpy 1.22+ "linear" method): virtual index (n − 1)·q with
// q = p / 100, neighbours subtracted in fp32, lerp computed from the nearer end in double.
// `scratch` is reused between calls; two selections instead of a sort.
[[nodiscard]] inline double abs_percentile(std::span<const float> v, double p, std::vector<float>& scratch) {
    if (v.empty()) return 0.0;
    if (!(p >= 0.0 && p <= 100.0)) fail("percentile " + std::to_string(p) + " is outside [0, 100]");
    const auto n = static_cast<std::int64_t>(v.size());
    scratch.resize(v.size());
    std::transform(v.begin(), v.end(), scratch.begin(), [](float x) { return std::fabs(x); });
    const double q = p / 100.0;
    const double virt = static_cast<double>(n - 1) * q;
    const double prev_d = std::floor(virt);
    std::int64_t prev = static_cast<std::int64_t>(prev_d);
    std::int64_t next = prev + 1;
    if (virt >= static_cast<double>(n - 1)) prev = next = n - 1;
    if (virt < 0.0) prev = next = 0;
    const double gamma = virt - prev_d;
    auto nth = scratch.begin() + prev;
    std::nth_element(scratch.begin(), nth, scratch.end());
    const float a = *nth;
    const float b = next == prev ? a : *std::min_element(nth + 1, scratch.end());
    const float diff = b - a;  // numpy subtracts in the array's dtype (fp32)
    return gamma >= 0.5 ? static_cast<double>(b) - static_cast<double>(diff) * (1.0 - gamma)
                        : static_cast<double>(a) + static_cast<double>(diff) * gamma;
}

struct percentile {
    double p = 99.99;

    [[nodiscard]] float operator()(std::span<const float> v) const {
        thread_local std::vector<float> scratch;
        return static_cast<float>(abs_percentile(v, p, scratch));
    }
    [[nodiscard]] std::string describe() const {
        std::ostringstream s;
        s << "percentile:" << p;
        return s.str();
    }
    [[nodiscard]] static std::string method() { return "percentile"; }
};
static_assert(calibrator<percentile>);

}  // namespace mixq
