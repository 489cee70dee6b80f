// Error sums of a row in 8 lanes (lane = column mod 8) with fused multiply-adds: the SIMD and scalar
// sweeps of a row accumulate in the same order, so both give the same bits.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <future>
#include <vector>

#include "error_stats.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define MIXQ_LANE_SIMD 1
#endif

namespace mixq::detail {

struct row_error {
    double max_abs = 0.0, se = 0.0, ss = 0.0;  // max |w - w'|, Σ(w - w')², Σw²
};

struct lane_error {
    static constexpr std::size_t lanes = 8;
    double se[lanes]{}, ss[lanes]{}, mx[lanes]{};

    // Column c holds x, which became `back`.
    void add(std::size_t c, float x, float back) noexcept {
        const double d = static_cast<double>(x) - static_cast<double>(back);
        const auto j = c % lanes;
        se[j] = std::fma(d, d, se[j]);
        ss[j] = std::fma(static_cast<double>(x), static_cast<double>(x), ss[j]);
        mx[j] = std::max(mx[j], std::fabs(d));
    }
    [[nodiscard]] row_error total() const noexcept {
        row_error r;
        for (std::size_t j = 0; j < lanes; ++j) {
            r.se += se[j];
            r.ss += ss[j];
            r.max_abs = std::max(r.max_abs, mx[j]);
        }
        return r;
    }
};

#ifdef MIXQ_LANE_SIMD
// The same sums for 8 columns at a time (starting at a multiple of 8), kept in registers.
struct lane_error_simd {
    __m256d se0 = _mm256_setzero_pd(), se1 = se0, ss0 = se0, ss1 = se0, mx0 = se0, mx1 = se0;

    void add(__m256 x, __m256 back) noexcept {
        const __m256d sign = _mm256_set1_pd(-0.0);
        const __m256d x0 = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), x1 = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
        const __m256d d0 = _mm256_sub_pd(x0, _mm256_cvtps_pd(_mm256_castps256_ps128(back)));
        const __m256d d1 = _mm256_sub_pd(x1, _mm256_cvtps_pd(_mm256_extractf128_ps(back, 1)));
        se0 = _mm256_fmadd_pd(d0, d0, se0);
        se1 = _mm256_fmadd_pd(d1, d1, se1);
        ss0 = _mm256_fmadd_pd(x0, x0, ss0);
        ss1 = _mm256_fmadd_pd(x1, x1, ss1);
        mx0 = _mm256_max_pd(mx0, _mm256_andnot_pd(sign, d0));
        mx1 = _mm256_max_pd(mx1, _mm256_andnot_pd(sign, d1));
    }
    // Hands the lanes to the scalar sums, which go on with the row's last columns.
    void store(lane_error& e) const noexcept {
        _mm256_storeu_pd(e.se, se0);
        _mm256_storeu_pd(e.se + 4, se1);
        _mm256_storeu_pd(e.ss, ss0);
        _mm256_storeu_pd(e.ss + 4, ss1);
        _mm256_storeu_pd(e.mx, mx0);
        _mm256_storeu_pd(e.mx + 4, mx1);
    }
};
#endif

// What a sweep over rows found: whether every row was accepted (if not, nothing else is meaningful and the
// caller names the first bad value), and the whole tensor's error, its rows' sums added in row order.
struct sweep_result {
    bool ok = true;
    error_stats error;
};

// Calls row(r, err) for r in [0, rows) on up to `threads` threads (contiguous ranges); row returns false to
// refuse its row. The sums are added in row order afterwards, so the result never depends on the split.
template <class Row>
[[nodiscard]] sweep_result sweep_rows(std::size_t rows, unsigned threads, const Row& row) {
    std::vector<row_error> per_row(rows);
    std::vector<unsigned char> ok(rows, 1);
    auto run = [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) ok[r] = row(r, per_row[r]) ? 1 : 0;
    };
    const std::size_t n = std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(rows, 1));
    std::vector<std::future<void>> rest;
    for (std::size_t k = 1; k < n; ++k) rest.push_back(std::async(std::launch::async, run, rows * k / n, rows * (k + 1) / n));
    run(0, rows / n);
    for (auto& f : rest) f.get();
    sweep_result res;
    double se = 0.0, ss = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        res.ok = res.ok && ok[r];
        res.error.max_abs_error = std::max(res.error.max_abs_error, per_row[r].max_abs);
        se += per_row[r].se;
        ss += per_row[r].ss;
    }
    res.error.sum_sq_error = se;
    res.error.sum_sq = ss;
    res.error.rel_rms_error = ss > 0.0 ? std::sqrt(se / ss) : 0.0;
    return res;
}

}  // namespace mixq::detail
