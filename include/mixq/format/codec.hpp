// The codec concept and one codec per scaled format: a clip's scale and a value's round trip, for calibrators.
#pragma once

#include <concepts>
#include <string_view>

#include "fp8_e4m3.hpp"
#include "int4.hpp"
#include "int8.hpp"
#include "nf4.hpp"

namespace mixq {

// C::scale(clip) is the scale a clipping magnitude gives; C::roundtrip(w, scale) the dequantized value of w
// (saturating beyond the clip). Calibrators that measure error (mse, gptq) work through these alone.
template <class C>
concept codec = requires(float w, float s) {
    { C::scale(w) } -> std::convertible_to<float>;
    { C::roundtrip(w, s) } -> std::convertible_to<float>;
    { C::name } -> std::convertible_to<std::string_view>;
};

// int8: clip -> 127.
struct int8_codec {
    static constexpr std::string_view name = int8_format.family;
    static float scale(float clip) noexcept { return int8_scale(clip); }
    static float roundtrip(float w, float s) noexcept { return static_cast<float>(int8_code(w, s)) * s; }
};
// int4: clip -> 7.
struct int4_codec {
    static constexpr std::string_view name = int4_g32_format.family;
    static float scale(float clip) noexcept { return int4_scale(clip); }
    static float roundtrip(float w, float s) noexcept { return static_cast<float>(int4_code(w, s)) * s; }
};
// nf4: clip -> level 1.0.
struct nf4_codec {
    static constexpr std::string_view name = nf4_format.family;
    static float scale(float clip) noexcept { return nf4_scale(clip); }
    static float roundtrip(float w, float s) noexcept { return nf4_value(nf4_code(w, s), s); }
};
// fp8 e4m3fn: clip -> 448.
struct fp8_e4m3_codec {
    static constexpr std::string_view name = fp8_e4m3_format.family;
    static float scale(float clip) noexcept {
        const float s = clip / fp8_e4m3_max;
        return s == 0.0f ? 1.0f : s;
    }
    static float roundtrip(float w, float s) noexcept { return fp8_e4m3_table[fp8_e4m3_encode(w / s)] * s; }
};
static_assert(codec<int8_codec> && codec<int4_codec> && codec<nf4_codec> && codec<fp8_e4m3_codec>);

}  // namespace mixq
