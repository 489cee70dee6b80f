// A non-owning view of one tensor's bytes (usually inside a memory-mapped file) with its dtype and shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "dtype.hpp"
#include "error.hpp"
#include "half.hpp"

namespace mixq {

using shape_t = std::vector<std::int64_t>;

[[nodiscard]] inline std::int64_t numel(const shape_t& shape) noexcept {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

[[nodiscard]] inline std::string shape_string(const shape_t& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Byte-wise equality that is also defined for empty spans (whose data() may be null).
[[nodiscard]] inline bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

struct tensor_view {
    std::string name;
    dtype type = dtype::f32;
    shape_t shape;
    std::span<const std::byte> bytes;  // may be unaligned: read elements with memcpy

    [[nodiscard]] std::int64_t numel() const noexcept { return mixq::numel(shape); }
    // Rows of the tensor seen as [shape[0], rest]; a scalar or 1-D tensor is one row.
    [[nodiscard]] std::int64_t rows() const noexcept { return shape.size() >= 2 ? shape[0] : 1; }
    [[nodiscard]] std::int64_t cols() const noexcept { return rows() ? numel() / rows() : 0; }
};

// Converts a float tensor's elements to fp32 into `out` (out.size() == numel); other dtypes are an error.
inline void to_float(const tensor_view& t, std::span<float> out) {
    const auto n = static_cast<std::size_t>(t.numel());
    if (out.size() != n) throw error(errc::internal, "to_float: output size mismatch for '" + t.name + "'");
    const std::byte* p = t.bytes.data();
    switch (t.type) {
        case dtype::f32:
            if (n) std::memcpy(out.data(), p, n * 4);
            return;
        case dtype::f64:
            for (std::size_t i = 0; i < n; ++i) {
                double d;
                std::memcpy(&d, p + 8 * i, 8);
                out[i] = static_cast<float>(d);
            }
            return;
        case dtype::f16:
        case dtype::bf16: {
            const bool half = t.type == dtype::f16;
            for (std::size_t i = 0; i < n; ++i) {
                std::uint16_t b;
                std::memcpy(&b, p + 2 * i, 2);
                out[i] = half ? half_bits_to_float(b) : bf16_bits_to_float(b);
            }
            return;
        }
        default:
            fail("tensor '" + t.name + "' has dtype " + std::string(to_string(t.type)) +
                 ", which is not a float type and cannot be converted");
    }
}

[[nodiscard]] inline std::vector<float> to_float(const tensor_view& t) {
    std::vector<float> v(static_cast<std::size_t>(t.numel()));
    to_float(t, v);
    return v;
}

}  // namespace mixq
