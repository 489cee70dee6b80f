// Refuses NaN and Inf in a tensor that is about to be quantized, naming the tensor and the first bad index.
#pragma once

#include <cfloat>
#include <cmath>
#include <span>
#include <string>

#include "../core/error.hpp"

namespace mixq {

// Whether every value is finite; branch-free so that it vectorizes.
[[nodiscard]] inline bool all_finite(std::span<const float> x) noexcept {
    unsigned bad = 0;
    for (float v : x) bad |= !(std::fabs(v) <= FLT_MAX);
    return bad == 0;
}

inline void check_finite(std::span<const float> w, const std::string& tensor_name) {
    if (all_finite(w)) return;
    for (std::size_t i = 0; i < w.size(); ++i)
        if (!std::isfinite(w[i]))
            fail("tensor '" + tensor_name + "' contains " + (std::isnan(w[i]) ? "NaN" : "Inf") + " at flat index " +
                 std::to_string(i) + "; refusing to quantize it");
}

}  // namespace mixq
