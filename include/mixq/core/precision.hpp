// Precision tags: what a tensor is stored as after conversion, with names, parsing and sizes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mixq {

// int4 / nf4 / fp8 are named so tables can mention them; the converter refuses them until a kernel exists.
enum class precision : std::uint8_t { fp32, fp16, bf16, int8, int4, nf4, fp8_e4m3 };

inline constexpr std::array all_precisions{precision::fp32, precision::fp16,     precision::bf16,
                                           precision::int8, precision::int4,     precision::nf4,
                                           precision::fp8_e4m3};

[[nodiscard]] constexpr std::string_view to_string(precision p) noexcept {
    switch (p) {
        case precision::fp32: return "fp32";
        case precision::fp16: return "fp16";
        case precision::bf16: return "bf16";
        case precision::int8: return "int8";
        case precision::int4: return "int4";
        case precision::nf4: return "nf4";
        case precision::fp8_e4m3: return "fp8_e4m3";
    }
    return "?";
}

// Accepts the canonical names and the spellings people paste from PyTorch tables ("float16", "half", ...).
[[nodiscard]] constexpr std::optional<precision> parse_precision(std::string_view s) noexcept {
    for (precision p : all_precisions)
        if (s == to_string(p)) return p;
    if (s == "float32" || s == "float" || s == "f32") return precision::fp32;
    if (s == "float16" || s == "half" || s == "f16") return precision::fp16;
    if (s == "bfloat16" || s == "b16") return precision::bf16;
    if (s == "i8" || s == "qint8") return precision::int8;
    if (s == "fp8" || s == "e4m3") return precision::fp8_e4m3;
    return std::nullopt;
}

// Bits per stored value, not counting scales.
[[nodiscard]] constexpr int bits_per_value(precision p) noexcept {
    switch (p) {
        case precision::fp32: return 32;
        case precision::fp16:
        case precision::bf16: return 16;
        case precision::int8:
        case precision::fp8_e4m3: return 8;
        case precision::int4:
        case precision::nf4: return 4;
    }
    return 32;
}

// What the converter can produce today; the rest fail with a message naming the rule.
[[nodiscard]] constexpr bool is_implemented(precision p) noexcept {
    return p == precision::fp32 || p == precision::fp16 || p == precision::bf16 ||
           p == precision::int8;
}

}  // namespace mixq
