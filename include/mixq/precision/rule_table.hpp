// A precision table built at run time (from JSON, a preset or code); patterns are globs or "re:" regexes.
#pragma once

#include <array>
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

class rule_table {
public:
    rule_table() = default;
    explicit rule_table(std::string name) : name_(std::move(name)) {}

    // Appends a rule; "re:..." compiles a regular expression (an invalid one is a bad_input error
    // naming the rule by its position and text).
    rule_table& add(std::string pattern, mixq::precision p) {
        owned_rule r{std::move(pattern), p, nullptr};
        if (r.pattern.rfind("re:", 0) == 0) {
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
