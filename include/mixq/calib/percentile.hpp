// Percentile calibrator: the P-th percentile of |w| with numpy's default (linear) interpolation, by selection.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "calibrator.hpp"
#include "percentile_position.hpp"

namespace mixq {

// numpy.percentile(|v|, p) bit for bit. `scratch` is reused between calls; two selections instead of a sort.
[[nodiscard]] inline double abs_percentile(std::span<const float> v, double p, std::vector<float>& scratch) {
    if (v.empty()) return 0.0;
    const auto at = percentile_at(static_cast<std::int64_t>(v.size()), p);
    scratch.resize(v.size());
    std::transform(v.begin(), v.end(), scratch.begin(), [](float x) { return std::fabs(x); });
    auto nth = scratch.begin() + at.prev;
    std::nth_element(scratch.begin(), nth, scratch.end());
    const float a = *nth;
    const float b = at.next == at.prev ? a : *std::min_element(nth + 1, scratch.end());
    return percentile_lerp(a, b, at.gamma);
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
