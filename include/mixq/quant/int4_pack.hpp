// Symmetric int4 per group along K: two codes per byte (low nibble first), one scale per group of 64 or 128.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "../core/error.hpp"

namespace mixq {

// W [N, K] as int4: row n's codes occupy ceil(K / 2) bytes (an odd K pads the last high nibble with 0);
// scales [N, ceil(K / group)]; value = code * scale, code in [-8, 7], scale = max|w| of the group / 7.
struct int4_matrix {
    std::int64_t rows = 0, cols = 0, group = 128;
    std::vector<std::uint8_t> packed;  // rows * row_bytes()
    std::vector<float> scales;         // rows * groups()

    [[nodiscard]] std::int64_t row_bytes() const noexcept { return (cols + 1) / 2; }
    [[nodiscard]] std::int64_t groups() const noexcept { return (cols + group - 1) / group; }
    [[nodiscard]] int code(std::int64_t r, std::int64_t c) const noexcept {
        const std::uint8_t b = packed[static_cast<std::size_t>(r * row_bytes() + c / 2)];
        const int nibble = c % 2 ? b >> 4 : b & 0xf;
        return (nibble ^ 8) - 8;  // sign-extend 4 bits
    }
    [[nodiscard]] float scale(std::int64_t r, std::int64_t c) const noexcept {
        return scales[static_cast<std::size_t>(r * groups() + c / group)];
    }
    [[nodiscard]] float dequantize(std::int64_t r, std::int64_t c) const noexcept { return static_cast<float>(code(r, c)) * scale(r, c); }
};

[[nodiscard]] inline int4_matrix quantize_int4(std::span<const float> w, std::int64_t rows, std::int64_t cols, std::int64_t group) {
    if (group != 64 && group != 128) fail("int4 group size " + std::to_string(group) + ": expected 64 or 128");
    if (rows < 0 || cols < 0 || static_cast<std::int64_t>(w.size()) != rows * cols)
        throw error(errc::internal, "quantize_int4: shape does not match the data");
    int4_matrix m{rows, cols, group, {}, {}};
    m.packed.assign(static_cast<std::size_t>(rows * m.row_bytes()), 0);
    m.scales.resize(static_cast<std::size_t>(rows * m.groups()));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t g = 0; g < m.groups(); ++g) {
            const auto c0 = g * group, c1 = std::min(cols, c0 + group);
            float mx = 0.0f;
            for (auto c = c0; c < c1; ++c) mx = std::max(mx, std::fabs(w[static_cast<std::size_t>(r * cols + c)]));
            const float s = mx == 0.0f ? 1.0f : mx / 7.0f;
            m.scales[static_cast<std::size_t>(r * m.groups() + g)] = s;
            for (auto c = c0; c < c1; ++c) {
                const int q = static_cast<int>(std::clamp(std::nearbyint(w[static_cast<std::size_t>(r * cols + c)] / s), -8.0f, 7.0f));
                auto& byte = m.packed[static_cast<std::size_t>(r * m.row_bytes() + c / 2)];
                byte = static_cast<std::uint8_t>(byte | ((q & 0xf) << (c % 2 ? 4 : 0)));
            }
        }
    return m;
}

}  // namespace mixq
