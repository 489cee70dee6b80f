// y[b, n] = Σ_k x[b, k] · dequant(W[n, k]) on the CPU for batch 1..8 (decode): int8 and fp8 rows with one
// scale per row (int8 also per tensor), int4 / nf4 with group scales, ggml blocks. xsimd FMAs; memory-bound like
// the CUDA GEMV.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <tuple>
#include <utility>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "../core/error.hpp"
#include "../detail/static_int.hpp"
#include "../format/block_rows.hpp"
#include "../format/fp8_e4m3.hpp"
#include "../format/packed4.hpp"

namespace mixq {

// Rows are processed R at a time: each x vector loaded feeds R rows' FMAs, so the B·R accumulators are
// independent chains (FMA latency hidden) and x is read once per R rows, not once per row. int8 and int4
// codes are widened in registers (AVX2 / AVX-512); elsewhere a chunk at a time goes into a small fp32
// buffer by plain loops the compiler vectorises.
struct dequant_gemv_tuning {
    static constexpr std::int64_t chunk = 512;  // values of a row per conversion: a multiple of the int4 groups
    static constexpr int max_batch = 8;
    // Rows per block for batch B: B·R accumulators + R weight vectors must fit the vector registers
    // (32 with AVX-512, 16 with AVX2 / NEON).
    template <int B>
    static constexpr int rows_per_block() {
        constexpr int budget = xsimd::batch<float>::size >= 16 ? 16 : 8;
        constexpr int r = budget / B;
        return r < 1 ? 1 : r > 8 ? 8 : r;
    }
};

namespace detail {
// The stride of x's rows in the kernels' copy of it: a whole number of vectors plus one. Rows 2^k floats
// apart would share L1 sets (4K aliasing) and evict each other; padded rows also start aligned.
inline std::int64_t padded_stride(std::int64_t n) {
    constexpr std::int64_t S = static_cast<std::int64_t>(xsimd::batch<float>::size);
    return (n + S - 1) / S * S + S;
}
inline float* x_scratch(std::int64_t n) {  // per thread, reused across calls
    thread_local std::vector<float, xsimd::aligned_allocator<float>> buf;
    buf.resize(static_cast<std::size_t>(n));
    return buf.data();
}

// x copied with the padded row stride: one copy of B·K values per call.
template <int B>
const float* padded_x(const float* x, std::int64_t K, std::int64_t& ldx) {
    ldx = padded_stride(K);
    float* xp = x_scratch(B * ldx);
    for (int b = 0; b < B; ++b) std::copy_n(x + b * K, K, xp + b * ldx);
    return xp;
}

// For int4: x split into its even and odd columns, the columns of the low and of the high nibbles, so the
// codes need no interleaving in registers. Row b's even columns start at b·2·ldx, its odd ones ldx later;
// an odd K's missing last odd column is 0 (it meets the padding nibble).
template <int B>
const float* deinterleaved_x(const float* x, std::int64_t K, std::int64_t& ldx) {
    const std::int64_t half = (K + 1) / 2;
    ldx = padded_stride(half);
    float* xp = x_scratch(2 * B * ldx);
    for (int b = 0; b < B; ++b) {
        float* even = xp + 2 * b * ldx;
        float* odd = even + ldx;
        for (std::int64_t j = 0; j < K / 2; ++j) {
            even[j] = x[b * K + 2 * j];
            odd[j] = x[b * K + 2 * j + 1];
        }
        if (K % 2) {
            even[half - 1] = x[b * K + K - 1];
            odd[half - 1] = 0.0f;
        }
    }
    return xp;
}

// The B x R accumulators of one block of rows: vector FMAs, a scalar tail, and the epilogue that applies
// each row's scale once, after the reduction.
template <int B, int R>
struct row_block {
    using batch = xsimd::batch<float>;
    std::array<std::array<batch, R>, B> acc;
    std::array<std::array<float, R>, B> tail{};
    row_block() {
        for (auto& a : acc) a.fill(batch(0.0f));
    }
    // acc[b][r] += x[b, i .. i + S) · wv[r]; xp rows are ldx apart.
    void add(const std::array<batch, R>& wv, const float* xp, std::int64_t ldx, std::int64_t i) {
        for (int b = 0; b < B; ++b) {
            const auto xv = batch::load_aligned(xp + b * ldx + i);
            for (int r = 0; r < R; ++r) at(b, r) = xsimd::fma(xv, wv[static_cast<std::size_t>(r)], at(b, r));
        }
    }
    // tail[b][r] += x[b, i] · w(r) for one column i.
    template <class W>
    void add_scalar(W w, const float* xp, std::int64_t ldx, std::int64_t i) {
        for (int b = 0; b < B; ++b)
            for (int r = 0; r < R; ++r) tail[static_cast<std::size_t>(b)][static_cast<std::size_t>(r)] += xp[b * ldx + i] * w(r);
    }
    // y[b, n0 + r] for the rows that exist.
    template <class RowScale>
    void store(float* y, std::int64_t N, std::int64_t n0, RowScale row_scale) const {
        for (int r = 0; r < R && n0 + r < N; ++r) {
            const float s = row_scale(n0 + r);
            for (int b = 0; b < B; ++b)
                y[b * N + n0 + r] = (xsimd::hadd(acc[static_cast<std::size_t>(b)][static_cast<std::size_t>(r)]) +
                                     tail[static_cast<std::size_t>(b)][static_cast<std::size_t>(r)]) * s;
        }
    }
    batch& at(int b, int r) { return acc[static_cast<std::size_t>(b)][static_cast<std::size_t>(r)]; }
};

// convert(row, k0, kc, out) writes dequantized values (or int8 codes) [k0, k0 + kc) of a row into out;
// y[b, n] = Σ · row_scale(n).
template <int B, class Convert, class RowScale>
void dequant_gemv_rows(Convert convert, RowScale row_scale, const float* x, std::int64_t N, std::int64_t K, float* y) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t S = static_cast<std::int64_t>(batch::size), CH = dequant_gemv_tuning::chunk;
    constexpr int R = dequant_gemv_tuning::rows_per_block<B>();
    alignas(64) float w[R][CH];
    std::int64_t ldx = 0;
    const float* xp = padded_x<B>(x, K, ldx);
    for (std::int64_t n0 = 0; n0 < N; n0 += R) {
        row_block<B, R> blk;
        for (std::int64_t k0 = 0; k0 < K; k0 += CH) {
            const auto kc = std::min(CH, K - k0);
            for (int r = 0; r < R; ++r) convert(std::min(n0 + r, N - 1), k0, kc, w[r]);  // rows past N: computed, dropped
            std::int64_t i = 0;
            for (; i + S <= kc; i += S) {
                std::array<batch, R> wv;
                for (int r = 0; r < R; ++r) wv[static_cast<std::size_t>(r)] = batch::load_aligned(w[r] + i);
                blk.add(wv, xp + k0, ldx, i);
            }
            for (; i < kc; ++i) blk.add_scalar([&](int r) { return w[r][i]; }, xp + k0, ldx, i);
        }
        blk.store(y, N, n0, row_scale);
    }
}

#if defined(__AVX512F__) || defined(__AVX2__)
// 16 (AVX-512) or 8 (AVX2) int8 codes widened to fp32 in registers: sign-extend, convert. xsimd 8 has
// no int8 -> float conversion of its own, so this one step uses the intrinsics.
template <class Batch = xsimd::batch<float>>  // a template, so the branch for the other width is discarded
Batch load_int8_as_float(const std::int8_t* p) {
#if defined(__AVX512F__)
    if constexpr (Batch::size == 16)
        return Batch(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))));
    else
