// fp16 / bf16 storage casts (round to nearest even) with the checks a converter needs (overflow to Inf).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/half.hpp"
#include "../format/float.hpp"

namespace mixq {

// fp16: IEEE binary16. Values beyond ±65504 would become Inf, which is an error naming the tensor.
struct fp16_cast {
    static constexpr precision target = fp16_format.id;
    static constexpr dtype stored = *fp16_format.stored;
    [[nodiscard]] static std::uint16_t encode(float f) noexcept { return float_to_half_bits(f); }
    [[nodiscard]] static float decode(std::uint16_t b) noexcept { return half_bits_to_float(b); }
};
// bf16: the top 16 bits of fp32, rounded; same range as fp32, so no overflow check is needed.
struct bf16_cast {
    static constexpr precision target = bf16_format.id;
    static constexpr dtype stored = *bf16_format.stored;
    [[nodiscard]] static std::uint16_t encode(float f) noexcept { return float_to_bf16_bits(f); }
    [[nodiscard]] static float decode(std::uint16_t b) noexcept { return bf16_bits_to_float(b); }
};

template <class Cast>
[[nodiscard]] std::vector<std::uint16_t> cast_all(std::span<const float> w, const std::string& tensor_name) {
    std::vector<std::uint16_t> out(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
        out[i] = Cast::encode(w[i]);
        if (std::isinf(Cast::decode(out[i])) && !std::isinf(w[i]))
            fail("tensor '" + tensor_name + "': value " + std::to_string(w[i]) + " at index " + std::to_string(i) +
                 " overflows " + std::string(to_string(Cast::target)));
    }
    return out;
}

}  // namespace mixq
