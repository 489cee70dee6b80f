// The formats mixq can store a tensor in, by identity: the list that format/formats.hpp gives one traits entry each.
#pragma once

#include <array>
#include <cstdint>

namespace mixq {

// int4 carries its group size in the name (groups of G consecutive values along a row share a scale);
// nf4 always uses blocks of 64, fp8_e4m3 one scale per row. q4_0 ... iq4_nl are ggml's GGUF block types,
// written only by the GGUF export (format/ggml/), in ggml's own layouts. The facts of each (name, bits,
// group, stored dtype, scales) are its traits entry, in its own header of format/.
enum class precision : std::uint8_t {
    fp32, fp16, bf16, int8, int4_g32, int4_g64, int4_g128, nf4, fp8_e4m3,
    q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl,
};

inline constexpr std::array all_precisions{
    precision::fp32, precision::fp16, precision::bf16, precision::int8, precision::int4_g32, precision::int4_g64,
    precision::int4_g128, precision::nf4, precision::fp8_e4m3, precision::q4_0, precision::q4_1, precision::q5_0,
    precision::q5_1, precision::q8_0, precision::q2_k, precision::q3_k, precision::q4_k, precision::q5_k,
    precision::q6_k, precision::iq4_nl};

}  // namespace mixq
