// Entropy calibrator: TensorRT's KL-divergence threshold over a 2048-bin histogram of |w|.
#pragma once

#include <span>
#include <string>

#include "calibrator.hpp"
#include "histogram.hpp"

namespace mixq {

struct entropy {
    [[nodiscard]] float operator()(std::span<const float> v) const {
        histogram_observer h;
        h.observe(v);
        return h.entropy();
    }
    [[nodiscard]] std::string describe() const { return "entropy"; }
    [[nodiscard]] static std::string method() { return "entropy"; }
};
static_assert(calibrator<entropy>);

}  // namespace mixq