#endif
        if constexpr (Batch::size == 8)
        return Batch(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))));
    else
        static_assert(Batch::size == 16 || Batch::size == 8, "int8 loads in registers need AVX2 or AVX-512");
}
inline constexpr bool codes_in_registers = xsimd::batch<float>::size == 16 || xsimd::batch<float>::size == 8;

// Decodes S bytes of 4-bit codes of one group (16 with AVX-512, 8 with AVX2) into two fp32 vectors of
// nibble value · scale, the value packed4_view::dequantize gives: the low nibbles (even columns) and the
// high nibbles (odd columns). set_scale is called when the group changes.
//
// AVX-512: the 16 possible values of the codebook (int4 codes or NF4 levels) times the scale fill one
// register and vpermps looks each nibble up in it (it reads only the low 4 bits of each index), so 16
// bytes cost a widen, one shift and two lookups. AVX2 (vpermps indexes only 8 entries): int4 sign-extends
// each byte to 32 bits, an arithmetic shift right by 4 is the high code, the low code is shifted to the
// top first; converted, times the scale. NF4 on AVX2 looks up both halves of the codebook and blends by
// the nibble's bit 3.
template <codebook4 Book, class Batch = xsimd::batch<float>>  // a template, so the branch for the other width is discarded
struct nibble_decoder {
    Batch lut, lut_hi;  // AVX-512: value · scale by nibble; AVX2: int4 the scale, nf4 the two halves
    void set_scale(float s) {
        const float* v = nibble_values(Book).data();
#if defined(__AVX512F__)
        if constexpr (Batch::size == 16) {
            lut = Batch::load_unaligned(v) * Batch(s);
            return;
        }
#endif
        if constexpr (Book == codebook4::nf4 && Batch::size == 8) {
            lut = Batch::load_unaligned(v) * Batch(s);
            lut_hi = Batch::load_unaligned(v + 8) * Batch(s);
        } else {
            lut = Batch(s);
        }
    }
    std::pair<Batch, Batch> operator()(const std::uint8_t* p) const {
#if defined(__AVX512F__)
        if constexpr (Batch::size == 16) {
            const __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
            return {Batch(_mm512_permutexvar_ps(v, lut)), Batch(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), lut))};
        } else
