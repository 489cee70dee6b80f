// The perplexity change of one model against another on the same windows, with its paired standard error.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "../core/error.hpp"
#include "perplexity.hpp"

namespace mixq {

// percent: 100 (ppl(x) / ppl(ref) - 1), exactly as the two perplexities give it. stderr_percent: how much
// that number would move on another evaluation set of as many windows from the same text. The windows are
// the samples: the per-window NLL differences are paired, so what both models get wrong alike cancels, and
// their spread over sqrt(windows) is the standard error of the mean NLL change, taken to percent by the
// derivative of exp (the delta method; exact to first order for changes this small).
struct perplexity_change {
    double percent = 0.0;
    double stderr_percent = 0.0;
    std::int64_t windows = 0;
};

[[nodiscard]] inline perplexity_change paired_change(const perplexity_result& ref, const perplexity_result& x) {
    const auto n = ref.window_nll.size();
    if (n != x.window_nll.size() || ref.window != x.window || n == 0)
        throw error(errc::internal, "paired_change: the two evaluations are not of the same windows (" + std::to_string(n) + " windows of " +
             std::to_string(ref.window) + " against " + std::to_string(x.window_nll.size()) + " of " + std::to_string(x.window) + ")");
    const double per_window = static_cast<double>(ref.window - 1);  // tokens scored per window
    double mean = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean += (x.window_nll[i] - ref.window_nll[i]) / per_window;
    mean /= static_cast<double>(n);
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = (x.window_nll[i] - ref.window_nll[i]) / per_window - mean;
        ss += d * d;
    }
    const double se = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n)) : 0.0;
    const double ratio = x.perplexity / ref.perplexity;
    return {100.0 * (ratio - 1.0), 100.0 * ratio * se, static_cast<std::int64_t>(n)};
}

}  // namespace mixq
