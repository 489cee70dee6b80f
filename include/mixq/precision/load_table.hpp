// The table a run uses: a JSON table file when one is named, else a built-in preset for the checkpoint's family.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "../core/tensor_view.hpp"
#include "presets.hpp"
#include "rule_table.hpp"
#include "table_json.hpp"

namespace mixq {

// `path` (a table file, any of table_json.hpp's forms) wins; else the preset `preset` (default
// "conservative") of the family the tensors' names show (presets::detect_family).
[[nodiscard]] inline rule_table load_table(const std::string& path, std::string_view preset, const std::vector<tensor_view>& tensors) {
    if (!path.empty()) return load_table_json(path);
    return presets::get(preset.empty() ? "conservative" : preset, presets::detect_family(tensors));
}

}  // namespace mixq
