// A weight as stored in a checkpoint (fp32, fp16, bf16, or int8 codes with per-row scales), seen as [rows, cols].
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../core/half.hpp"
#include "../core/tensor_view.hpp"

namespace mixq {

struct stored_matrix {
    std::string name;
    dtype type = dtype::f32;
    std::int64_t rows = 0, cols = 0;
    std::span<const std::byte> bytes;
    std::vector<float> scales;  // int8 only: one per row, or one for the whole tensor

    [[nodiscard]] bool is_int8() const noexcept { return type == dtype::i8; }
    [[nodiscard]] float scale(std::int64_t r) const noexcept {
        return scales.size() == 1 ? scales[0] : scales[static_cast<std::size_t>(r)];
    }
    // fp32 rows usable in place by BLAS (4-byte aligned inside the mapped file).
    [[nodiscard]] const float* direct_f32() const noexcept {
        if (type != dtype::f32 || reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) != 0) return nullptr;
        return reinterpret_cast<const float*>(bytes.data());
    }

    // Rows [r0, r0 + n) as fp32 into out ([n, cols]). int8 rows are written as raw codes (scale NOT
    // applied) so a product can apply each row's scale once, after its reduction.
    void rows_unscaled(std::int64_t r0, std::int64_t n, float* out) const {
        const auto count = static_cast<std::size_t>(n * cols);
        const std::byte* p = bytes.data() + static_cast<std::size_t>(r0 * cols) * size_of(type);
        switch (type) {
            case dtype::f32: std::memcpy(out, p, count * 4); return;
            case dtype::i8: {
                const auto* q = reinterpret_cast<const std::int8_t*>(p);
                for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(q[i]);
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
    // One row, dequantized (scale applied): embedding lookups.
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
