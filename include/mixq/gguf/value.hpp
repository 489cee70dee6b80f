// GGUF's typed key/value pairs: the value types of the format and one key/value as mixq holds it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mixq::gguf {

enum class value_type : std::uint32_t {
    u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12
};

[[nodiscard]] constexpr std::size_t scalar_size(value_type t) noexcept {
    switch (t) {
        case value_type::u8: case value_type::i8: case value_type::boolean: return 1;
        case value_type::u16: case value_type::i16: return 2;
        case value_type::u32: case value_type::i32: case value_type::f32: return 4;
        case value_type::u64: case value_type::i64: case value_type::f64: return 8;
        case value_type::string: case value_type::array: return 0;
    }
    return 0;
}

[[nodiscard]] constexpr std::string_view to_string(value_type t) noexcept {
    constexpr std::string_view names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                          "bool", "string", "array", "uint64", "int64", "float64"};
    const auto i = static_cast<std::uint32_t>(t);
    return i < 13 ? names[i] : "unknown";
}

// A key with its type; `value` is a JSON number, bool, string or (for arrays, whose elements all have
// type `element`) a JSON array. Float values keep their GGUF width when written back.
struct kv {
    std::string key;
    value_type type = value_type::u32;
    nlohmann::json value;
    value_type element = value_type::u8;  // arrays only

    [[nodiscard]] static kv u32(std::string k, std::uint32_t v) { return {std::move(k), value_type::u32, v}; }
    [[nodiscard]] static kv f32(std::string k, float v) { return {std::move(k), value_type::f32, v}; }
    [[nodiscard]] static kv boolean(std::string k, bool v) { return {std::move(k), value_type::boolean, v}; }
    [[nodiscard]] static kv str(std::string k, std::string v) { return {std::move(k), value_type::string, std::move(v)}; }
    [[nodiscard]] static kv strings(std::string k, const std::vector<std::string>& v) {
        return {std::move(k), value_type::array, v, value_type::string};
    }
    [[nodiscard]] static kv i32s(std::string k, const std::vector<std::int32_t>& v) {
        return {std::move(k), value_type::array, v, value_type::i32};
    }
    [[nodiscard]] static kv f32s(std::string k, const std::vector<float>& v) {
        return {std::move(k), value_type::array, v, value_type::f32};
    }
};

}  // namespace mixq::gguf
