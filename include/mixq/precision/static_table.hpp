// A precision table written in C++ as constexpr data, checked at compile time (decide, covers).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "rule.hpp"

namespace mixq {

// Glob patterns only: regular expressions need the run-time table (rule_table).
template <std::size_t N>
struct precision_table {
    std::array<rule, N> rules;

    [[nodiscard]] constexpr std::optional<std::size_t> decide_index(std::string_view name) const {
        return detail::decide(
            N, name, [&](std::size_t i) { return glob_match(rules[i].pattern, name); },
            [&](std::size_t i) -> std::optional<std::string_view> {
                if (is_literal_pattern(rules[i].pattern)) return rules[i].pattern;
                return std::nullopt;
            });
    }
    // The deciding rule's precision, or `otherwise` (the source precision) when no rule matches.
    [[nodiscard]] constexpr mixq::precision decide(std::string_view name,
                                                   mixq::precision otherwise = mixq::precision::fp32) const {
        const auto i = decide_index(name);
        return i ? rules[*i].precision : otherwise;
    }
};

template <class... R>
precision_table(R...) -> precision_table<sizeof...(R)>;

// True when every name in `names` is decided by some rule: use in static_assert against a layout's names.
template <class Table, class Names>
[[nodiscard]] constexpr bool covers(const Table& table, const Names& names) {
    for (const auto& n : names)
        if (!table.decide_index(n)) return false;
    return true;
}

}  // namespace mixq
