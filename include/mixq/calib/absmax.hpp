// Max calibrator: the clipping magnitude is max |w| (no clipping at all).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "calibrator.hpp"

namespace mixq {

struct absmax {
    [[nodiscard]] float operator()(std::span<const float> v) const noexcept {
        float m = 0.0f;
        for (float x : v) m = std::max(m, std::fabs(x));
        return m;
    }
    [[nodiscard]] std::string describe() const { return "max"; }
    [[nodiscard]] static std::string method() { return "max"; }
};
static_assert(calibrator<absmax>);

}  // namespace mixq
