// Who decides what: each tensor's deciding rule, per-rule counts, unused and shadowed rules, unmatched tensors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../core/tensor_view.hpp"
#include "rule_table.hpp"

namespace mixq {

struct plan_entry {
    const tensor_view* tensor;
    std::optional<std::size_t> rule;  // deciding rule; empty = unmatched
    mixq::precision target;           // the rule's precision, or the source precision when unmatched
};

struct rule_usage {
    std::size_t tensors_won = 0;      // tensors this rule decided
    std::int64_t params_won = 0;
    std::size_t tensors_matched = 0;  // tensors its pattern matches, decided by it or not
};

struct match_plan {
    std::vector<plan_entry> entries;  // in the checkpoint's order
    std::vector<rule_usage> usage;    // one per rule, in table order

    // Rules whose pattern matches no tensor at all: usually a typo or a table for another layout.
    [[nodiscard]] std::vector<std::size_t> unused_rules() const {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < usage.size(); ++i)
            if (usage[i].tensors_matched == 0) out.push_back(i);
        return out;
    }
    // Rules that match tensors but never decide one, because rules before them always win.
    [[nodiscard]] std::vector<std::size_t> shadowed_rules() const {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < usage.size(); ++i)
            if (usage[i].tensors_matched > 0 && usage[i].tensors_won == 0) out.push_back(i);
        return out;
    }
    [[nodiscard]] std::vector<const plan_entry*> unmatched() const {
        std::vector<const plan_entry*> out;
        for (const auto& e : entries)
            if (!e.rule) out.push_back(&e);
        return out;
    }
};

// The source precision a tensor keeps when no rule decides it.
[[nodiscard]] inline precision source_precision(const tensor_view& t) noexcept {
    return precision_of(t.type).value_or(precision::fp32);
}

[[nodiscard]] inline match_plan make_plan(const rule_table& table, const std::vector<tensor_view>& tensors) {
    match_plan plan;
    plan.usage.resize(table.size());
    for (const auto& t : tensors) {
        const auto r = table.decide_index(t.name);
        for (std::size_t i = 0; i < table.size(); ++i)
            if (table.rules()[i].matches(t.name)) ++plan.usage[i].tensors_matched;
        if (r) {
            ++plan.usage[*r].tensors_won;
            plan.usage[*r].params_won += t.numel();
        }
        plan.entries.push_back({&t, r, r ? table.rules()[*r].precision : source_precision(t)});
    }
    return plan;
}

}  // namespace mixq
