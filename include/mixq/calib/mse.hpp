// MSE calibrator: the clipping magnitude that minimises the squared quantization error of a codec.
#pragma once

#include <cmath>
#include <span>
#include <string>

#include "../format/codec.hpp"
#include "absmax.hpp"
#include "calibrator.hpp"

namespace mixq {

// Squared error of quantizing `v` with clipping magnitude `clip` through codec C, summed in double.
template <codec C>
[[nodiscard]] double squared_error(std::span<const float> v, float clip) {
    const float s = C::scale(clip);
    double e = 0.0;
    for (float x : v) {
        const double d = static_cast<double>(C::roundtrip(x, s)) - x;
        e += d * d;
    }
    return e;
}
[[nodiscard]] inline double int8_squared_error(std::span<const float> v, float clip) { return squared_error<int8_codec>(v, clip); }

// The grid: clip = max|w| · k / coarse for k = min_k .. coarse, then `fine` steps of max|w| / (coarse ·
// fine) either side of the best; ties keep the larger clip (less clipping). Exact on the values, like
// TensorRT's MSE calibration but without binning: cost is (coarse - min_k + 1 + 2·fine) passes.
// int8 (mse): k = 1..100, fine 20. Below int8 (mse_lowbit<C>: int4 groups, nf4 blocks, fp8 rows) the
// search starts at half the max (k = 50..100) with fine 5: with 4 bits the best clip of a group of
// 32-128 values lies near its max, and one pass per candidate costs a full sweep of the group.
template <codec C>
struct mse_for {
    int coarse = 100;
    int fine = 20;
    int min_k = 1;

    [[nodiscard]] float operator()(std::span<const float> v) const {
        const float mx = absmax{}(v);
        if (mx == 0.0f) return 0.0f;
        float best = mx;
        double best_err = squared_error<C>(v, mx);
        auto consider = [&](float clip) {
            if (!(clip > 0.0f) || clip > mx) return;
            const double e = squared_error<C>(v, clip);
            if (e < best_err || (e == best_err && clip > best)) best = clip, best_err = e;
        };
        for (int k = coarse - 1; k >= min_k; --k) consider(mx * static_cast<float>(k) / static_cast<float>(coarse));
        const float step = mx / static_cast<float>(coarse), centre = best;
        for (int j = -fine; j <= fine; ++j) consider(centre + step * static_cast<float>(j) / static_cast<float>(fine));
        return best;
    }
    [[nodiscard]] std::string describe() const { return "mse"; }
    [[nodiscard]] static std::string method() { return "mse"; }
};
// int8's (a class rather than an alias, so the enumerators named mse elsewhere shadow nothing).
struct mse : mse_for<int8_codec> {};
template <codec C>
inline constexpr mse_for<C> mse_lowbit{100, 5, 50};
static_assert(calibrator<mse> && calibrator<mse_for<int4_codec>>);

}  // namespace mixq
