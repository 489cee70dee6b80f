// A conversion still in memory seen as model weights, so the converter can measure quality before writing.
#pragma once

#include "../model/weights.hpp"
#include "convert.hpp"

namespace mixq {

// The same names, dtypes and scales the written model.safetensors will hold (X, X_scale, aliases).
[[nodiscard]] inline checkpoint_weights weights_of(const conversion& c) {
    std::vector<tensor_view> views;
    std::map<std::string, std::string> aliases;
    for (const auto& x : c.tensors) {
        const auto& s = *x.source;
        if (x.alias_of) {
            aliases.emplace(s.name, *x.alias_of);
            continue;
        }
        views.push_back({s.name, x.stored, s.shape, x.bytes()});
        if (x.has_scales())
            views.push_back({s.name + "_scale", dtype::f32, {static_cast<std::int64_t>(x.scales.size())},
                             std::as_bytes(std::span(x.scales))});
    }
    return checkpoint_weights(c.input->path() + " (converted, table '" + c.table.name() + "')", std::move(views), aliases);
}

}  // namespace mixq
