// ggml's block types as mixq precisions (GGUF output only): one traits entry each; layouts and codecs in format/ggml/.
#pragma once

#include "traits.hpp"

namespace mixq {

// Bits are the nominal code width (scales aside); the block and its bytes are ggml's (format/ggml/types.hpp).
inline constexpr format_traits q4_0_format{precision::q4_0, "q4_0", "q4_0", 4, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q4_0};
inline constexpr format_traits q4_1_format{precision::q4_1, "q4_1", "q4_1", 4, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q4_1};
inline constexpr format_traits q5_0_format{precision::q5_0, "q5_0", "q5_0", 5, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q5_0};
inline constexpr format_traits q5_1_format{precision::q5_1, "q5_1", "q5_1", 5, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q5_1};
inline constexpr format_traits q8_0_format{precision::q8_0, "q8_0", "q8_0", 8, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q8_0};
inline constexpr format_traits q2_k_format{precision::q2_k, "q2_k", "q2_k", 2, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q2_k};
inline constexpr format_traits q3_k_format{precision::q3_k, "q3_k", "q3_k", 3, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q3_k};
inline constexpr format_traits q4_k_format{precision::q4_k, "q4_k", "q4_k", 4, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q4_k};
inline constexpr format_traits q5_k_format{precision::q5_k, "q5_k", "q5_k", 5, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q5_k};
inline constexpr format_traits q6_k_format{precision::q6_k, "q6_k", "q6_k", 6, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::q6_k};
inline constexpr format_traits iq4_nl_format{precision::iq4_nl, "iq4_nl", "iq4_nl", 4, 0, std::nullopt, scale_layout::in_blocks, gguf::ggml_type::iq4_nl};

}  // namespace mixq
