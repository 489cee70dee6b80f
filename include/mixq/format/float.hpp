// The float formats: fp32 as read, fp16 and bf16 casts (their rounding is quant/float_cast.hpp).
#pragma once

#include "traits.hpp"

namespace mixq {

inline constexpr format_traits fp32_format{precision::fp32, "fp32", "fp32", 32, 0, dtype::f32, scale_layout::none, gguf::ggml_type::f32};
inline constexpr format_traits fp16_format{precision::fp16, "fp16", "fp16", 16, 0, dtype::f16, scale_layout::none, gguf::ggml_type::f16};
inline constexpr format_traits bf16_format{precision::bf16, "bf16", "bf16", 16, 0, dtype::bf16, scale_layout::none, gguf::ggml_type::bf16};

}  // namespace mixq
