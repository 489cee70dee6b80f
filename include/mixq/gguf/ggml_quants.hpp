// Q8_0 and Q4_0 blocks bit-exact with ggml's reference quantizers (ggml-quants.c), and their decoding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>

#include "../core/half.hpp"

namespace mixq::gguf {

inline constexpr std::int64_t qk = 32;  // values per Q8_0 / Q4_0 block

namespace detail {
inline void put_half(std::byte* out, float d) {
    const std::uint16_t h = float_to_half_bits(d);  // round to nearest even, as GGML_FP32_TO_FP16
    std::memcpy(out, &h, 2);
}
// An optimisation barrier: the compiler must round p to float here, so a following add is never
// contracted into a fused multiply-add (GCC contracts across statements in GNU modes with -mfma).
inline void no_fuse(float& p) {
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(p));
#else
    volatile float v = p;
    p = v;
#endif
}
inline float get_half(const std::byte* in) {
    std::uint16_t h;
    std::memcpy(&h, in, 2);
    return half_bits_to_float(h);
}
}  // namespace detail

// One row (a multiple of 32 values) into 34-byte blocks: fp16 d = absmax / 127, then roundf(x / d) with
// the reciprocal computed in float, exactly as quantize_row_q8_0_ref does.
inline void quantize_q8_0(std::span<const float> x, std::byte* out) {
    for (std::size_t b = 0; b + qk <= x.size(); b += qk, out += 34) {
        float amax = 0.0f;
        for (std::int64_t j = 0; j < qk; ++j) amax = std::max(amax, std::fabs(x[b + j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        detail::put_half(out, d);
        for (std::int64_t j = 0; j < qk; ++j)
            out[2 + j] = static_cast<std::byte>(static_cast<std::int8_t>(std::roundf(x[b + j] * id)));
    }
}

// One row into 18-byte blocks, as quantize_row_q4_0_ref: d = (the value of largest magnitude, the first
// one on ties) / -8, codes min(15, (int8)(x * id + 8.5)); value j in the low nibble of byte j, value
// j + 16 in the high nibble. The product is rounded before the add, as llama.cpp's quantizer computes it
// (llama_model_quantize of llama-cpp-python 0.3.36 and the gguf package agree; a fused multiply-add
// differs in about one block in a million on a Mamba-130M-sized model), so it is kept from being fused.
inline void quantize_q4_0(std::span<const float> x, std::byte* out) {
    for (std::size_t b = 0; b + qk <= x.size(); b += qk, out += 18) {
        float amax = 0.0f, max = 0.0f;
        for (std::int64_t j = 0; j < qk; ++j)
            if (amax < std::fabs(x[b + j])) {
                amax = std::fabs(x[b + j]);
                max = x[b + j];
            }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        detail::put_half(out, d);
        auto code = [&](float v) {
            float p = v * id;
            detail::no_fuse(p);
            const int q = static_cast<std::int8_t>(p + 8.5f);
            return static_cast<std::uint8_t>(std::min(15, q));
        };
        for (std::int64_t j = 0; j < qk / 2; ++j)
            out[2 + j] = static_cast<std::byte>(code(x[b + j]) | code(x[b + j + qk / 2]) << 4);
    }
}

// Decoding: d * q, exact in fp32 (an fp16 times a small integer).
inline void dequantize_q8_0(const std::byte* in, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n; b += qk, in += 34) {
        const float d = detail::get_half(in);
        for (std::int64_t j = 0; j < qk; ++j) out[b + j] = d * static_cast<float>(static_cast<std::int8_t>(in[2 + j]));
    }
}
inline void dequantize_q4_0(const std::byte* in, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n; b += qk, in += 18) {
        const float d = detail::get_half(in);
        for (std::int64_t j = 0; j < qk / 2; ++j) {
            const auto q = static_cast<std::uint8_t>(in[2 + j]);
            out[b + j] = d * static_cast<float>((q & 0x0f) - 8);
            out[b + j + qk / 2] = d * static_cast<float>((q >> 4) - 8);
        }
    }
}

}  // namespace mixq::gguf
