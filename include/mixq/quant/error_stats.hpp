// Quantization error of a tensor: max |w - dequant(w)| and relative RMS error, accumulated in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace mixq {

struct error_stats {
    double max_abs_error = 0.0;
    double rel_rms_error = 0.0;  // sqrt(Σ(w - w')² / Σw²); 0 when the tensor is all zeros
    double sum_sq_error = 0.0, sum_sq = 0.0;  // Σ(w - w')² and Σw²: what merging the stats of parts needs
};

// The stats of a tensor from those of its parts (in order, so the sums are the same every run).
[[nodiscard]] inline error_stats merge_error(std::span<const error_stats> parts) {
    error_stats m;
    for (const auto& p : parts) {
        m.max_abs_error = std::max(m.max_abs_error, p.max_abs_error);
        m.sum_sq_error += p.sum_sq_error;
        m.sum_sq += p.sum_sq;
    }
    m.rel_rms_error = m.sum_sq > 0.0 ? std::sqrt(m.sum_sq_error / m.sum_sq) : 0.0;
    return m;
}

// `dequant(i)` returns the dequantized value of element i.
template <class Dequant>
[[nodiscard]] error_stats measure_error(std::span<const float> w, Dequant dequant) {
    double max_abs = 0.0, se = 0.0, ss = 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double d = static_cast<double>(w[i]) - static_cast<double>(dequant(i));
        max_abs = std::max(max_abs, std::fabs(d));
        se += d * d;
        ss += static_cast<double>(w[i]) * static_cast<double>(w[i]);
    }
    return {max_abs, ss > 0.0 ? std::sqrt(se / ss) : 0.0, se, ss};
}

}  // namespace mixq
