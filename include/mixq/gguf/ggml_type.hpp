// The ggml tensor types mixq reads and writes in GGUF files, with their block sizes and byte sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "../core/error.hpp"

namespace mixq::gguf {

// The numbers are ggml's (enum ggml_type); GGUF stores them as uint32.
enum class ggml_type : std::uint32_t { f32 = 0, f16 = 1, q4_0 = 2, q8_0 = 8, bf16 = 30 };

struct ggml_type_info {
    ggml_type type;
    std::string_view name;   // as llama.cpp prints it
    std::int64_t block;      // values per block (1 for plain floats)
    std::int64_t block_bytes;
};

inline constexpr ggml_type_info ggml_types[] = {
    {ggml_type::f32, "F32", 1, 4},    {ggml_type::f16, "F16", 1, 2},     {ggml_type::bf16, "BF16", 1, 2},
    {ggml_type::q8_0, "Q8_0", 32, 34}, {ggml_type::q4_0, "Q4_0", 32, 18},
};

[[nodiscard]] constexpr std::optional<ggml_type_info> find_ggml_type(std::uint32_t id) noexcept {
    for (const auto& t : ggml_types)
        if (static_cast<std::uint32_t>(t.type) == id) return t;
    return std::nullopt;
}
[[nodiscard]] constexpr const ggml_type_info& info(ggml_type t) noexcept {
    for (const auto& i : ggml_types)
        if (i.type == t) return i;
    return ggml_types[0];  // unreachable: every enumerator is in the table
}
[[nodiscard]] constexpr std::string_view to_string(ggml_type t) noexcept { return info(t).name; }
[[nodiscard]] constexpr bool is_block_quantized(ggml_type t) noexcept { return info(t).block > 1; }

// Bytes of a row of `n` values; n must be a whole number of blocks.
[[nodiscard]] constexpr std::int64_t row_bytes(ggml_type t, std::int64_t n) noexcept {
    const auto& i = info(t);
    return n / i.block * i.block_bytes;
}

}  // namespace mixq::gguf
