// Per-channel int8 of a row-major tensor in one sweep: each row's finiteness, scale, codes and error sums
// while the row is in cache, on several threads, with the same codes as format/int8.hpp's int8_code.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../format/int8.hpp"
#include "check_finite.hpp"
#include "error_stats.hpp"
#include "lane_error.hpp"

namespace mixq {

namespace detail {

// The codes of one row under scale s, written as bytes, and its error sums (lane_error.hpp). Clamping
// before rounding gives the codes of round-then-clamp, since the bounds are integers.
inline row_error int8_row(std::span<const float> x, float s, std::byte* codes) noexcept {
    lane_error e;
    std::size_t c = 0;
    const std::size_t n = x.size();
#ifdef MIXQ_LANE_SIMD
    {
        const __m256 sv = _mm256_set1_ps(s), lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
        lane_error_simd v;
        for (; c + lane_error::lanes <= n; c += lane_error::lanes) {
            const __m256 xv = _mm256_loadu_ps(x.data() + c);
            const __m256 q = _mm256_round_ps(_mm256_min_ps(_mm256_max_ps(_mm256_div_ps(xv, sv), lo), hi),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            const __m256i qi = _mm256_cvtps_epi32(q);
            const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1));
            _mm_storel_epi64(reinterpret_cast<__m128i*>(codes + c), _mm_packs_epi16(q16, q16));
            v.add(xv, _mm256_mul_ps(q, sv));
        }
        v.store(e);
    }
#endif
    for (; c < n; ++c) {  // the whole row without AVX2 + FMA, else its last n mod 8 values
        const float q = std::nearbyint(std::clamp(x[c] / s, -128.0f, 127.0f));
        codes[c] = static_cast<std::byte>(static_cast<std::uint8_t>(static_cast<std::int8_t>(q)));
        e.add(c, x[c], q * s);
    }
    return e.total();
}

}  // namespace detail

// w is [rows, cols] row-major; codes (rows * cols bytes) and scales (rows) are written. `calibrate(row)`
// gives a row's clipping magnitude. Rows are split across `threads` threads; the result never depends
// on the split. A row with NaN or Inf is refused before it is calibrated (ok = false).
template <class Calibrate>
[[nodiscard]] detail::sweep_result quantize_int8_rows(std::span<const float> w, std::int64_t rows, const Calibrate& calibrate,
                                                      std::span<std::byte> codes, std::span<float> scales, unsigned threads = 1) {
    const auto nr = static_cast<std::size_t>(rows);
    const auto cols = nr ? w.size() / nr : 0;
    return detail::sweep_rows(nr, threads, [&](std::size_t r, detail::row_error& err) {
        const auto row = w.subspan(r * cols, cols);
        if (!all_finite(row)) return false;
        scales[r] = int8_scale(calibrate(row));
        err = detail::int8_row(row, scales[r], codes.data() + r * cols);
        return true;
    });
}

}  // namespace mixq
