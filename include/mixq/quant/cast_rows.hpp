// fp16 / bf16 casts of a tensor in fixed chunks on several threads, written as bytes with the error sums
// alongside; F16C converts 8 values at a time where the CPU has it (the bits of core/half.hpp for finite values).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "check_finite.hpp"
#include "float_cast.hpp"
#include "lane_error.hpp"

namespace mixq {

namespace detail {
inline constexpr std::size_t cast_chunk = 8192;  // values per unit of work: fixed, so the sums never depend on threads

// One chunk: false if a value is not finite or overflows the target (Inf after the cast).
template <class Cast>
bool cast_chunk_to(std::span<const float> x, std::byte* out, row_error& err) noexcept {
    if (!all_finite(x)) return false;
    lane_error e;
    std::size_t c = 0;
#if defined(MIXQ_LANE_SIMD) && defined(__F16C__)
    if constexpr (std::is_same_v<Cast, fp16_cast>) {
        lane_error_simd v;
        const __m256 inf = _mm256_set1_ps(INFINITY), sign = _mm256_set1_ps(-0.0f);
        int overflow = 0;
        for (; c + lane_error::lanes <= x.size(); c += lane_error::lanes) {
            const __m256 xv = _mm256_loadu_ps(x.data() + c);
            const __m128i h = _mm256_cvtps_ph(xv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * c), h);
            const __m256 back = _mm256_cvtph_ps(h);
            overflow |= _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, back), inf, _CMP_EQ_OQ));
            v.add(xv, back);
        }
        if (overflow) return false;
        v.store(e);
    }
#endif
    for (; c < x.size(); ++c) {
        const std::uint16_t b = Cast::encode(x[c]);
        const float back = Cast::decode(b);
        if (std::isinf(back)) return false;
        std::memcpy(out + 2 * c, &b, 2);
        e.add(c, x[c], back);
    }
    err = e.total();
    return true;
}
}  // namespace detail

// w cast to Cast's 16-bit format into out (2 bytes per value). ok = false if a value is not finite or
// overflows; the caller then names it (check_finite, cast_all).
template <class Cast>
[[nodiscard]] detail::sweep_result cast_rows(std::span<const float> w, std::span<std::byte> out, unsigned threads = 1) {
    const std::size_t chunks = (w.size() + detail::cast_chunk - 1) / detail::cast_chunk;
    return detail::sweep_rows(chunks, threads, [&](std::size_t k, detail::row_error& err) {
        const auto at = k * detail::cast_chunk;
        return detail::cast_chunk_to<Cast>(w.subspan(at, std::min(detail::cast_chunk, w.size() - at)), out.data() + 2 * at, err);
    });
}

}  // namespace mixq
