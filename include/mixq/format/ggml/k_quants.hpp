// ggml's K-quants Q2_K ... Q6_K: the quantizers of ggml-quants.c bit for bit (the reference ones, and the _impl ones llama-quantize uses with an imatrix), and decoding.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "blocks.hpp"
#include "k_scales.hpp"
#include "legacy.hpp"

namespace mixq::gguf {

namespace detail {
// Q4_K / Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes (get_scale_min_k4).
inline void scale_min_k4(int j, const std::uint8_t* q, std::uint8_t& d, std::uint8_t& m) {
    if (j < 4) {
        d = q[j] & 63, m = q[j + 4] & 63;
    } else {
        d = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}
inline void put_scale_min_k4(int j, std::uint8_t ls, std::uint8_t lm, std::uint8_t* q) {
    if (j < 4) {
        q[j] = ls, q[j + 4] = lm;
    } else {
        q[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        q[j - 4] = static_cast<std::uint8_t>(q[j - 4] | ((ls >> 4) << 6));
        q[j] = static_cast<std::uint8_t>(q[j] | ((lm >> 4) << 6));
    }
}
// Q3_K's sixteen 6-bit scales, stored with an offset of 32.
inline int q3_scale(const std::uint8_t* s, int j) {
    const int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
    return (lo | (((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}
// 2-bit codes: values j, j+32, j+64, j+96 of each half super-block share a byte.
inline void pack_2bit(const std::uint8_t* L, std::uint8_t* qs) {
    for (int j = 0; j < qk_k; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

// Q3_K / Q6_K: with the stored scale of each group of 16 (`scale(j)`, fp16 d times the quantized scale), codes
// are picked again, in [-nmax, nmax), stored + nmax; a group whose scale is 0 keeps the search's codes.
template <int nmax, class Scale>
inline void recode_symmetric(const float* x, std::int8_t* L, Scale&& scale) {
    for (int j = 0; j < qk_k / 16; ++j) {
        const float d = scale(j);
        if (d == 0.0f) continue;
        for (int ii = 0; ii < 16; ++ii)
            L[16 * j + ii] = static_cast<std::int8_t>(clamp_int(nearest_int(x[16 * j + ii] / d), -nmax, nmax - 1) + nmax);
    }
}

// Q4_K / Q5_K: with the stored 6-bit scales and mins, codes in [0, nmax] are picked again; a sub-block whose
// scale is 0 keeps the search's codes.
template <int nmax>
inline void recode_asymmetric(const float* x, std::uint8_t* L, const std::uint8_t* scales, std::uint16_t d16, std::uint16_t dmin16) {
    for (int j = 0; j < qk_k / 32; ++j) {
        std::uint8_t s, m;
        scale_min_k4(j, scales, s, m);
        const float d = unhalf(d16) * s;
        if (d == 0.0f) continue;
        const float dm = unhalf(dmin16) * m;
        for (int ii = 0; ii < 32; ++ii)
            L[32 * j + ii] = static_cast<std::uint8_t>(clamp_int(nearest_int((x[32 * j + ii] + dm) / d), 0, nmax));
    }
}

// Q4_K and Q5_K differ only in their code width, trial grid and high bits.
template <int nmax>
inline void k_scales_mins(const float* x, std::uint8_t* L, std::uint8_t* scales, std::uint16_t& d_out, std::uint16_t& dmin_out,
                          float rmin, int nstep) {
    float mins[qk_k / 32], sc[qk_k / 32], weights[32];
    std::uint8_t Laux[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < qk_k / 32; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += mul(x[32 * j + l], x[32 * j + l]);
        const float av_x = std::sqrt(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
        sc[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep, false);
        if (sc[j] > max_scale) max_scale = sc[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f, inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    std::memset(scales, 0, 12);
    for (int j = 0; j < qk_k / 32; ++j) {
        const auto ls = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_scale * sc[j])));
        const auto lm = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_min * mins[j])));
        put_scale_min_k4(j, ls, lm, scales);
    }
    d_out = half(max_scale / 63.f), dmin_out = half(max_min / 63.f);
    recode_asymmetric<nmax>(x, L, scales, d_out, dmin_out);
}
// Q3_K's codes (0..7) as two low bits plus a high-bit mask: the high bit of value j in bit j / 32 of byte j % 32.
inline void pack_q3_codes(const std::int8_t* L, block_q3_k& y) {
    std::memset(y.hmask, 0, sizeof y.hmask);
    std::uint8_t low[qk_k];
    for (int j = 0; j < qk_k; ++j) {
        int l = L[j];
        if (l > 3) {
            y.hmask[j % 32] = static_cast<std::uint8_t>(y.hmask[j % 32] | (1 << (j / 32)));
            l -= 4;
        }
        low[j] = static_cast<std::uint8_t>(l);
    }
    pack_2bit(low, y.qs);
}

// Q4_K: codes 0..15, values j and j + 32 of each 64 sharing a byte.
inline void pack_q4_k_codes(const std::uint8_t* L, block_q4_k& y) {
    for (int j = 0; j < qk_k; j += 64)
        for (int l = 0; l < 32; ++l) y.qs[j / 2 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
}
// Q5_K: codes 0..31, the low four bits as Q4_K's, the fifth of value n + j (+ 32) in bit 2 n / 64 (+ 1) of qh[j].
inline void pack_q5_k_codes(const std::uint8_t* L, block_q5_k& y) {
    std::memset(y.qh, 0, sizeof y.qh);
    std::uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < qk_k; n += 64) {
        for (int j = 0; j < 32; ++j) {
            int l1 = L[n + j], l2 = L[n + j + 32];
            if (l1 > 15) l1 -= 16, y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | m1);
            if (l2 > 15) l2 -= 16, y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | m2);
            y.qs[n / 2 + j] = static_cast<std::uint8_t>(l1 | (l2 << 4));
        }
        m1 = static_cast<std::uint8_t>(m1 << 2), m2 = static_cast<std::uint8_t>(m2 << 2);
    }
}
// Q6_K: codes 0..63 as four low bits in ql and two high bits in qh, values l, l + 32, l + 64, l + 96 of each
// half super-block together.
inline void pack_q6_k_codes(const std::int8_t* L, block_q6_k& y) {
    for (int j = 0; j < qk_k; j += 128)
        for (int l = 0; l < 32; ++l) {
            const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
            y.ql[j / 2 + l] = static_cast<std::uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
            y.ql[j / 2 + l + 32] = static_cast<std::uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
            y.qh[j / 4 + l] = static_cast<std::uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
        }
}

// With an importance matrix (quantize_row_q4_K_impl / q5_K_impl): each value weighted qw * sqrt(sigma2 + x^2)
// (sigma2 twice the super-block's mean square), sub-block scales and mins by make_qkx3_quants, then both
// quantized to 6 bits by the weighted make_qp_quants.
template <int nmax>
inline void k_scales_mins_weighted(const float* x, const float* qw, std::uint8_t* L, std::uint8_t* scales, std::uint16_t& d_out,
                                   std::uint16_t& dmin_out) {
    float mins[qk_k / 32], sc[qk_k / 32], sw[qk_k / 32], weights[32];
    std::uint8_t Laux[32], Ls[qk_k / 32], Lm[qk_k / 32];
    const float sigma2 = 2 * sum_squares(x, qk_k) / qk_k;
    for (int j = 0; j < qk_k / 32; ++j) {
        sw[j] = importance_weights(x + 32 * j, qw + 32 * j, 32, sigma2, weights);
        sc[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    const float d_block = make_qp_quants(qk_k / 32, 63, sc, Ls, sw), m_block = make_qp_quants(qk_k / 32, 63, mins, Lm, sw);
    std::memset(scales, 0, 12);
    for (int j = 0; j < qk_k / 32; ++j) put_scale_min_k4(j, std::min<std::uint8_t>(63, Ls[j]), std::min<std::uint8_t>(63, Lm[j]), scales);
    d_out = half(d_block), dmin_out = half(m_block);
    recode_asymmetric<nmax>(x, L, scales, d_out, dmin_out);
}

// quantize_row_q2_K_impl: sub-block scales and mins by make_qkx3_quants (squared error), both quantized to 4 bits
// by make_qp_quants weighted by each sub-block's total importance, then the codes picked again.
inline void q2_k_weighted(const float* x, const float* qw, block_q2_k& y) {
    std::uint8_t L[qk_k], Laux[16], Ls[qk_k / 16], Lm[qk_k / 16];
    float mins[qk_k / 16], scales[qk_k / 16], sw[qk_k / 16], weight[16];
    const float sigma2 = sum_squares(x, qk_k) / qk_k;
    for (int j = 0; j < qk_k / 16; ++j) {
        sw[j] = importance_weights(x + 16 * j, qw + 16 * j, 16, sigma2, weight);
        scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    y.d = half(make_qp_quants(qk_k / 16, 15, scales, Ls, sw));
    y.dmin = half(make_qp_quants(qk_k / 16, 15, mins, Lm, sw));
    const float dm = unhalf(y.d), mm = unhalf(y.dmin);
    for (int j = 0; j < qk_k / 16; ++j) y.scales[j] = static_cast<std::uint8_t>(Ls[j] | (Lm[j] << 4));
    for (int j = 0; j < qk_k / 16; ++j) {
        const float d = dm * static_cast<float>(y.scales[j] & 0xF);
        if (d == 0.0f) continue;
        const float m = mm * static_cast<float>(y.scales[j] >> 4);
        for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<std::uint8_t>(clamp_int(nearest_int((x[16 * j + ii] + m) / d), 0, 3));
    }
    pack_2bit(L, y.qs);
}

// quantize_row_q3_K_impl: weighted make_qx_quants for the sub-block scales and, weighted by each sub-block's
// total importance, for the 6-bit scales themselves.
inline void q3_k_weighted(const float* x, const float* qw, block_q3_k& y) {
    std::int8_t L[qk_k], Ls[qk_k / 16];
    float scales[qk_k / 16], sw[qk_k / 16], weight[16];
    const float sigma2 = 2 * sum_squares(x, qk_k) / qk_k;
    for (int j = 0; j < qk_k / 16; ++j) {
        sw[j] = importance_weights(x + 16 * j, qw + 16 * j, 16, sigma2, weight);
        scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, weight);
    }
    std::memset(y.scales, 0, 12);
    const float d_block = make_qx_quants(qk_k / 16, 32, scales, Ls, sw);
    for (int j = 0; j < qk_k / 16; ++j) {
        int l = Ls[j];
        if (j < 8) y.scales[j] = static_cast<std::uint8_t>(l & 0xF);
        else y.scales[j - 8] = static_cast<std::uint8_t>(y.scales[j - 8] | ((l & 0xF) << 4));
        l >>= 4;
        y.scales[j % 4 + 8] = static_cast<std::uint8_t>(y.scales[j % 4 + 8] | (l << (2 * (j / 4))));
    }
    y.d = half(d_block);
    recode_symmetric<4>(x, L, [&](int j) { return unhalf(y.d) * static_cast<float>(q3_scale(y.scales, j)); });
    pack_q3_codes(L, y);
}

}  // namespace detail

// Q2_K: sixteen groups of 16 with a 4-bit scale and a 4-bit min each (make_qkx2_quants, absolute error), codes 0..3.
inline void quantize_q2_k(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    if (qw) {
        detail::encode_blocks_with<block_q2_k>(x, out, qk_k, qw, [](const float* v, const float* q, block_q2_k& y) { detail::q2_k_weighted(v, q, y); });
        return;
    }
    detail::encode_blocks<block_q2_k>(x, out, qk_k, [](const float* v, block_q2_k& y) {
        std::uint8_t L[qk_k], Laux[16];
        float weights[16], mins[qk_k / 16], scales[qk_k / 16];
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < qk_k / 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(v[16 * j + l]);
            scales[j] = detail::make_qkx2_quants(16, 3, v + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0) {
            const float iscale = 15.f / max_scale;
            for (int j = 0; j < qk_k / 16; ++j) y.scales[j] = static_cast<std::uint8_t>(detail::nearest_int(iscale * scales[j]));
            y.d = detail::half(max_scale / 15.f);
        } else {
            for (auto& s : y.scales) s = 0;
            y.d = detail::half(0.f);
        }
        if (max_min > 0) {
            const float iscale = 15.f / max_min;
            for (int j = 0; j < qk_k / 16; ++j)
                y.scales[j] = static_cast<std::uint8_t>(y.scales[j] | (detail::nearest_int(iscale * mins[j]) << 4));
            y.dmin = detail::half(max_min / 15.f);
        } else {
            y.dmin = detail::half(0.f);
        }
        for (int j = 0; j < qk_k / 16; ++j) {
            const float d = detail::unhalf(y.d) * static_cast<float>(y.scales[j] & 0xF);
            if (d == 0.0f) continue;
            const float dm = detail::unhalf(y.dmin) * static_cast<float>(y.scales[j] >> 4);
            for (int ii = 0; ii < 16; ++ii)
                L[16 * j + ii] = static_cast<std::uint8_t>(detail::clamp_int(detail::nearest_int((v[16 * j + ii] + dm) / d), 0, 3));
        }
        detail::pack_2bit(L, y.qs);
    });
}

// Q3_K: sixteen groups of 16 with a signed 6-bit scale (make_q3_quants), codes -4..3 as 2 low bits + a high-bit mask.
inline void quantize_q3_k(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    if (qw) {
        detail::encode_blocks_with<block_q3_k>(x, out, qk_k, qw, [](const float* v, const float* q, block_q3_k& y) { detail::q3_k_weighted(v, q, y); });
        return;
    }
    detail::encode_blocks<block_q3_k>(x, out, qk_k, [](const float* v, block_q3_k& y) {
        std::int8_t L[qk_k];
        float scales[qk_k / 16];
        for (int j = 0; j < qk_k / 16; ++j) scales[j] = detail::make_q3_quants(16, 4, v + 16 * j, L + 16 * j);
        const float max_scale = detail::signed_absmax(scales, qk_k / 16);
        std::memset(y.scales, 0, 12);
        if (max_scale != 0.0f) {
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < qk_k / 16; ++j) {
                int l = detail::clamp_int(static_cast<std::int8_t>(detail::nearest_int(iscale * scales[j])), -32, 31) + 32;
                if (j < 8) y.scales[j] = static_cast<std::uint8_t>(l & 0xF);
                else y.scales[j - 8] = static_cast<std::uint8_t>(y.scales[j - 8] | ((l & 0xF) << 4));
                l >>= 4;
                y.scales[j % 4 + 8] = static_cast<std::uint8_t>(y.scales[j % 4 + 8] | (l << (2 * (j / 4))));
            }
            y.d = detail::half(1 / iscale);
        } else {
            y.d = detail::half(0.f);
        }
        detail::recode_symmetric<4>(v, L, [&](int j) { return detail::unhalf(y.d) * static_cast<float>(detail::q3_scale(y.scales, j)); });
        detail::pack_q3_codes(L, y);
    });
}

// Q4_K: eight groups of 32 with 6-bit scales and mins (make_qkx2_quants, squared error weighted by rms + |x|).
inline void quantize_q4_k(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    detail::encode_blocks_with<block_q4_k>(x, out, qk_k, qw, [](const float* v, const float* q, block_q4_k& y) {
        std::uint8_t L[qk_k];
        if (q) detail::k_scales_mins_weighted<15>(v, q, L, y.scales, y.d, y.dmin);
        else detail::k_scales_mins<15>(v, L, y.scales, y.d, y.dmin, -1.f, 20);
        detail::pack_q4_k_codes(L, y);
    });
}

// Q5_K: as Q4_K with codes 0..31, the fifth bits in qh.
inline void quantize_q5_k(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    detail::encode_blocks_with<block_q5_k>(x, out, qk_k, qw, [](const float* v, const float* q, block_q5_k& y) {
        std::uint8_t L[qk_k];
        if (q) detail::k_scales_mins_weighted<31>(v, q, L, y.scales, y.d, y.dmin);
        else detail::k_scales_mins<31>(v, L, y.scales, y.d, y.dmin, -0.5f, 15);
        detail::pack_q5_k_codes(L, y);
    });
}

// Q6_K: sixteen groups of 16 with a signed 8-bit scale (make_qx_quants), codes -32..31 as 4 low + 2 high bits.
inline void quantize_q6_k(std::span<const float> x, std::byte* out, const float* qw = nullptr) {
    detail::encode_blocks_with<block_q6_k>(x, out, qk_k, qw, [](const float* v, const float* q, block_q6_k& y) {
        std::int8_t L[qk_k];
        float scales[qk_k / 16];
        for (int ib = 0; ib < qk_k / 16; ++ib) scales[ib] = detail::make_qx_quants(16, 32, v + 16 * ib, L + 16 * ib, q ? q + 16 * ib : nullptr);
        const float max_scale = detail::signed_absmax(scales, qk_k / 16);
        if (std::fabs(max_scale) < detail::group_max_eps) {
            y = block_q6_k{};  // all zero, d = 0
            return;
        }
        const float iscale = -128.f / max_scale;
        y.d = detail::half(1 / iscale);
        for (int ib = 0; ib < qk_k / 16; ++ib)
            y.scales[ib] = static_cast<std::int8_t>(std::min(127, detail::nearest_int(iscale * scales[ib])));
        detail::recode_symmetric<32>(v, L, [&](int j) { return detail::unhalf(y.d) * static_cast<float>(y.scales[j]); });
        detail::pack_q6_k_codes(L, y);
    });
}

// Decoding, as ggml's dequantize_row_*, a run of 16 or 32 values with one scale at a time (loops the compiler
// vectorises). Bit for bit: every product of an fp16 scale, a sub-block scale of at most 8 bits and a code of
// at most 6 bits is exact in fp32 or rounded in ggml's order ((d · scale) · code), so fusing it with the min
// changes nothing.
inline void dequantize_q2_k(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q2_k>(in, n, out, qk_k, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q2_k, d)), dmin = detail::half_at(b + offsetof(block_q2_k, dmin));
        const auto* scales = detail::bytes_at(b + offsetof(block_q2_k, scales));
        const auto* q = detail::bytes_at(b + offsetof(block_q2_k, qs));
        for (int half = 0; half < 2; ++half, q += 32, scales += 8, y += 128) {
            float dl[8], ml[8];  // the eight groups of 16 of this half: codes at shifts 0, 2, 4, 6 of q[0..15] and q[16..31]
            for (int j = 0; j < 8; ++j) dl[j] = d * static_cast<float>(scales[j] & 0xF), ml[j] = dmin * static_cast<float>(scales[j] >> 4);
            for (int l = 0; l < 16; ++l)  // constant shifts: one loop the compiler vectorises whole (25 % faster than a loop per group)
                for (int g = 0; g < 8; ++g) y[16 * g + l] = dl[g] * static_cast<float>((q[l + 16 * (g % 2)] >> (2 * (g / 2))) & 3) - ml[g];
        }
    });
}
inline void dequantize_q3_k(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q3_k>(in, n, out, qk_k, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q3_k, d));
        const auto* scales = detail::bytes_at(b + offsetof(block_q3_k, scales));
        const auto* hmask = detail::bytes_at(b + offsetof(block_q3_k, hmask));
        const auto* q = detail::bytes_at(b + offsetof(block_q3_k, qs));
        int is = 0, bit = 0;
        for (int half = 0; half < qk_k; half += 128, q += 32)
            for (int shift = 0; shift < 8; shift += 2, ++bit)
                for (int h = 0; h < 32; h += 16, y += 16) {
                    const float dl = d * static_cast<float>(detail::q3_scale(scales, is++));
                    for (int l = 0; l < 16; ++l)
                        y[l] = dl * static_cast<float>(((q[h + l] >> shift) & 3) - (((hmask[h + l] >> bit) & 1) ? 0 : 4));
                }
    });
}
namespace detail {
// Q4_K / Q5_K: eight sub-blocks of 32 with a 6-bit scale and min each; Fifth: Q5_K's high bits in qh.
template <class Block, bool Fifth>
inline void decode_k4(const std::byte* b, float* __restrict y) {
    const float d = half_at(b + offsetof(Block, d)), dmin = half_at(b + offsetof(Block, dmin));
    const auto* scales = bytes_at(b + offsetof(Block, scales));
    const auto* q = bytes_at(b + offsetof(Block, qs));
    const std::uint8_t* qh = nullptr;
    if constexpr (Fifth) qh = bytes_at(b + offsetof(Block, qh));
    for (int j = 0; j < 8; j += 2, q += 32, y += 64) {
        std::uint8_t s1, m1, s2, m2;
        scale_min_k4(j, scales, s1, m1);
        scale_min_k4(j + 1, scales, s2, m2);
        const float d1 = d * static_cast<float>(s1), c1 = dmin * static_cast<float>(m1);
        const float d2 = d * static_cast<float>(s2), c2 = dmin * static_cast<float>(m2);
        if constexpr (Fifth) {
            for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>((q[l] & 0xF) | (((qh[l] >> j) & 1) << 4)) - c1;
            for (int l = 0; l < 32; ++l) y[l + 32] = d2 * static_cast<float>((q[l] >> 4) | (((qh[l] >> (j + 1)) & 1) << 4)) - c2;
        } else {
            for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0xF) - c1;
            for (int l = 0; l < 32; ++l) y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - c2;
        }
    }
}
}  // namespace detail
inline void dequantize_q4_k(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q4_k>(in, n, out, qk_k, detail::decode_k4<block_q4_k, false>);
}
inline void dequantize_q5_k(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q5_k>(in, n, out, qk_k, detail::decode_k4<block_q5_k, true>);
}
inline void dequantize_q6_k(const std::byte* in, std::int64_t n, float* out) {
    detail::decode_in_place<block_q6_k>(in, n, out, qk_k, [](const std::byte* b, float* __restrict y) {
        const float d = detail::half_at(b + offsetof(block_q6_k, d));
        for (int half = 0; half < 2; ++half, y += 128) {
            const auto* ql = detail::bytes_at(b + offsetof(block_q6_k, ql)) + 64 * half;
            const auto* qh = detail::bytes_at(b + offsetof(block_q6_k, qh)) + 32 * half;
            const auto* sc = detail::bytes_at(b + offsetof(block_q6_k, scales)) + 8 * half;
            for (int h = 0; h < 32; h += 16) {
                float s[4];  // ggml's q1..q4: low nibbles of ql[l], ql[l + 32], then their high nibbles; qh's bit pairs
                for (int k = 0; k < 4; ++k) s[k] = d * static_cast<float>(static_cast<std::int8_t>(sc[h / 16 + 2 * k]));
                for (int l = h; l < h + 16; ++l)
                    for (int k = 0; k < 4; ++k) {
                        const int low = (ql[l + 32 * (k % 2)] >> (4 * (k / 2))) & 0xF, high = (qh[l] >> (2 * k)) & 3;
                        y[32 * k + l] = s[k] * static_cast<float>((low | (high << 4)) - 32);
                    }
            }
        }
    });
}

}  // namespace mixq::gguf
