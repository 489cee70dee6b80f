// ggml's block layouts (ggml-common.h), each written once with its size checked: the GGUF bytes mixq writes and reads.
#pragma once

#include <cstdint>

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

}  // namespace mixq::gguf
