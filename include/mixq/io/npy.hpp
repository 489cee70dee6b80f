// Reads 1-D (or flattened) integer token arrays from NumPy .npy files, validating the header.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "mapped_file.hpp"

namespace mixq::io {

namespace detail {
// Value of `key` in the header dict literal, e.g. "'descr': '<i4'" -> "'<i4'"; empty when absent.
inline std::string npy_field(const std::string& h, const std::string& key) {
    const auto k = h.find("'" + key + "'");
    if (k == std::string::npos) return {};
    auto p = h.find(':', k);
    if (p == std::string::npos) return {};
    ++p;
    while (p < h.size() && h[p] == ' ') ++p;
    if (p >= h.size()) return {};
    const char open = h[p];
    const char close = open == '(' ? ')' : open == '\'' ? '\'' : ',';
    const auto e = h.find(close, p + 1);
    if (e == std::string::npos) return {};
    return h.substr(p, e - p + (close == ',' ? 0 : 1));
}
}  // namespace detail

// Token ids as int64 from the bytes of a .npy file, whatever integer dtype it stores (i1..i8, u1..u8,
// little-endian). `name` is used in error messages.
[[nodiscard]] inline std::vector<std::int64_t> parse_npy_tokens(std::span<const std::byte> b, const std::string& name) {
    auto bad = [&](const std::string& what) { fail(name + ": " + what); };
    if (b.empty()) bad("empty file (not a .npy file)");
    if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) bad("not a .npy file (bad magic)");
    const auto major = std::to_integer<int>(b[6]);
    std::size_t header_len = 0, pre = 0;
    if (major == 1) {
        header_len = std::to_integer<std::size_t>(b[8]) | (std::to_integer<std::size_t>(b[9]) << 8);
        pre = 10;
    } else if (major == 2 || major == 3) {
        if (b.size() < 12) bad("truncated header");
        for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<std::size_t>(b[8 + static_cast<std::size_t>(i)]);
        pre = 12;
    } else {
        bad("unsupported .npy version " + std::to_string(major));
    }
    if (header_len > b.size() - pre) bad("header length exceeds the file");
    const std::string h(reinterpret_cast<const char*>(b.data() + pre), header_len);
    const std::string descr = detail::npy_field(h, "descr");
    const std::string fortran = detail::npy_field(h, "fortran_order");
    const std::string shape = detail::npy_field(h, "shape");
    if (descr.size() < 5 || descr.front() != '\'') bad("missing or malformed 'descr' in header");
    if (fortran.rfind("False", 0) != 0 && fortran.rfind("True", 0) != 0) bad("missing 'fortran_order' in header");
    if (shape.empty() || shape.front() != '(') bad("missing 'shape' in header");
    const std::string d = descr.substr(1, descr.size() - 2);  // e.g. <i4
    if (d.size() != 3 || (d[0] != '<' && d[0] != '|') || (d[1] != 'i' && d[1] != 'u') ||
        (d[2] != '1' && d[2] != '2' && d[2] != '4' && d[2] != '8'))
        bad("dtype '" + d + "' is not a little-endian integer type; token files hold integer ids");
    const bool is_signed = d[1] == 'i';
    const std::size_t width = static_cast<std::size_t>(d[2] - '0');
    std::uint64_t count = 1;
    {  // product of the shape tuple's integers; "()" is a scalar
        std::size_t i = 1;
        while (i < shape.size()) {
            while (i < shape.size() && (shape[i] < '0' || shape[i] > '9')) {
                if (shape[i] == '-') bad("negative dimension in shape " + shape);
                ++i;
            }
            if (i >= shape.size()) break;
            std::uint64_t v = 0;
            while (i < shape.size() && shape[i] >= '0' && shape[i] <= '9') {
                if (v > (1ull << 40)) bad("dimension too large in shape " + shape);
                v = v * 10 + static_cast<std::uint64_t>(shape[i++] - '0');
            }
            if (v != 0 && count > (1ull << 40) / v) bad("shape " + shape + " is too large");
            count *= v;
        }
    }
    const std::size_t data_off = pre + header_len;
    if (count * width != b.size() - data_off)
        bad("shape " + shape + " x " + std::to_string(width) + " bytes = " + std::to_string(count * width) +
            " bytes, but the file holds " + std::to_string(b.size() - data_off));
    std::vector<std::int64_t> out(static_cast<std::size_t>(count));
    const std::byte* p = b.data() + data_off;
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint64_t u = 0;
        for (std::size_t k = 0; k < width; ++k) u |= std::to_integer<std::uint64_t>(p[i * width + k]) << (8 * k);
        if (is_signed && width < 8 && (u >> (8 * width - 1)) & 1u) u |= ~0ull << (8 * width);  // sign-extend
        out[i] = static_cast<std::int64_t>(u);
    }
    return out;
}

[[nodiscard]] inline std::vector<std::int64_t> read_npy_tokens(const std::string& path) {
    const mapped_file f(path);
    return parse_npy_tokens(f.bytes(), path);
}

}  // namespace mixq::io
