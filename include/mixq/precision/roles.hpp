// Tensor roles: a name with its layer index replaced by N, so a 24-layer report says one line per role, not per tensor.
#pragma once

#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "match_plan.hpp"

namespace mixq {

// "backbone.layers.12.mixer.in_proj.weight" -> "backbone.layers.N.mixer.in_proj.weight"; MoE experts keep
// their index ("experts.3."), they are different roles of one layer. A name outside the layers is its own role.
[[nodiscard]] inline std::string role_of(std::string_view name) {
    const std::string_view key = "layers.";
    const auto at = name.find(key);
    if (at == std::string_view::npos || (at > 0 && name[at - 1] != '.')) return std::string(name);
    auto end = at + key.size();
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    if (end == at + key.size() || end >= name.size() || name[end] != '.') return std::string(name);
    return std::string(name.substr(0, at + key.size())) + "N" + std::string(name.substr(end));
}

// One role of a plan: how many tensors share it, their parameters, and the precisions they get.
struct role_summary {
    std::string role;
    std::size_t tensors = 0;
    std::int64_t params = 0;
    std::map<precision, std::size_t> targets;  // precision -> tensors of this role that get it
};

// The plan's roles in the order they first appear in the checkpoint.
[[nodiscard]] inline std::vector<role_summary> summarize_roles(const match_plan& plan) {
    std::vector<role_summary> out;
    std::map<std::string, std::size_t> index;
    for (const auto& e : plan.entries) {
        const auto role = role_of(e.tensor->name);
        auto [it, fresh] = index.emplace(role, out.size());
        if (fresh) out.push_back({role, 0, 0, {}});
        auto& r = out[it->second];
        ++r.tensors;
        r.params += e.tensor->numel();
        ++r.targets[e.target];
    }
    return out;
}

}  // namespace mixq
