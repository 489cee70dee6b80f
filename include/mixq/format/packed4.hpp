// A 4-bit matrix (int4 or nf4) as stored: two codes per byte, low nibble first, one fp32 scale per group.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "int4.hpp"
#include "nf4.hpp"

namespace mixq {

// What a nibble means: an int4 code (two's complement) or an index into the NF4 codebook.
enum class codebook4 : std::uint8_t { int4, nf4 };

// Nibble -> value before scaling, for every nibble: int4 codes 0..7, -8..-1 or the NF4 levels.
inline constexpr std::array<float, 16> int4_nibble_values{0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1};
[[nodiscard]] constexpr const std::array<float, 16>& nibble_values(codebook4 b) noexcept {
    return b == codebook4::nf4 ? nf4_levels : int4_nibble_values;
}

// W [N, K]: row n's codes occupy ceil(K / 2) bytes (an odd K pads the last high nibble with 0);
// scales [N, ceil(K / group)]; value = nibble_values(book)[nibble] · scale of its group. A view does not
// own its bytes: it reads a mapped checkpoint in place.
struct packed4_view {
    std::int64_t rows = 0, cols = 0, group = 64;
    codebook4 book = codebook4::int4;
    const std::uint8_t* packed = nullptr;  // rows * row_bytes()
    const float* scales = nullptr;         // rows * groups()

    [[nodiscard]] std::int64_t row_bytes() const noexcept { return (cols + 1) / 2; }
    [[nodiscard]] std::int64_t groups() const noexcept { return (cols + group - 1) / group; }
    [[nodiscard]] unsigned nibble(std::int64_t r, std::int64_t c) const noexcept { return nibble_at(packed + r * row_bytes(), c); }
    [[nodiscard]] float scale(std::int64_t r, std::int64_t c) const noexcept { return scales[r * groups() + c / group]; }
    [[nodiscard]] float dequantize(std::int64_t r, std::int64_t c) const noexcept {
        return nibble_values(book)[nibble(r, c)] * scale(r, c);
    }
    // Values [c0, c0 + n) of row r, dequantized.
    void row_values(std::int64_t r, std::int64_t c0, std::int64_t n, float* out) const noexcept {
        const auto& lut = nibble_values(book);
        const std::uint8_t* row = packed + r * row_bytes();
        const float* s = scales + r * groups();
        for (std::int64_t i = 0; i < n; ++i) out[i] = lut[nibble_at(row, c0 + i)] * s[(c0 + i) / group];
    }
};

// The same layout owning its storage (what the quantizers produce and the kernels' tests build).
struct packed4_matrix {
    std::int64_t rows = 0, cols = 0, group = 128;
    std::vector<std::uint8_t> packed;  // rows * row_bytes()
    std::vector<float> scales;         // rows * groups()
    codebook4 book = codebook4::int4;

    [[nodiscard]] packed4_view view() const noexcept { return {rows, cols, group, book, packed.data(), scales.data()}; }
    [[nodiscard]] std::int64_t row_bytes() const noexcept { return (cols + 1) / 2; }
    [[nodiscard]] std::int64_t groups() const noexcept { return (cols + group - 1) / group; }
    [[nodiscard]] int code(std::int64_t r, std::int64_t c) const noexcept {  // int4: the signed code; nf4: the level index
        const unsigned n = view().nibble(r, c);
        return book == codebook4::int4 ? int4_from_nibble(n) : static_cast<int>(n);
    }
    [[nodiscard]] float scale(std::int64_t r, std::int64_t c) const noexcept { return view().scale(r, c); }
    [[nodiscard]] float dequantize(std::int64_t r, std::int64_t c) const noexcept { return view().dequantize(r, c); }
};
// The int4 kernels' name for it (CUDA GEMV, tests, benchmarks).
using int4_matrix = packed4_matrix;

}  // namespace mixq
