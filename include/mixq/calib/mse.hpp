// MSE calibrator: the clipping magnitude that minimises the mean squared int8 quantization error.
#pragma once

#include <cmath>
#include <span>
#include <string>

#include "../quant/int8_code.hpp"
#include "absmax.hpp"
#include "calibrator.hpp"

namespace mixq {

// Squared error of quantizing `v` with clipping magnitude `clip`, summed in double.
[[nodiscard]] inline double int8_squared_error(std::span<const float> v, float clip) {
    const float s = int8_scale(clip);
    double e = 0.0;
    for (float x : v) {
        const double d = static_cast<double>(int8_code(x, s)) * s - x;
        e += d * d;
    }
    return e;
}

// Search over clip = max|w| · k / coarse (k = 1..coarse), then `fine` steps either side of the best;
// ties keep the larger clip (less clipping). Exact on the values, like TensorRT's MSE calibration
// but without binning: cost is (coarse + 2·fine) passes over the values.
struct mse {
    int coarse = 100;
    int fine = 20;

    [[nodiscard]] float operator()(std::span<const float> v) const {
        const float mx = absmax{}(v);
        if (mx == 0.0f) return 0.0f;
        float best = mx;
        double best_err = int8_squared_error(v, mx);
        auto consider = [&](float clip) {
            if (!(clip > 0.0f) || clip > mx) return;
            const double e = int8_squared_error(v, clip);
            if (e < best_err || (e == best_err && clip > best)) best = clip, best_err = e;
        };
        for (int k = coarse - 1; k >= 1; --k) consider(mx * static_cast<float>(k) / static_cast<float>(coarse));
        const float step = mx / static_cast<float>(coarse), centre = best;
        for (int j = -fine; j <= fine; ++j) consider(centre + step * static_cast<float>(j) / static_cast<float>(fine));
        return best;
    }
    [[nodiscard]] std::string describe() const { return "mse"; }
    [[nodiscard]] static std::string method() { return "mse"; }
};
static_assert(calibrator<mse>);

}  // namespace mixq
