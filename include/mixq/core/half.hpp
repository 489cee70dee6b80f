// Host fp16 and bfloat16 conversions with round-to-nearest-even, bit-exact with IEEE / PyTorch casts.
#pragma once

#include <bit>
#include <cstdint>

namespace mixq {

// float -> IEEE binary16 bits, round to nearest even; overflow gives Inf, NaN stays NaN (quiet).
[[nodiscard]] constexpr std::uint16_t float_to_half_bits(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u)  // Inf or NaN
        return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    if (abs >= 0x477ff000u)  // rounds to >= 65520: overflow to Inf
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    if (abs < 0x38800000u) {  // result is subnormal or zero: shift the full mantissa into place
        if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);  // below half the smallest subnormal
        const std::uint32_t exp = abs >> 23;
        const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
        const std::uint32_t shift = 126u - exp;  // value = mant * 2^(exp-150); fp16 subnormal unit is 2^-24
        std::uint32_t h = mant >> shift;
        const std::uint32_t rem = mant & ((1u << shift) - 1u);
        const std::uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (h & 1u))) ++h;
        return static_cast<std::uint16_t>(sign | h);
    }
    // normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even
    std::uint32_t h = ((abs - 0x38000000u) >> 13);
    const std::uint32_t rem = abs & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is correct rounding
    return static_cast<std::uint16_t>(sign | h);
}

[[nodiscard]] constexpr float half_bits_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1fu;
    std::uint32_t mant = h & 0x3ffu;
    if (exp == 0x1fu) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
        if (mant == 0) return std::bit_cast<float>(sign);
        int e = -1;  // normalise the subnormal
        do {
            ++e;
            mant <<= 1;
        } while ((mant & 0x400u) == 0);
        return std::bit_cast<float>(sign | ((112u - static_cast<std::uint32_t>(e)) << 23) |
                                    ((mant & 0x3ffu) << 13));
    }
    return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

// float -> bfloat16 bits, round to nearest even; NaN stays a quiet NaN.
[[nodiscard]] constexpr std::uint16_t float_to_bf16_bits(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
    const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>((x + rounding) >> 16);
}

[[nodiscard]] constexpr float bf16_bits_to_float(std::uint16_t b) noexcept {
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

// Round-trip helpers: the value a tensor holds after a cast to fp16 / bf16 and back.
[[nodiscard]] constexpr float round_to_half(float f) noexcept { return half_bits_to_float(float_to_half_bits(f)); }
[[nodiscard]] constexpr float round_to_bf16(float f) noexcept { return bf16_bits_to_float(float_to_bf16_bits(f)); }

}  // namespace mixq