#endif
            if constexpr (Batch::size == 8 && Book == codebook4::int4) {
            const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
            return {Batch(_mm256_cvtepi32_ps(_mm256_srai_epi32(_mm256_slli_epi32(v, 28), 28))) * lut,
                    Batch(_mm256_cvtepi32_ps(_mm256_srai_epi32(v, 4))) * lut};
        } else if constexpr (Batch::size == 8) {
            const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
            auto look = [&](__m256i idx) {  // bit 3 of the nibble moved to the sign bit selects the upper half
                return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lut, idx), _mm256_permutevar8x32_ps(lut_hi, idx),
                                        _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
            };
            return {Batch(look(v)), Batch(look(_mm256_srli_epi32(v, 4)))};
        } else
            static_assert(Batch::size == 16 || Batch::size == 8, "4-bit decoding in registers needs AVX2 or AVX-512");
    }
};

// 4-bit codes without the conversion buffer: S bytes hold 2·S codes of one group (a group is 16, 32 or
// 64 bytes), each nibble's value times its group scale meets the even or the odd x.
template <int B, codebook4 Book>
void gemv_packed4_registers(const packed4_view& W, const float* x, float* y) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t S = static_cast<std::int64_t>(batch::size);
    constexpr int R = dequant_gemv_tuning::rows_per_block<B>();
    const std::int64_t N = W.rows, J = W.row_bytes();
    std::int64_t ldx = 0;
    const float* xe = deinterleaved_x<B>(x, W.cols, ldx);
    const float* xo = xe + ldx;
    const auto& values = nibble_values(Book);
    for (std::int64_t n0 = 0; n0 < N; n0 += R) {
        std::array<const std::uint8_t*, R> rows;
        std::array<const float*, R> scales;
        for (int r = 0; r < R; ++r) {
            const auto n = std::min(n0 + r, N - 1);  // past N: dropped
            rows[static_cast<std::size_t>(r)] = W.packed + n * J;
            scales[static_cast<std::size_t>(r)] = W.scales + n * W.groups();
        }
        row_block<B, R> blk;
        std::array<nibble_decoder<Book, batch>, R> decode;
        std::int64_t j = 0;
        for (; j + S <= J; j += S) {
            const auto g = static_cast<std::size_t>(2 * j / W.group);
            if (2 * j % W.group == 0)  // a group starts (S bytes divide the 16, 32 or 64 of a group)
                for (std::size_t r = 0; r < R; ++r) decode[r].set_scale(scales[r][g]);
            std::array<batch, R> lo, hi;
            for (std::size_t r = 0; r < R; ++r) std::tie(lo[r], hi[r]) = decode[r](rows[r] + j);
            blk.add(lo, xe, 2 * ldx, j);
            blk.add(hi, xo, 2 * ldx, j);
        }
        for (; j < J; ++j) {
            const auto g = static_cast<std::size_t>(2 * j / W.group);
            const auto value = [&](int r, int shift) {
                const auto byte = rows[static_cast<std::size_t>(r)][j];
                return values[(byte >> shift) & 0xf] * scales[static_cast<std::size_t>(r)][g];
            };
            blk.add_scalar([&](int r) { return value(r, 0); }, xe, 2 * ldx, j);
            blk.add_scalar([&](int r) { return value(r, 4); }, xo, 2 * ldx, j);
        }
        blk.store(y, N, n0, [](std::int64_t) { return 1.0f; });
    }
}

