// The calibrator concept: a value type that maps a set of weights to a clipping magnitude (>= 0).
#pragma once

#include <concepts>
#include <span>
#include <string>

namespace mixq {

// c(values) returns the magnitude that maps to the largest quantized level; describe() names it
// for metadata ("percentile:99.99"), method() is the family name the CLI uses ("percentile").
template <class C>
concept calibrator = std::copy_constructible<C> && requires(const C c, std::span<const float> v) {
    { c(v) } -> std::convertible_to<float>;
    { c.describe() } -> std::convertible_to<std::string>;
    { C::method() } -> std::convertible_to<std::string>;
};

}  // namespace mixq
