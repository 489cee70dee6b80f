// The text report of how a precision table matched a model's tensors: its rules, unused and shadowed ones, unmatched tensors.
#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../core/group_digits.hpp"
#include "../core/tensor_view.hpp"
#include "glob.hpp"
#include "match_plan.hpp"
#include "roles.hpp"
#include "rule_table.hpp"

namespace mixq {

// Above this many rules, exact-name rules of the same role and precision share one report line.
inline constexpr std::size_t fold_rules_above = 40;

// The match report alone (used by mixq-inspect and the converter): rules, unused, shadowed, unmatched.
// A large table of exact names (a searched table.json names every tensor) is reported one line per
// tensor role and precision ("layers.N." for every layer), with the rules folded into it counted.
[[nodiscard]] inline std::string match_report_text(const rule_table& table, const match_plan& plan) {
    std::string o = "rules (an exact name wins, otherwise the first match):\n";
    struct line {
        std::string pattern, first_pattern;
        precision target;
        std::size_t first = 0, rules = 0, tensors = 0;
        std::int64_t params = 0;
    };
    std::vector<line> lines;
    std::map<std::pair<std::string, precision>, std::size_t> folded;  // (role, precision) -> its line
    const bool fold = table.size() > fold_rules_above;
    for (std::size_t i = 0; i < table.size(); ++i) {
        const auto& r = table.rules()[i];
        const auto role = role_of(r.pattern);
        const bool foldable = fold && is_literal_pattern(r.pattern) && !r.pattern.starts_with("re:") && role != r.pattern;
        std::size_t at = lines.size();
        if (foldable) {
            const auto [it, fresh] = folded.emplace(std::pair{role, r.precision}, lines.size());
            at = it->second;
            if (fresh) lines.push_back({role, r.pattern, r.precision, i, 0, 0, 0});
        } else {
            lines.push_back({r.pattern, r.pattern, r.precision, i, 0, 0, 0});
        }
        auto& l = lines[at];
        ++l.rules;
        l.tensors += plan.usage[i].tensors_won;
        l.params += plan.usage[i].params_won;
    }
    for (const auto& l : lines) {
        const auto& shown = l.rules > 1 ? l.pattern : l.first_pattern;  // a role with one rule keeps its name
        o += fmt::format("  #{:<2} {:<40} {:<9} {:4} tensors {:>12} params", l.first + 1, shown, std::string(to_string(l.target)),
                         l.tensors, detail::group_digits(l.params));
        o += l.rules > 1 ? fmt::format(" ({} exact-name rules, from #{})\n", l.rules, l.first + 1) : "\n";
    }
    for (std::size_t i : plan.unused_rules())
        o += fmt::format("  WARNING: rule #{} '{}' matches no tensor\n", i + 1, table.rules()[i].pattern);
    for (std::size_t i : plan.shadowed_rules())
        o += fmt::format("  WARNING: rule #{} '{}' is shadowed: earlier rules decide every tensor it matches\n", i + 1,
                         table.rules()[i].pattern);
    const auto un = plan.unmatched();
    if (!un.empty()) {
        std::int64_t p = 0;
        for (const auto* e : un) p += e->tensor->numel();
        o += fmt::format("WARNING: {} tensor(s), {} params, match no rule and keep their source precision:\n", un.size(),
                         detail::group_digits(p));
        for (const auto* e : un)
            o += fmt::format("  {:<44} {:<16} {}\n", e->tensor->name, shape_string(e->tensor->shape),
                             std::string(to_string(e->tensor->type)));
    } else {
        o += "every tensor is decided by a rule\n";
    }
    return o;
}

}  // namespace mixq