// One byte per code without the conversion buffer: codes go straight from memory into FMAs (the
// memory-bound case). load(p) widens S codes to fp32, value(c) one code for the tail; y = Σ · row_scale(n).
template <int B, class Code, class Load, class Value, class RowScale>
void gemv_bytes_registers(const Code* W, const float* x, std::int64_t N, std::int64_t K, float* y, Load load, Value value,
                          RowScale row_scale) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t S = static_cast<std::int64_t>(batch::size);
    constexpr int R = dequant_gemv_tuning::rows_per_block<B>();
    std::int64_t ldx = 0;
    const float* xp = padded_x<B>(x, K, ldx);
    for (std::int64_t n0 = 0; n0 < N; n0 += R) {
        std::array<const Code*, R> rows;
        for (int r = 0; r < R; ++r) rows[static_cast<std::size_t>(r)] = W + std::min(n0 + r, N - 1) * K;  // past N: dropped
        row_block<B, R> blk;
        std::int64_t i = 0;
        for (; i + S <= K; i += S) {
            std::array<batch, R> wv;
            for (int r = 0; r < R; ++r) wv[static_cast<std::size_t>(r)] = load(rows[static_cast<std::size_t>(r)] + i);
            blk.add(wv, xp, ldx, i);
        }
        for (; i < K; ++i) blk.add_scalar([&](int r) { return value(rows[static_cast<std::size_t>(r)][i]); }, xp, ldx, i);
        blk.store(y, N, n0, row_scale);
    }
}

// int8: codes sign-extended in registers, each row's scale (or the tensor's) after the reduction.
template <int B>
void gemv_int8_registers(const std::int8_t* W, std::span<const float> scales, const float* x, std::int64_t N, std::int64_t K, float* y) {
    gemv_bytes_registers<B>(
        W, x, N, K, y, [](const std::int8_t* p) { return load_int8_as_float(p); }, [](std::int8_t c) { return static_cast<float>(c); },
        [&](std::int64_t n) { return scales.size() == 1 ? scales[0] : scales[static_cast<std::size_t>(n)]; });
}
#else
inline constexpr bool codes_in_registers = false;
#endif

template <int B>
void gemv_int8_rows(const std::int8_t* W, std::span<const float> scales, const float* x, std::int64_t N, std::int64_t K, float* y) {
#if defined(__AVX512F__) || defined(__AVX2__)
    if constexpr (codes_in_registers) return gemv_int8_registers<B>(W, scales, x, N, K, y);
#endif
    dequant_gemv_rows<B>(
        [&](std::int64_t n, std::int64_t k0, std::int64_t kc, float* out) {
            const std::int8_t* row = W + n * K + k0;
            for (std::int64_t i = 0; i < kc; ++i) out[i] = static_cast<float>(row[i]);
        },
        [&](std::int64_t n) { return scales.size() == 1 ? scales[0] : scales[static_cast<std::size_t>(n)]; }, x, N, K, y);
}

