// The list of storage formats and what derives from their traits: names, parsing, bits, groups, storage, GGUF twins.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "float.hpp"
#include "fp8_e4m3.hpp"
#include "gguf_blocks.hpp"
#include "int4.hpp"
#include "int8.hpp"
#include "nf4.hpp"
#include "precision.hpp"
#include "traits.hpp"

namespace mixq {

// One line per format, in the order of enum precision (checked below).
inline constexpr std::array formats{
    fp32_format, fp16_format, bf16_format, int8_format,
    int4_g32_format, int4_g64_format, int4_g128_format, nf4_format, fp8_e4m3_format,
    q4_0_format, q4_1_format, q5_0_format, q5_1_format, q8_0_format,
    q2_k_format, q3_k_format, q4_k_format, q5_k_format, q6_k_format, iq4_nl_format,
};
static_assert(formats.size() == all_precisions.size(), "mixq: every precision needs its line in `formats`");
static_assert([] {
    for (std::size_t i = 0; i < formats.size(); ++i)
        if (formats[i].id != all_precisions[i] || static_cast<std::size_t>(formats[i].id) != i) return false;
    return true;
}(), "mixq: `formats` must list the precisions in the order of enum precision");

[[nodiscard]] constexpr const format_traits& traits(precision p) noexcept { return formats[static_cast<std::size_t>(p)]; }

[[nodiscard]] constexpr std::string_view to_string(precision p) noexcept {
    return static_cast<std::size_t>(p) < formats.size() ? traits(p).name : "?";
}

// Accepts the canonical names and the spellings people paste from PyTorch tables ("float16", "half", ...).
// A bare "int4" is not a precision: the group size changes both quality and size, so it must be named.
[[nodiscard]] constexpr std::optional<precision> parse_precision(std::string_view s) noexcept {
    for (const auto& f : formats)
        if (s == f.name) return f.id;
    if (s == "float32" || s == "float" || s == "f32") return precision::fp32;
    if (s == "float16" || s == "half" || s == "f16") return precision::fp16;
    if (s == "bfloat16" || s == "b16") return precision::bf16;
    if (s == "i8" || s == "qint8") return precision::int8;
    if (s == "fp8" || s == "e4m3" || s == "float8_e4m3fn") return precision::fp8_e4m3;
    // llama.cpp prints its types in capitals (Q4_K, IQ4_NL): accept those as written.
    for (const auto& f : formats) {
        const auto n = f.name;
        bool upper = f.scales == scale_layout::in_blocks && s.size() == n.size();
        for (std::size_t i = 0; upper && i < s.size(); ++i) upper = s[i] == (n[i] >= 'a' && n[i] <= 'z' ? n[i] - 'a' + 'A' : n[i]);
        if (upper) return f.id;
    }
    return std::nullopt;
}

// A ggml block type (q4_0 ... iq4_nl): GGUF output only, its bytes laid out by format/ggml/.
[[nodiscard]] constexpr bool is_ggml_block(precision p) noexcept { return traits(p).scales == scale_layout::in_blocks; }

// Bits per stored value, not counting scales.
[[nodiscard]] constexpr int bits_per_value(precision p) noexcept { return traits(p).bits; }

// Values sharing one scale along a row: the int4 group or the nf4 block; 0 for per-row (int8, fp8) or
// unscaled (float) precisions and for ggml's blocks.
[[nodiscard]] constexpr int group_size(precision p) noexcept { return traits(p).group; }

// Two 4-bit codes per byte (int4 or nf4), stored as U8 [rows, ceil(cols / 2)] beside [rows, groups] scales.
[[nodiscard]] constexpr bool is_packed4(precision p) noexcept {
    return traits(p).scales == scale_layout::per_group && traits(p).bits == 4;
}

// Stored as codes plus scales ("X" and "X_scale"), as opposed to a plain float cast; ggml's blocks hold
// their scales inside and are not mixq-stored.
[[nodiscard]] constexpr bool is_quantized(precision p) noexcept {
    return traits(p).scales == scale_layout::per_row || traits(p).scales == scale_layout::per_group;
}

// The format of a scheme family ("int4", "nf4", "int8", ...) and group (0 where it has none), if mixq has one.
[[nodiscard]] constexpr std::optional<precision> format_of(std::string_view family, std::int64_t group) noexcept {
    for (const auto& f : formats)
        if (f.family == family && f.group == group) return f.id;
    return std::nullopt;
}

// The int4 precision of a group size, if mixq has one.
[[nodiscard]] constexpr std::optional<precision> int4_with_group(std::int64_t g) noexcept {
    return format_of(int4_g32_format.family, g);
}

// The precision a stored dtype corresponds to, for the report's "source precision": the unscaled float of
// that dtype, or the one-byte code of int8 / fp8.
[[nodiscard]] constexpr std::optional<precision> precision_of(dtype t) noexcept {
    for (const auto& f : formats)
        if (f.stored == t && f.group == 0) return f.id;
    return std::nullopt;
}

namespace gguf {
// The ggml type a precision is exported as: its own for the float and block types; int8 and int4_g32 are
// written as ggml's Q8_0 and Q4_0, with ggml's own scale rules rather than mixq's. None for the rest.
[[nodiscard]] constexpr std::optional<ggml_type> ggml_type_for(precision p) noexcept { return traits(p).gguf; }
}  // namespace gguf

}  // namespace mixq
