// Whole numbers for the reports, thousands separated by commas ("124,439,808"), whatever the locale.
#pragma once

#include <cstdint>
#include <string>

namespace mixq::detail {

// {fmt}'s "{:L}" would take the separator from a std::locale that a bare container may not have installed.
[[nodiscard]] inline std::string group_digits(std::int64_t v) {
    std::string s = std::to_string(v < 0 ? -v : v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return (v < 0 ? "-" : "") + s;
}

}  // namespace mixq::detail
