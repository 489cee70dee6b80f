// ggml's scalar rounding helpers, reproduced bit for bit: fp16 scales, nearest_int, and products kept unfused.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../../core/half.hpp"

namespace mixq::gguf::detail {

// An optimisation barrier: the compiler must round p to float here, so a following add is never
// contracted into a fused multiply-add. GCC contracts across statements in GNU modes with -mfma, while
// llama.cpp's quantizers (ggml-base, built without FMA) round every product first; one fused add in a
// million changes a code, and byte-identity with llama-quantize is the contract.
// The operand stays in its vector register ("x" on x86, "w" on AArch64): a general-purpose one would cost two
// moves per barrier, which made the K-quants' scale searches 1.8x slower than ggml's.
inline void no_fuse(float& p) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __asm__("" : "+x"(p));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
    __asm__("" : "+w"(p));
#elif defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(p));
#else
    volatile float v = p;
    p = v;
#endif
}
// The product a * b rounded to float, never fused into what follows.
[[nodiscard]] inline float mul(float a, float b) {
    float p = a * b;
    no_fuse(p);
    return p;
}

// ggml's nearest_int: round half to even through the 1.5 * 2^23 trick (|x| <= 2^22). Its argument is
// rounded first, so `nearest_int(a * b)` never becomes fma(a, b, 1.5 * 2^23).
[[nodiscard]] inline int nearest_int(float x) {
    no_fuse(x);
    float v = x + 12582912.0f;
    no_fuse(v);
    int i;
    std::memcpy(&i, &v, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

// The value of largest magnitude (the first on ties), as ggml's quantizers find it; 0 for an all-zero group.
[[nodiscard]] inline float signed_absmax(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; ++j)
        if (amax < std::fabs(x[j])) amax = std::fabs(x[j]), max = x[j];
    return max;
}

// GGML_FP32_TO_FP16 (round to nearest even) and back.
inline void put_half(std::byte* out, float d) {
    const std::uint16_t h = float_to_half_bits(d);
    std::memcpy(out, &h, 2);
}
[[nodiscard]] inline float get_half(const std::byte* in) {
    std::uint16_t h;
    std::memcpy(&h, in, 2);
    return half_bits_to_float(h);
}
[[nodiscard]] inline float fp16_round(float d) { return half_bits_to_float(float_to_half_bits(d)); }

}  // namespace mixq::gguf::detail
