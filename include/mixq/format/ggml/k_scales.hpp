// The scale searches behind ggml's K-quants (make_qx_quants, make_q3_quants, make_qkx2_quants, make_qp_quants), bit for bit.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "rounding.hpp"

namespace mixq::gguf::detail {

inline constexpr float group_max_eps = 1e-15f;  // GROUP_MAX_EPS: a group this small is all zero

inline int clamp_int(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// Symmetric codes in [-nmax, nmax) for a group, weighted by qw (x^2 without one: rmse_type 1), with 18 trial
// scales around nmax / max; L gets codes + nmax. Returns the scale.
inline float make_qx_quants(int n, int nmax, const float* x, std::int8_t* L, const float* qw = nullptr) {
    const float max = signed_absmax(x, n);
    if (std::fabs(max) < group_max_eps) {
        std::fill(L, L + n, std::int8_t{0});
        return 0.0f;
    }
    auto sums = [&](float iscale, float& sumlx, float& suml2, bool store) {
        sumlx = suml2 = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int l = clamp_int(nearest_int(mul(iscale, x[i])), -nmax, nmax - 1);
            if (store) L[i] = static_cast<std::int8_t>(l + nmax);
            const float w = qw ? qw[i] : x[i] * x[i], fl = static_cast<float>(l);
            sumlx += mul(w * x[i], fl);
            suml2 += mul(w * fl, fl);
        }
    };
    float sumlx, suml2;
    sums(static_cast<float>(-nmax) / max, sumlx, suml2, true);
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        const float iscale = -(mul(0.1f, static_cast<float>(is)) + static_cast<float>(nmax)) / max;
        sums(iscale, sumlx, suml2, false);
        if (suml2 > 0 && mul(sumlx, sumlx) > mul(best, suml2)) {
            sums(iscale, sumlx, suml2, true);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// Q3_K's search: codes in [-nmax, nmax) refined coordinate by coordinate (up to 5 passes) for the x^2-weighted
// error; L gets codes + nmax. Returns the scale.
inline float make_q3_quants(int n, int nmax, const float* x, std::int8_t* L) {
    const float max = signed_absmax(x, n);
    if (std::fabs(max) < group_max_eps) {
        std::fill(L, L + n, std::int8_t{0});
        return 0.0f;
    }
    const float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = clamp_int(nearest_int(mul(iscale, x[i])), -nmax, nmax - 1);
        L[i] = static_cast<std::int8_t>(l);
        const float w = x[i] * x[i], fl = static_cast<float>(l);
        sumlx += mul(w * x[i], fl);
        suml2 += mul(w * fl, fl);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i], li = static_cast<float>(L[i]);
            float slx = sumlx - mul(w * x[i], li);
            if (slx > 0) {
                float sl2 = suml2 - mul(w * li, li);
                const int nl = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (nl != L[i]) {
                    const float fl = static_cast<float>(nl);
                    slx += mul(w * x[i], fl);
                    sl2 += mul(w * fl, fl);
                    if (sl2 > 0 && mul(slx * slx, suml2) > mul(sumlx * sumlx, sl2)) {
                        L[i] = static_cast<std::int8_t>(nl);
                        sumlx = slx, suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Asymmetric codes in [0, nmax] with a min (x ~ scale * L - the_min, the_min >= 0): the weighted least-squares
// scale and min over nstep + 1 trial grids (rmin + rdelta * is + nmax) / (max - min), kept when the weighted
// error (absolute with use_mad, squared otherwise) drops. Returns the scale. ggml's make_qkx3_quants, which the
// importance-weighted quantizers call, is this same computation whenever it is given weights, as they always do.
inline float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                              std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    float min = x[0], max = x[0];
    float sum_w = weights[0], sum_x = mul(sum_w, x[0]);
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += weights[i];
        sum_x += mul(weights[i], x[i]);
    }
    if (min > 0) min = 0;
    if (max == min) {
        std::fill(L, L + n, std::uint8_t{0});
        *the_min = -min;
        return 0.0f;
    }
    const auto err = [&](float d) { return use_mad ? std::fabs(d) : d * d; };
    float iscale = static_cast<float>(nmax) / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        L[i] = static_cast<std::uint8_t>(clamp_int(nearest_int(iscale * (x[i] - min)), 0, nmax));
        const float diff = mul(scale, static_cast<float>(L[i])) + min - x[i];
        best_error += mul(weights[i], err(diff));
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + mul(rdelta, static_cast<float>(is)) + static_cast<float>(nmax)) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const int l = clamp_int(nearest_int(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = static_cast<std::uint8_t>(l);
            const float w = weights[i], fl = static_cast<float>(l);
            sum_l += mul(w, fl);
            sum_l2 += mul(w * fl, fl);
            sum_xl += mul(w * fl, x[i]);
        }
        const float D = mul(sum_w, sum_l2) - mul(sum_l, sum_l);
        if (D > 0) {
            float this_scale = (mul(sum_w, sum_xl) - mul(sum_x, sum_l)) / D;
            float this_min = (mul(sum_l2, sum_x) - mul(sum_l, sum_xl)) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                const float diff = mul(this_scale, static_cast<float>(Laux[i])) + this_min - x[i];
                cur_error += mul(weights[i], err(diff));
            }
            if (cur_error < best_error) {
                std::copy(Laux, Laux + n, L);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

// The importance-weighted search for the K-quants' sub-block scales (make_qp_quants): non-negative x coded in
// [0, nmax] with one scale, the best of 9 trial grids for the weighted squared error, then refined coordinate
// by coordinate (up to 5 passes). Returns the scale.
inline float make_qp_quants(int n, int nmax, const float* x, std::uint8_t* L, const float* qw) {
    float max = 0;
    for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
    if (max < group_max_eps) {
        std::fill(L, L + n, std::uint8_t{0});
        return 0.f;
    }
    float iscale = static_cast<float>(nmax) / max;
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::uint8_t>(nearest_int(iscale * x[i]));
    const float scale = 1 / iscale;
    float best_mse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - mul(scale, static_cast<float>(L[i]));
        best_mse += mul(qw[i] * diff, diff);
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0) continue;
        const float iscale_is = (mul(0.1f, static_cast<float>(is)) + static_cast<float>(nmax)) / max;
        const float scale_is = 1 / iscale_is;
        float mse = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::min(nmax, nearest_int(iscale_is * x[i]));
            const float diff = x[i] - mul(scale_is, static_cast<float>(l));
            mse += mul(qw[i] * diff, diff);
        }
        if (mse < best_mse) best_mse = mse, iscale = iscale_is;
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearest_int(iscale * x[i]));
        L[i] = static_cast<std::uint8_t>(l);
        const float fl = static_cast<float>(l);
        sumlx += mul(qw[i] * x[i], fl);
        suml2 += mul(qw[i] * fl, fl);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = qw[i], li = static_cast<float>(L[i]);
            float slx = sumlx - mul(w * x[i], li);
            float sl2 = suml2 - mul(w * li, li);
            if (slx > 0 && sl2 > 0) {
                const int nl = std::min(nmax, nearest_int(x[i] * sl2 / slx));
                if (nl != L[i]) {
                    const float fl = static_cast<float>(nl);
                    slx += mul(w * x[i], fl);
                    sl2 += mul(w * fl, fl);
                    if (mul(slx * slx, suml2) > mul(sumlx * sumlx, sl2)) {
                        L[i] = static_cast<std::uint8_t>(nl);
                        sumlx = slx, suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (!changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// The importance of each value as llama.cpp's quantizers weigh it: qw * sqrt(sigma2 + x^2); returns their sum,
// added in order as the K-quants sum a sub-block's weights.
inline float importance_weights(const float* x, const float* qw, int n, float sigma2, float* weight) {
    float sum = 0;
    for (int j = 0; j < n; ++j) weight[j] = qw[j] * std::sqrt(mul(x[j], x[j]) + sigma2);
    for (int j = 0; j < n; ++j) sum += weight[j];
    return sum;
}
// The sum of x^2 over n values, each product rounded (as ggml sums it).
inline float sum_squares(const float* x, std::int64_t n) {
    float s = 0;
    for (std::int64_t j = 0; j < n; ++j) s += mul(x[j], x[j]);
    return s;
}

}  // namespace mixq::gguf::detail
