// Rows of a matrix stored as blocks that a decoding function turns into fp32 (a GGUF file's ggml types, read in place).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mixq {

// Each block holds `block` values in `block_bytes` bytes, a row is a whole number of blocks, and
// decode(bytes, n, out) turns the blocks of n values into fp32. mixq's products take any such format through
// this one description: adding a block type needs no new kernel, only its decoder.
struct block_rows {
    void (*decode)(const std::byte*, std::int64_t, float*) = nullptr;
    std::int64_t block = 0, block_bytes = 0;
    // The bytes of values [k, ...) of row r of a matrix with `cols` columns (k a multiple of the block).
    [[nodiscard]] std::int64_t offset(std::int64_t r, std::int64_t cols, std::int64_t k = 0) const noexcept {
        return (r * (cols / block) + k / block) * block_bytes;
    }
};

}  // namespace mixq
