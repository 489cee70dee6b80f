// ggml's block layouts (ggml-common.h), each written once with its size checked: the GGUF bytes mixq writes and reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "../../core/half.hpp"

namespace mixq::gguf {

inline constexpr int qk = 32;     // values per block of the 32-value types (Q4_0 ... Q8_0, IQ4_NL)
inline constexpr int qk_k = 256;  // values per super-block of the K-quants

// fp16 fields are kept as raw uint16_t bits; every block is a plain byte image (no padding).
struct block_q4_0 { std::uint16_t d; std::uint8_t qs[qk / 2]; };
struct block_q4_1 { std::uint16_t d, m; std::uint8_t qs[qk / 2]; };
struct block_q5_0 { std::uint16_t d; std::uint8_t qh[4]; std::uint8_t qs[qk / 2]; };
struct block_q5_1 { std::uint16_t d, m; std::uint8_t qh[4]; std::uint8_t qs[qk / 2]; };
struct block_q8_0 { std::uint16_t d; std::int8_t qs[qk]; };
struct block_iq4_nl { std::uint16_t d; std::uint8_t qs[qk / 2]; };
// K-quants: super-blocks of 256 with sub-block scales (and mins) quantized to 4, 6 or 8 bits.
struct block_q2_k { std::uint8_t scales[qk_k / 16]; std::uint8_t qs[qk_k / 4]; std::uint16_t d, dmin; };
struct block_q3_k { std::uint8_t hmask[qk_k / 8]; std::uint8_t qs[qk_k / 4]; std::uint8_t scales[12]; std::uint16_t d; };
struct block_q4_k { std::uint16_t d, dmin; std::uint8_t scales[12]; std::uint8_t qs[qk_k / 2]; };
struct block_q5_k { std::uint16_t d, dmin; std::uint8_t scales[12]; std::uint8_t qh[qk_k / 8]; std::uint8_t qs[qk_k / 2]; };
struct block_q6_k { std::uint8_t ql[qk_k / 2]; std::uint8_t qh[qk_k / 4]; std::int8_t scales[qk_k / 16]; std::uint16_t d; };

static_assert(sizeof(block_q4_0) == 18);
static_assert(sizeof(block_q4_1) == 20);
static_assert(sizeof(block_q5_0) == 22);
static_assert(sizeof(block_q5_1) == 24);
static_assert(sizeof(block_q8_0) == 34);
static_assert(sizeof(block_iq4_nl) == 18);
static_assert(sizeof(block_q2_k) == 84);
static_assert(sizeof(block_q3_k) == 110);
static_assert(sizeof(block_q4_k) == 144);
static_assert(sizeof(block_q5_k) == 176);
static_assert(sizeof(block_q6_k) == 210);

// IQ4_NL's 16 non-linear levels (kvalues_iq4nl).
inline constexpr std::int8_t iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Decoding reads each block's fields in place, never a copy of the block: vector loads of a block just
// copied with scalar stores stall on store forwarding, which made Q8_0 decoding 5x slower (0.39 against
// 0.07 ns a value on the Zen 4 VM, in-cache rows).
namespace detail {
[[nodiscard]] inline float half_at(const std::byte* p) noexcept {  // an fp16 field, exactly (F16C where the build has it)
    std::uint16_t h;
    std::memcpy(&h, p, 2);
#if defined(__F16C__)
    return _cvtsh_ss(h);
#else
    return half_bits_to_float(h);
#endif
}
[[nodiscard]] inline const std::uint8_t* bytes_at(const std::byte* p) noexcept { return reinterpret_cast<const std::uint8_t*>(p); }
// decode(block's bytes, its values) for each block of a run of n values; `out` never overlaps `in`.
template <class Block, class Decode>
inline void decode_in_place(const std::byte* in, std::int64_t n, float* out, std::int64_t per_block, Decode&& decode) {
    for (std::int64_t b = 0; b < n; b += per_block, in += sizeof(Block)) decode(in, out + b);
}
}  // namespace detail

}  // namespace mixq::gguf
