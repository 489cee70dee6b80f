// The quantizer concept and the quantized tensor it produces (integer codes plus per-row or per-tensor scales).
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../format/formats.hpp"

namespace mixq {

// Codes are stored one per byte for int8 (row-major [rows, cols]); scales has `rows` entries for a
// per-channel scheme and one for a per-tensor scheme. dequantized value = code * scale(row).
struct quantized_tensor {
    std::vector<std::int8_t> codes;
    std::vector<float> scales;
    std::int64_t rows = 0;
    std::int64_t cols = 0;

    [[nodiscard]] float scale_of_row(std::int64_t r) const noexcept {
        return scales.size() == 1 ? scales[0] : scales[static_cast<std::size_t>(r)];
    }
    [[nodiscard]] float dequantize(std::int64_t r, std::int64_t c) const noexcept {
        return static_cast<float>(codes[static_cast<std::size_t>(r * cols + c)]) * scale_of_row(r);
    }
};

// q.quantize(values, rows) quantizes a tensor seen as [rows, values.size() / rows];
// q.scheme() is the string recorded in metadata ("int8:symmetric:per_channel:percentile:99.99").
template <class Q>
concept quantizer = requires(const Q q, std::span<const float> w, std::int64_t rows) {
    { q.quantize(w, rows) } -> std::same_as<quantized_tensor>;
    { q.scheme() } -> std::convertible_to<std::string>;
    { Q::target } -> std::convertible_to<precision>;
};

}  // namespace mixq
