// Precision tags: what a tensor is stored as after conversion, with names, parsing and sizes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mixq {

// int4 carries its group size in the name (groups of G consecutive values along a row share a scale);
// nf4 always uses blocks of 64, fp8_e4m3 one scale per row. q4_0 ... iq4_nl are ggml's GGUF block types,
// written only by the GGUF export (format/ggml/), in ggml's own layouts.
enum class precision : std::uint8_t {
    fp32, fp16, bf16, int8, int4_g32, int4_g64, int4_g128, nf4, fp8_e4m3,
    q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl,
};

inline constexpr std::array all_precisions{
    precision::fp32, precision::fp16, precision::bf16, precision::int8, precision::int4_g32, precision::int4_g64,
    precision::int4_g128, precision::nf4, precision::fp8_e4m3, precision::q4_0, precision::q4_1, precision::q5_0,
    precision::q5_1, precision::q8_0, precision::q2_k, precision::q3_k, precision::q4_k, precision::q5_k,
    precision::q6_k, precision::iq4_nl};

[[nodiscard]] constexpr std::string_view to_string(precision p) noexcept {
    switch (p) {
        case precision::fp32: return "fp32";
        case precision::fp16: return "fp16";
        case precision::bf16: return "bf16";
        case precision::int8: return "int8";
        case precision::int4_g32: return "int4_g32";
        case precision::int4_g64: return "int4_g64";
        case precision::int4_g128: return "int4_g128";
        case precision::nf4: return "nf4";
        case precision::fp8_e4m3: return "fp8_e4m3";
        case precision::q4_0: return "q4_0";
        case precision::q4_1: return "q4_1";
        case precision::q5_0: return "q5_0";
        case precision::q5_1: return "q5_1";
        case precision::q8_0: return "q8_0";
        case precision::q2_k: return "q2_k";
        case precision::q3_k: return "q3_k";
        case precision::q4_k: return "q4_k";
        case precision::q5_k: return "q5_k";
        case precision::q6_k: return "q6_k";
        case precision::iq4_nl: return "iq4_nl";
    }
    return "?";
}

// Accepts the canonical names and the spellings people paste from PyTorch tables ("float16", "half", ...).
// A bare "int4" is not a precision: the group size changes both quality and size, so it must be named.
[[nodiscard]] constexpr std::optional<precision> parse_precision(std::string_view s) noexcept {
    for (precision p : all_precisions)
        if (s == to_string(p)) return p;
    if (s == "float32" || s == "float" || s == "f32") return precision::fp32;
    if (s == "float16" || s == "half" || s == "f16") return precision::fp16;
    if (s == "bfloat16" || s == "b16") return precision::bf16;
    if (s == "i8" || s == "qint8") return precision::int8;
    if (s == "fp8" || s == "e4m3" || s == "float8_e4m3fn") return precision::fp8_e4m3;
    // llama.cpp prints its types in capitals (Q4_K, IQ4_NL): accept those as written.
    for (precision p : all_precisions) {
        const auto n = to_string(p);
        bool upper = p >= precision::q4_0 && s.size() == n.size();
        for (std::size_t i = 0; upper && i < s.size(); ++i) upper = s[i] == (n[i] >= 'a' && n[i] <= 'z' ? n[i] - 'a' + 'A' : n[i]);
        if (upper) return p;
    }
    return std::nullopt;
}

// A ggml block type (q4_0 ... iq4_nl): GGUF output only, its bytes laid out by format/ggml/.
[[nodiscard]] constexpr bool is_ggml_block(precision p) noexcept { return p >= precision::q4_0; }

// Bits per stored value, not counting scales.
[[nodiscard]] constexpr int bits_per_value(precision p) noexcept {
    switch (p) {
        case precision::fp32: return 32;
        case precision::fp16:
        case precision::bf16: return 16;
        case precision::int8:
        case precision::fp8_e4m3: return 8;
        case precision::int4_g32:
        case precision::int4_g64:
        case precision::int4_g128:
        case precision::nf4: return 4;
        case precision::q2_k: return 2;
        case precision::q3_k: return 3;
        case precision::q4_0:
        case precision::q4_1:
        case precision::q4_k:
        case precision::iq4_nl: return 4;
        case precision::q5_0:
        case precision::q5_1:
        case precision::q5_k: return 5;
        case precision::q6_k: return 6;
        case precision::q8_0: return 8;
    }
    return 32;
}

// Values sharing one scale along a row: the int4 group or the nf4 block; 0 for per-row (int8, fp8) or
// unscaled (float) precisions.
[[nodiscard]] constexpr int group_size(precision p) noexcept {
    switch (p) {
        case precision::int4_g32: return 32;
        case precision::int4_g64:
        case precision::nf4: return 64;
        case precision::int4_g128: return 128;
        default: return 0;
    }
}

// Two 4-bit codes per byte (int4 or nf4), stored as U8 [rows, ceil(cols / 2)] beside [rows, groups] scales.
[[nodiscard]] constexpr bool is_packed4(precision p) noexcept { return bits_per_value(p) == 4 && !is_ggml_block(p); }

// Stored as codes plus scales ("X" and "X_scale"), as opposed to a plain float cast; ggml's blocks hold
// their scales inside and are not mixq-stored.
[[nodiscard]] constexpr bool is_quantized(precision p) noexcept {
    return p == precision::int8 || is_packed4(p) || p == precision::fp8_e4m3;
}

// The int4 precision of a group size, if mixq has one.
[[nodiscard]] constexpr std::optional<precision> int4_with_group(std::int64_t g) noexcept {
    switch (g) {
        case 32: return precision::int4_g32;
        case 64: return precision::int4_g64;
        case 128: return precision::int4_g128;
        default: return std::nullopt;
    }
}

}  // namespace mixq
