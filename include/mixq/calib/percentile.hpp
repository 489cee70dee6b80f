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

// The k largest |v| in ascending order into `top` (k <= v.size()): one pass in which a block of 64 values
// is looked at one by one only when one of them beats the k-th largest so far, which after the first
// blocks is rare. A high percentile of a row (99.99 of a few thousand values: the top two) needs no more.
inline void top_abs(std::span<const float> v, std::size_t k, std::vector<float>& top) {
    top.assign(k, -1.0f);  // below every |x|: the first k values always enter
    auto insert = [&](float a) {
        if (!(a > top[0])) return;
        std::size_t i = 1;
        for (; i < k && top[i] < a; ++i) top[i - 1] = top[i];
        top[i - 1] = a;
    };
    constexpr std::size_t lanes = 16, block = 64;
    std::size_t i = 0;
    for (; i + block <= v.size(); i += block) {
        float m[lanes]{};  // the block's maximum in 16 lanes, so that it vectorizes
        for (std::size_t off = 0; off < block; off += lanes)
            for (std::size_t j = 0; j < lanes; ++j) m[j] = std::max(m[j], std::fabs(v[i + off + j]));
        if (*std::max_element(m, m + lanes) > top[0])
            for (std::size_t j = 0; j < block; ++j) insert(std::fabs(v[i + j]));
    }
    for (; i < v.size(); ++i) insert(std::fabs(v[i]));
}

// numpy.percentile(|v|, p) bit for bit. `scratch` is reused between calls. The two ranks it reads are
// found among the top few values when p is high, otherwise by two selections instead of a sort.
[[nodiscard]] inline double abs_percentile(std::span<const float> v, double p, std::vector<float>& scratch) {
    if (v.empty()) return 0.0;
    const auto at = percentile_at(static_cast<std::int64_t>(v.size()), p);
    if (const auto k = v.size() - static_cast<std::size_t>(at.prev); k <= 16) {
        top_abs(v, k, scratch);  // rank prev is the k-th largest, rank prev + 1 the next one up
        return percentile_lerp(scratch[0], at.next == at.prev ? scratch[0] : scratch[1], at.gamma);
    }
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