template <int B, codebook4 Book>
void gemv_packed4_rows(const packed4_view& W, const float* x, float* y) {
#if defined(__AVX512F__) || defined(__AVX2__)
    if constexpr (codes_in_registers) return gemv_packed4_registers<B, Book>(W, x, y);
#endif
    dequant_gemv_rows<B>(
        [&](std::int64_t n, std::int64_t k0, std::int64_t kc, float* out) {  // k0 is a multiple of the group: even
            const std::uint8_t* bytes = W.packed + n * W.row_bytes() + k0 / 2;
            const float* s = W.scales + n * W.groups() + k0 / W.group;
            const auto& values = nibble_values(Book);
            for (std::int64_t j = 0; j < (kc + 1) / 2; ++j) {  // low nibble first; an odd tail writes one past kc
                out[2 * j] = values[bytes[j] & 0xf];
                out[2 * j + 1] = values[bytes[j] >> 4];
            }
            for (std::int64_t g0 = 0; g0 < kc; g0 += W.group) {  // value · scale, as packed4_view::dequantize
                const float scale = s[g0 / W.group];
                for (std::int64_t i = g0; i < std::min(kc, g0 + W.group); ++i) out[i] *= scale;
            }
        },
        [](std::int64_t) { return 1.0f; }, x, W.rows, W.cols, y);
}

// fp8 e4m3 codes to fp32 / 256 in registers: the 7 magnitude bits shifted into an fp16's exponent and
// mantissa (e4m3's bias 7 vs fp16's 15 is the factor 2^8; e4m3 subnormals are fp16 subnormals), the sign
// into fp16's, then the hardware fp16 -> fp32 conversion. The factor 256 goes into the row scale.
inline constexpr float fp8_register_factor = 256.0f;
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__F16C__))
inline constexpr bool fp8_in_registers = codes_in_registers;
template <class Batch = xsimd::batch<float>>
Batch load_fp8_as_float_over_256(const std::uint8_t* p) {
#if defined(__AVX512F__)
    if constexpr (Batch::size == 16) {
        const __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        const __m256i h = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(b, _mm256_set1_epi16(0x7f)), 7),
                                          _mm256_slli_epi16(_mm256_and_si256(b, _mm256_set1_epi16(0x80)), 8));
        return Batch(_mm512_cvtph_ps(h));
    } else
#endif
        if constexpr (Batch::size == 8) {
        const __m128i b = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
        const __m128i h = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(b, _mm_set1_epi16(0x7f)), 7),
                                       _mm_slli_epi16(_mm_and_si128(b, _mm_set1_epi16(0x80)), 8));
        return Batch(_mm256_cvtph_ps(h));
    } else
        static_assert(Batch::size == 16 || Batch::size == 8, "fp8 decoding in registers needs AVX2 + F16C or AVX-512");
}

template <int B>
void gemv_fp8_registers(const std::uint8_t* W, std::span<const float> scales, const float* x, std::int64_t N, std::int64_t K, float* y) {
    gemv_bytes_registers<B>(
        W, x, N, K, y, [](const std::uint8_t* p) { return load_fp8_as_float_over_256(p); },
        [](std::uint8_t c) { return fp8_e4m3_table[c] / fp8_register_factor; },
        [&](std::int64_t n) { return scales[static_cast<std::size_t>(n)] * fp8_register_factor; });
}
#else
inline constexpr bool fp8_in_registers = false;
#endif

template <int B>
void gemv_fp8_rows(const std::uint8_t* W, std::span<const float> scales, const float* x, std::int64_t N, std::int64_t K, float* y) {
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__F16C__))
    if constexpr (fp8_in_registers) return gemv_fp8_registers<B>(W, scales, x, N, K, y);
#endif
    dequant_gemv_rows<B>(
        [&](std::int64_t n, std::int64_t k0, std::int64_t kc, float* out) {
            const std::uint8_t* row = W + n * K + k0;
            for (std::int64_t i = 0; i < kc; ++i) out[i] = fp8_e4m3_table[row[i]];
        },
        [&](std::int64_t n) { return scales[static_cast<std::size_t>(n)]; }, x, N, K, y);
}

