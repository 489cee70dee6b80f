// A vector of trivially copyable values as the bytes a file stores.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace mixq {

template <class T>
[[nodiscard]] std::vector<std::byte> to_bytes(std::span<const T> v) {
    std::vector<std::byte> b(v.size_bytes());
    if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
    return b;
}
template <class T>
[[nodiscard]] std::vector<std::byte> to_bytes(const std::vector<T>& v) {
    return to_bytes(std::span<const T>(v));
}

}  // namespace mixq
