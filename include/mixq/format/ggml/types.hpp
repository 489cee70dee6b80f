// The ggml tensor types mixq reads and writes in GGUF files: one traits entry each (id, name, block, bytes, codec, llama.cpp's fallback).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "codes.hpp"
#include "type_id.hpp"

namespace mixq::gguf {

// A row of a whole number of blocks into blocks; `importance` (one weight per value, or null) as llama.cpp's
// imatrix: null gives ggml's reference rounding, exactly llama-quantize's without --imatrix.
using quantize_row_fn = void (*)(std::span<const float> row, std::byte* out, const float* importance);
using dequantize_row_fn = void (*)(const std::byte*, std::int64_t, float*);
// One block's grids with its scales fixed (element_grid per value), and its codes written back (codes.hpp).
using block_grids_fn = void (*)(const std::byte* block, element_grid* out);
using put_codes_fn = void (*)(std::byte* block, const int* codes);

struct ggml_type_info {
    ggml_type type;
    std::string_view name;   // as llama.cpp prints it
    std::int64_t block;      // values per block (1 for plain floats)
    std::int64_t block_bytes;
    quantize_row_fn quantize = nullptr;      // ggml's reference rounding (null for plain floats)
    dequantize_row_fn dequantize = nullptr;
    // What llama-quantize writes instead when a row is not a whole number of blocks (tensor_type_fallback in
    // llama-quant.cpp); the type itself where there is none (a 32-value type then falls to F16).
    ggml_type fallback = type;
    block_grids_fn grids = nullptr;  // null for plain floats
    put_codes_fn put_codes = nullptr;
};

// Adding a type: its block in blocks.hpp, its codec and codes (codes.hpp), and one entry here.
inline constexpr ggml_type_info ggml_types[] = {
    {ggml_type::f32, "F32", 1, 4},
    {ggml_type::f16, "F16", 1, 2},
    {ggml_type::bf16, "BF16", 1, 2},
    {ggml_type::q8_0, "Q8_0", qk, sizeof(block_q8_0), quantize_q8_0, dequantize_q8_0, ggml_type::q8_0,
     detail::block_grids<block_q8_0>, detail::block_put_codes<block_q8_0>},
    {ggml_type::q4_0, "Q4_0", qk, sizeof(block_q4_0), quantize_q4_0, dequantize_q4_0, ggml_type::q4_0,
     detail::block_grids<block_q4_0>, detail::block_put_codes<block_q4_0>},
    {ggml_type::q4_1, "Q4_1", qk, sizeof(block_q4_1), quantize_q4_1, dequantize_q4_1, ggml_type::q4_1,
     detail::block_grids<block_q4_1>, detail::block_put_codes<block_q4_1>},
    {ggml_type::q5_0, "Q5_0", qk, sizeof(block_q5_0), quantize_q5_0, dequantize_q5_0, ggml_type::q5_0,
     detail::block_grids<block_q5_0>, detail::block_put_codes<block_q5_0>},
    {ggml_type::q5_1, "Q5_1", qk, sizeof(block_q5_1), quantize_q5_1, dequantize_q5_1, ggml_type::q5_1,
     detail::block_grids<block_q5_1>, detail::block_put_codes<block_q5_1>},
    {ggml_type::iq4_nl, "IQ4_NL", qk, sizeof(block_iq4_nl), quantize_iq4_nl, dequantize_iq4_nl, ggml_type::iq4_nl,
     detail::block_grids<block_iq4_nl>, detail::block_put_codes<block_iq4_nl>},
    {ggml_type::q2_k, "Q2_K", qk_k, sizeof(block_q2_k), quantize_q2_k, dequantize_q2_k, ggml_type::q4_0,
     detail::block_grids<block_q2_k>, detail::block_put_codes<block_q2_k>},
    {ggml_type::q3_k, "Q3_K", qk_k, sizeof(block_q3_k), quantize_q3_k, dequantize_q3_k, ggml_type::q4_0,
     detail::block_grids<block_q3_k>, detail::block_put_codes<block_q3_k>},
    {ggml_type::q4_k, "Q4_K", qk_k, sizeof(block_q4_k), quantize_q4_k, dequantize_q4_k, ggml_type::q5_0,
     detail::block_grids<block_q4_k>, detail::block_put_codes<block_q4_k>},
    {ggml_type::q5_k, "Q5_K", qk_k, sizeof(block_q5_k), quantize_q5_k, dequantize_q5_k, ggml_type::q5_1,
     detail::block_grids<block_q5_k>, detail::block_put_codes<block_q5_k>},
    {ggml_type::q6_k, "Q6_K", qk_k, sizeof(block_q6_k), quantize_q6_k, dequantize_q6_k, ggml_type::q8_0,
     detail::block_grids<block_q6_k>, detail::block_put_codes<block_q6_k>},
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

// The type llama-quantize writes for a row of `n` values asked to be `t`: t itself when n is a whole number
// of its blocks, else its fallback, else F16.
[[nodiscard]] constexpr ggml_type fitting_type(ggml_type t, std::int64_t n) noexcept {
    if (n % info(t).block == 0) return t;
    const auto f = info(t).fallback;
    return n % info(f).block == 0 ? f : ggml_type::f16;
}

}  // namespace mixq::gguf
