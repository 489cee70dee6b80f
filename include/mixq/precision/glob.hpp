// fnmatch-style glob matching (`*` any run of characters including dots, `?`, `[...]`), usable at compile time.
#pragma once

#include <cstddef>
#include <string_view>

namespace mixq {

namespace detail {
// Matches one character against the class starting at pattern[i] == '['. Sets `next` past the class.
// Returns false with next == i when the class is unterminated (then '[' is a literal, as in Python).
constexpr bool glob_class(std::string_view p, std::size_t i, char c, std::size_t& next) noexcept {
    std::size_t j = i + 1;
    bool negate = false;
    if (j < p.size() && (p[j] == '!' || p[j] == '^')) {
        negate = true;
        ++j;
    }
    bool hit = false;
    bool first = true;
    while (j < p.size() && (p[j] != ']' || first)) {  // a ']' right after '[' or '[!' is a member
        first = false;
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
            if (p[j] <= c && c <= p[j + 2]) hit = true;
            j += 3;
        } else {
            if (p[j] == c) hit = true;
            ++j;
        }
    }
    if (j >= p.size()) {
        next = i;
        return false;
    }
    next = j + 1;
    return hit != negate;
}
}  // namespace detail

// True when the pattern contains no glob metacharacter, i.e. it can only match one exact name.
[[nodiscard]] constexpr bool is_literal_pattern(std::string_view p) noexcept {
    return p.find_first_of("*?[") == std::string_view::npos;
}

// Linear-time in practice and O(|p|·|s|) worst case: on a mismatch only the last '*' is retried,
// so patterns like "*a*a*a*b" cannot blow up exponentially.
[[nodiscard]] constexpr bool glob_match(std::string_view p, std::string_view s) noexcept {
    std::size_t pi = 0, si = 0;
    std::size_t star_p = std::string_view::npos, star_s = 0;
    while (si < s.size()) {
        if (pi < p.size()) {
            const char pc = p[pi];
            if (pc == '*') {
                star_p = pi++;
                star_s = si;
                continue;
            }
            if (pc == '?') {
                ++pi;
                ++si;
                continue;
            }
            if (pc == '[') {
                std::size_t next = pi;
                const bool hit = detail::glob_class(p, pi, s[si], next);
                if (next != pi) {  // a well-formed class
                    if (hit) {
                        pi = next;
                        ++si;
                        continue;
                    }
                } else if (s[si] == '[') {  // unterminated: literal '['
                    ++pi;
                    ++si;
                    continue;
                }
            } else if (pc == s[si]) {
                ++pi;
                ++si;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        pi = star_p + 1;  // let the last '*' swallow one more character
        si = ++star_s;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

}  // namespace mixq
