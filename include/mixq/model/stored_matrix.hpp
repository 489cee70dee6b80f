// A weight as stored in a checkpoint (fp32, fp16, bf16, int8 / fp8 codes with per-row scales, int4 / nf4
// codes with group scales, or a GGUF file's ggml blocks), seen as [rows, cols].
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "../core/half.hpp"
#include "activation_rounding.hpp"
#include "../core/tensor_view.hpp"
#include "../format/block_rows.hpp"
#include "../format/fp8_e4m3.hpp"
#include "../format/packed4.hpp"

namespace mixq {

struct stored_matrix {
    std::string name;
    dtype type = dtype::f32;  // U8: packed 4-bit codes or ggml blocks; F8_E4M3: fp8 codes
    std::int64_t rows = 0, cols = 0;  // the logical shape (a packed row holds ceil(cols / 2) bytes)
    std::span<const std::byte> bytes;
    std::vector<float> scales;  // int8: one per row or one for the tensor; fp8: one per row; 4-bit: [rows, groups]
    std::int64_t group = 0;     // 4-bit only
    codebook4 book = codebook4::int4;
    // How a product rounds its input first (llama.cpp's arithmetic for GGUF weights); none elsewhere.
    activation_rounding rounds_input = activation_rounding::none;
    // Q4_1 / Q5_1 weights (Q8_1 activations): each block's min m, [rows, cols / 32], for the min term llama.cpp
    // computes from the activations' stored block sums (activation_rounding.hpp's q8_1_sum_errors).
    std::span<const float> block_mins = {};
    block_rows blocks = {};  // set for ggml block types (type U8, the raw bytes)

    [[nodiscard]] bool is_int8() const noexcept { return type == dtype::i8; }
    [[nodiscard]] bool is_blocks() const noexcept { return blocks.decode != nullptr; }
    [[nodiscard]] bool is_packed4() const noexcept { return type == dtype::u8 && !is_blocks(); }
    [[nodiscard]] bool is_fp8() const noexcept { return type == dtype::f8_e4m3; }
    [[nodiscard]] float scale(std::int64_t r) const noexcept {
        return scales.size() == 1 ? scales[0] : scales[static_cast<std::size_t>(r)];
    }
    [[nodiscard]] packed4_view packed4() const noexcept {
        return {rows, cols, group, book, reinterpret_cast<const std::uint8_t*>(bytes.data()), scales.data()};
    }
    [[nodiscard]] const std::uint8_t* codes() const noexcept { return reinterpret_cast<const std::uint8_t*>(bytes.data()); }
    // fp32 rows usable in place by BLAS (4-byte aligned inside the mapped file).
    [[nodiscard]] const float* direct_f32() const noexcept {
        if (type != dtype::f32 || reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) != 0) return nullptr;
        return reinterpret_cast<const float*>(bytes.data());
    }

    // Rows [r0, r0 + n) as fp32 into out ([n, cols]). int8 rows are written as raw codes (scale NOT
    // applied) so a product can apply each row's scale once, after its reduction; fp8 and 4-bit rows come
    // out dequantized (a 4-bit scale changes along the row), as do ggml blocks.
    void rows_unscaled(std::int64_t r0, std::int64_t n, float* out) const {
        const auto count = static_cast<std::size_t>(n * cols);
        if (is_blocks()) {
            for (std::int64_t i = 0; i < n; ++i) blocks.decode(bytes.data() + blocks.offset(r0 + i, cols), cols, out + i * cols);
            return;
        }
        if (is_packed4()) {
            const auto v = packed4();
            for (std::int64_t i = 0; i < n; ++i) v.row_values(r0 + i, 0, cols, out + i * cols);
            return;
        }
        const std::byte* p = bytes.data() + static_cast<std::size_t>(r0 * cols) * size_of(type);
        switch (type) {
            case dtype::f32: std::memcpy(out, p, count * 4); return;
            case dtype::i8: {
                const auto* q = reinterpret_cast<const std::int8_t*>(p);
                for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(q[i]);
                return;
            }
            case dtype::f8_e4m3: {
                const auto* q = reinterpret_cast<const std::uint8_t*>(p);
                for (std::int64_t i = 0; i < n; ++i) {
                    const float s = scale(r0 + i);
                    for (std::int64_t c = 0; c < cols; ++c)
                        out[i * cols + c] = fp8_e4m3_table[q[i * cols + c]] * s;
                }
                return;
            }
            case dtype::f16:
            case dtype::bf16: {
                const bool half = type == dtype::f16;
                for (std::size_t i = 0; i < count; ++i) {
                    std::uint16_t b;
                    std::memcpy(&b, p + 2 * i, 2);
                    out[i] = half ? half_bits_to_float(b) : bf16_bits_to_float(b);
                }
                return;
            }
            default: throw error(errc::internal, "stored_matrix: unsupported dtype for '" + name + "'");
        }
    }
    // One row, dequantized (scale applied): embedding lookups decode only the rows the tokens select.
    void row(std::int64_t r, float* out) const {
        rows_unscaled(r, 1, out);
        if (is_int8()) {
            const float s = scale(r);
            for (std::int64_t c = 0; c < cols; ++c) out[c] *= s;
        }
    }
    // The whole tensor dequantized: only for small parameters (norms, biases, A_log, D, conv weights).
    [[nodiscard]] std::vector<float> to_vector() const {
        std::vector<float> v(static_cast<std::size_t>(rows * cols));
        for (std::int64_t r = 0; r < rows; ++r) row(r, v.data() + r * cols);
        return v;
    }
};

}  // namespace mixq
