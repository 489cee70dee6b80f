// Storage dtypes as safetensors names them (F32, BF16, I8, ...), with element sizes and parsing.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace mixq {

enum class dtype { boolean, u8, i8, i16, u16, f16, bf16, i32, u32, f32, f64, i64, u64, f8_e4m3, f8_e5m2 };

struct dtype_info {
    dtype type;
    std::string_view name;  // the safetensors spelling
    std::size_t size;       // bytes per element
};

inline constexpr std::array<dtype_info, 15> dtype_table{{
    {dtype::boolean, "BOOL", 1}, {dtype::u8, "U8", 1},           {dtype::i8, "I8", 1},
    {dtype::i16, "I16", 2},      {dtype::u16, "U16", 2},         {dtype::f16, "F16", 2},
    {dtype::bf16, "BF16", 2},    {dtype::i32, "I32", 4},         {dtype::u32, "U32", 4},
    {dtype::f32, "F32", 4},      {dtype::f64, "F64", 8},         {dtype::i64, "I64", 8},
    {dtype::u64, "U64", 8},      {dtype::f8_e4m3, "F8_E4M3", 1}, {dtype::f8_e5m2, "F8_E5M2", 1},
}};

[[nodiscard]] constexpr const dtype_info& info(dtype t) noexcept {
    for (const auto& i : dtype_table)
        if (i.type == t) return i;
    return dtype_table[0];  // unreachable: every enumerator is in the table
}

[[nodiscard]] constexpr std::string_view to_string(dtype t) noexcept { return info(t).name; }
[[nodiscard]] constexpr std::size_t size_of(dtype t) noexcept { return info(t).size; }

[[nodiscard]] constexpr std::optional<dtype> parse_dtype(std::string_view s) noexcept {
    for (const auto& i : dtype_table)
        if (i.name == s) return i.type;
    return std::nullopt;
}

// Floating dtypes the converter can read values from.
[[nodiscard]] constexpr bool is_readable_float(dtype t) noexcept {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::bf16 || t == dtype::f64;
}

}  // namespace mixq