// ggml blocks: each row's chunk decoded into the L1 buffer by the format's own decoder (vectorised loops, see
// format/ggml/), then met with x there.
template <int B>
void gemv_block_rows(const block_rows& b, const std::byte* W, const float* x, std::int64_t N, std::int64_t K, float* y) {
    dequant_gemv_rows<B>([&](std::int64_t n, std::int64_t k0, std::int64_t kc, float* out) { b.decode(W + b.offset(n, K, k0), kc, out); },
                         [](std::int64_t) { return 1.0f; }, x, N, K, y);
}

template <class F>
void with_gemv_batch(std::int64_t batch, F f) {
    mixq::detail::with_static_int<1, dequant_gemv_tuning::max_batch>(static_cast<int>(std::clamp<std::int64_t>(batch, 0, 9)), f, [&] {
        throw error(errc::internal, "dequant GEMV: batch " + std::to_string(batch) + " is outside 1..8");
    });
}
}  // namespace detail

// W: [N, K] int8 codes; scales: N values (per row) or 1 (per tensor); x: [batch, K]; y: [batch, N].
inline void gemv_int8(const std::int8_t* W, std::span<const float> scales, const float* x, std::int64_t batch, std::int64_t N,
                      std::int64_t K, float* y) {
    if (scales.size() != 1 && static_cast<std::int64_t>(scales.size()) != N)
        throw error(errc::internal, "gemv_int8: " + std::to_string(scales.size()) + " scales for " + std::to_string(N) + " rows");
    detail::with_gemv_batch(batch, [&](auto B) { detail::gemv_int8_rows<decltype(B)::value>(W, scales, x, N, K, y); });
}

// W: int4 or nf4 codes with group scales (format/packed4.hpp); x: [batch, W.cols]; y: [batch, W.rows].
inline void gemv_packed4(const packed4_view& W, const float* x, std::int64_t batch, float* y) {
    if (W.group <= 0 || W.group % 32 != 0)  // the register paths decode whole 16-byte steps of one group
        throw error(errc::internal, "gemv_packed4: group " + std::to_string(W.group) + " is not a multiple of 32");
    detail::with_gemv_batch(batch, [&](auto B) {
        if (W.book == codebook4::nf4) detail::gemv_packed4_rows<decltype(B)::value, codebook4::nf4>(W, x, y);
        else detail::gemv_packed4_rows<decltype(B)::value, codebook4::int4>(W, x, y);
    });
}
inline void gemv_int4(const packed4_matrix& W, const float* x, std::int64_t batch, float* y) { gemv_packed4(W.view(), x, batch, y); }

// W: [N, K] in blocks that `b` decodes (ggml's types); x: [batch, K]; y: [batch, N].
inline void gemv_blocks(const block_rows& b, const std::byte* W, const float* x, std::int64_t batch, std::int64_t N, std::int64_t K,
                        float* y) {
    if (b.block <= 0 || dequant_gemv_tuning::chunk % b.block != 0 || K % b.block != 0)  // chunks of whole blocks
        throw error(errc::internal, "gemv_blocks: blocks of " + std::to_string(b.block) + " values do not tile rows of " + std::to_string(K) +
                                        " in chunks of " + std::to_string(dequant_gemv_tuning::chunk));
    detail::with_gemv_batch(batch, [&](auto B) { detail::gemv_block_rows<decltype(B)::value>(b, W, x, N, K, y); });
}

// W: [N, K] fp8 e4m3 codes; scales: one per row; x: [batch, K]; y: [batch, N].
inline void gemv_fp8(const std::uint8_t* W, std::span<const float> scales, const float* x, std::int64_t batch, std::int64_t N,
                     std::int64_t K, float* y) {
    if (static_cast<std::int64_t>(scales.size()) != N)
        throw error(errc::internal, "gemv_fp8: " + std::to_string(scales.size()) + " scales for " + std::to_string(N) + " rows");
    detail::with_gemv_batch(batch, [&](auto B) { detail::gemv_fp8_rows<decltype(B)::value>(W, scales, x, N, K, y); });
}

}  // namespace mixq
