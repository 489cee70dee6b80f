// A precision table built at run time (from JSON, a preset or code); patterns are globs or "re:" regexes.
#pragma once

#include <array>
#include <cctype>
#include <cstddef>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "rule.hpp"

namespace mixq {

struct owned_rule {
    std::string pattern;  // as written, including a leading "re:" for a regular expression
    mixq::precision precision;
    std::shared_ptr<const std::regex> regex;  // set for "re:" rules; full match (std::regex_match)

    [[nodiscard]] bool is_regex() const noexcept { return regex != nullptr; }
    [[nodiscard]] bool is_literal() const noexcept { return !regex && is_literal_pattern(pattern); }
    [[nodiscard]] bool matches(std::string_view name) const {
        if (regex) return std::regex_match(name.begin(), name.end(), *regex);
        return glob_match(pattern, name);
    }
    // "pattern -> precision", the way reports name a rule.
    [[nodiscard]] std::string describe() const { return pattern + " -> " + std::string(to_string(precision)); }
};

namespace detail {
// libstdc++'s regex compiler accumulates back-reference and repetition numbers in a `long` without an
// overflow check (undefined behaviour, found by fuzz_table_json). No tensor-name regex needs a
// back-reference or a count with more than 6 digits, so such numbers are refused before compiling.
inline void check_regex_numbers(const std::string& re, const std::string& rule) {
    for (std::size_t i = 0; i < re.size(); ++i) {
        const bool after_escape = re[i] == '\\' && i + 1 < re.size() && std::isdigit(static_cast<unsigned char>(re[i + 1]));
        const bool in_count = re[i] == '{' || (re[i] == ',' && i > 0 && std::isdigit(static_cast<unsigned char>(re[i - 1])));
        if (!after_escape && !in_count) continue;
        std::size_t j = i + 1;
        while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j]))) ++j;
        if (j - i - 1 > 6) fail(rule + ": number '" + re.substr(i + 1, j - i - 1) + "' in the regular expression is too large");
        if (re[i] == '\\') i = j - 1;
    }
}
}  // namespace detail

class rule_table {
public:
    rule_table() = default;
    explicit rule_table(std::string name) : name_(std::move(name)) {}

    // Appends a rule; "re:..." compiles a regular expression (an invalid one is a bad_input error
    // naming the rule by its position and text).
    rule_table& add(std::string pattern, mixq::precision p) {
        owned_rule r{std::move(pattern), p, nullptr};
        if (r.pattern.rfind("re:", 0) == 0) {
            detail::check_regex_numbers(r.pattern.substr(3), "rule #" + std::to_string(rules_.size() + 1) + " '" + r.pattern + "'");
            try {
                r.regex = std::make_shared<const std::regex>(r.pattern.substr(3), std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                fail("rule #" + std::to_string(rules_.size() + 1) + " '" + r.pattern +
                     "': invalid regular expression: " + e.what());
            }
        } else if (r.pattern.empty()) {
            fail("rule #" + std::to_string(rules_.size() + 1) + ": empty pattern");
        }
        rules_.push_back(std::move(r));
        return *this;
    }

    template <std::size_t N>
    static rule_table from(std::string name, const std::array<rule, N>& rules) {
        rule_table t(std::move(name));
        for (const auto& r : rules) t.add(std::string(r.pattern), r.precision);
        return t;
    }

    [[nodiscard]] std::optional<std::size_t> decide_index(std::string_view name) const {
        return detail::decide(
            rules_.size(), name, [&](std::size_t i) { return rules_[i].matches(name); },
            [&](std::size_t i) -> std::optional<std::string_view> {
                if (rules_[i].is_literal()) return std::string_view(rules_[i].pattern);
                return std::nullopt;
            });
    }

    [[nodiscard]] const std::vector<owned_rule>& rules() const noexcept { return rules_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::size_t size() const noexcept { return rules_.size(); }

private:
    std::string name_;
    std::vector<owned_rule> rules_;
};

}  // namespace mixq
