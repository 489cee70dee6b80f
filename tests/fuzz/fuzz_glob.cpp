// libFuzzer target: glob_match against an independent dynamic-programming matcher (pattern \n name).
#include <cstdint>
#include <mixq/precision/glob.hpp>
#include <string>
#include <vector>

namespace {
// A "[...]" class at p[i]: members are p[first, last), `next` is past the closing ']'. Like fnmatch:
// '!' or '^' negates, a ']' right after the opening (or after the negation) is a member, "a-z" is a
// range unless the '-' is last, and an unterminated class makes the '[' a literal.
struct glob_class {
    bool valid = false, negate = false;
    std::size_t first = 0, last = 0, next = 0;
};
glob_class parse_class(const std::string& p, std::size_t i) {
    glob_class c;
    std::size_t j = i + 1;
    if (j < p.size() && (p[j] == '!' || p[j] == '^')) c.negate = true, ++j;
    c.first = j;
    if (j < p.size() && p[j] == ']') ++j;
    while (j < p.size() && p[j] != ']') ++j;
    if (j >= p.size()) return c;
    c.valid = true;
    c.last = j;
    c.next = j + 1;
    return c;
}
bool in_class(const std::string& p, const glob_class& c, char ch) {
    bool hit = false;
    for (std::size_t k = c.first; k < c.last;) {
        if (k + 2 < c.last && p[k + 1] == '-') {
            hit = hit || (p[k] <= ch && ch <= p[k + 2]);
            k += 3;
        } else {
            hit = hit || p[k] == ch;
            ++k;
        }
    }
    return hit != c.negate;
}
// dp[i][j]: pattern[i..] matches name[j..]. O(|p|·|s|), independent of mixq's backtracking matcher.
bool reference(const std::string& p, const std::string& s) {
    std::vector<std::vector<char>> dp(p.size() + 1, std::vector<char>(s.size() + 1, 0));
    dp[p.size()][s.size()] = 1;
    for (std::size_t i = p.size(); i-- > 0;) {
        const glob_class c = p[i] == '[' ? parse_class(p, i) : glob_class{};
        for (std::size_t j = s.size() + 1; j-- > 0;) {
            if (p[i] == '*') {
                dp[i][j] = dp[i + 1][j] || (j < s.size() && dp[i][j + 1]);
            } else if (j < s.size()) {
                const bool one = p[i] == '?' ? true : c.valid ? in_class(p, c, s[j]) : p[i] == s[j];
                dp[i][j] = one && dp[c.valid ? c.next : i + 1][j + 1];
            }
        }
    }
    return dp[0][0];
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    const auto nl = in.find('\n');
    if (nl == std::string::npos || in.size() > 4096) return 0;
    const std::string pattern = in.substr(0, nl), name = in.substr(nl + 1);
    if (mixq::glob_match(pattern, name) != reference(pattern, name)) __builtin_trap();
    return 0;
}
