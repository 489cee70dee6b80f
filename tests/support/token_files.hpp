// Test helpers: token files (.npy of int32 ids) written from a list or from the first ids of another one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.hpp"

namespace mixq::test {

// A .npy file of int32 token ids (version 1, C order), as numpy writes it.
inline void write_tokens_npy(const std::string& path, const std::vector<std::int32_t>& ids) {
    std::string dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + std::to_string(ids.size()) + ",), }";
    dict.append(63 - (10 + dict.size()) % 64, ' ');
    dict += '\n';
    std::string npy = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size() & 0xff) + static_cast<char>(dict.size() >> 8) + dict;
    npy.append(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(std::int32_t));
    mixq::test::write_bytes(path, npy);
}
// The first n ids of a version-1 .npy file of int32 tokens (as the fixtures' token files are).
inline std::vector<std::int32_t> first_tokens(const std::string& npy_path, std::size_t n) {
    const auto b = mixq::test::read_bytes(npy_path);
    const std::size_t header = 10 + (static_cast<unsigned char>(b.at(8)) | static_cast<std::size_t>(static_cast<unsigned char>(b.at(9))) << 8);
    std::vector<std::int32_t> ids(std::min(n, (b.size() - header) / 4));
    std::memcpy(ids.data(), b.data() + header, ids.size() * 4);
    return ids;
}

}  // namespace mixq::test
