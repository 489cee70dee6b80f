// A precision rule (pattern -> precision) and the precedence that picks the deciding rule for a name.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "../format/formats.hpp"
#include "glob.hpp"

namespace mixq {

// Precedence, the same for compile-time and run-time tables:
//   1. a rule whose pattern is a literal name equal to the tensor name wins outright, wherever it stands;
//   2. otherwise the first rule (in table order) whose pattern matches wins;
//   3. a name no rule matches is "unmatched" and keeps its source precision.
// Literal rules win first so that adding "lm_head.weight: fp16" after a broad "*: int8" does what it says.
struct rule {
    std::string_view pattern;
    mixq::precision precision;
};

namespace detail {
// Shared by every table type. `matches(i)` tests rule i against the name; `literal(i)` returns the
// pattern of rule i if it is a literal (exact-name) rule, otherwise an empty optional.
template <class Matches, class Literal>
constexpr std::optional<std::size_t> decide(std::size_t n, std::string_view name, Matches matches, Literal literal) {
    for (std::size_t i = 0; i < n; ++i)
        if (auto lit = literal(i); lit && *lit == name) return i;
    for (std::size_t i = 0; i < n; ++i)
        if (matches(i)) return i;
    return std::nullopt;
}
}  // namespace detail

}  // namespace mixq
