// A ggml tensor's stored bytes as the fp32 values llama.cpp multiplies by, and the block mins its Q8_1 products use.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "../core/half.hpp"
#include "ggml_quants.hpp"

namespace mixq::gguf {

// `n` values of type `t` (whole rows) into `out`: ggml's dequantize_row_* for block types, exact for F16 / BF16.
inline void decode_values(ggml_type t, const std::byte* in, std::int64_t n, float* out) {
    if (t == ggml_type::f32) {
        std::memcpy(out, in, static_cast<std::size_t>(n) * sizeof(float));
    } else if (const auto& ti = info(t); ti.dequantize) {
        ti.dequantize(in, n, out);
    } else {  // F16 / BF16
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, in + 2 * i, 2);
            out[i] = t == ggml_type::f16 ? half_bits_to_float(h) : bf16_bits_to_float(h);
        }
    }
}

// Q4_1 / Q5_1: each block's fp16 min m (after its fp16 d), which llama.cpp's Q8_1 products multiply by the
// activations' stored block sum (stored_matrix::block_mins); empty for every other type.
[[nodiscard]] inline std::vector<float> q8_1_block_mins(ggml_type t, const std::byte* in, std::int64_t n) {
    std::vector<float> m;
    if (t != ggml_type::q4_1 && t != ggml_type::q5_1) return m;
    m.resize(static_cast<std::size_t>(n / qk));
    const auto bb = info(t).block_bytes;
    for (std::size_t b = 0; b < m.size(); ++b) m[b] = detail::get_half(in + static_cast<std::int64_t>(b) * bb + 2);
    return m;
}

}  // namespace mixq::gguf
