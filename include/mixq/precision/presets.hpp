// Built-in precision tables (conservative, conservative-moe, aggressive, int8-linear, fp16, bf16) per layout.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "../core/tensor_view.hpp"
#include "rule_table.hpp"
#include "static_table.hpp"

namespace mixq::presets {

using enum mixq::precision;

// Itera-Lite names (embedding.weight, layers.N.ssm.*, layers.N.moe.*, norm_f.*, lm_head.weight).
// conservative is the seed report's map: embeddings and head int8 (percentile), SSM and final norm fp16.
inline constexpr precision_table itera_conservative{
    rule{"embedding.weight", int8},    rule{"position_embedding.weight", int8}, rule{"lm_head.weight", int8},
    rule{"layers.*.ssm.*", fp16},      rule{"norm_f.*", fp16},
};
inline constexpr precision_table itera_conservative_moe{
    rule{"embedding.weight", int8}, rule{"position_embedding.weight", int8}, rule{"lm_head.weight", int8},
    rule{"layers.*.ssm.*", fp16},   rule{"layers.*.moe.*", fp16},             rule{"norm_f.*", fp16},
};
inline constexpr precision_table itera_aggressive{
    rule{"embedding.weight", int8},        rule{"position_embedding.weight", int8},
    rule{"lm_head.weight", int8},          rule{"layers.*.ssm.in_proj.*", int8},
    rule{"layers.*.ssm.out_proj.*", int8}, rule{"layers.*.ssm.*", fp16},
    rule{"layers.*.moe.*", fp16},          rule{"norm_f.*", fp16},
};
inline constexpr precision_table itera_int8_linear{
    rule{"embedding.weight", int8},
    rule{"position_embedding.weight", int8},
    rule{"lm_head.weight", int8},
    rule{"layers.*.ssm.in_proj.weight", int8},
    rule{"layers.*.ssm.out_proj.weight", int8},
    rule{"layers.*.ssm.x_proj.weight", int8},
    rule{"layers.*.ssm.dt_proj.weight", int8},
    rule{"layers.*.moe.*.w1.weight", int8},
    rule{"layers.*.moe.*.w2.weight", int8},
    rule{"*", fp16},
};

// Hugging Face MambaForCausalLM names (backbone.embeddings.weight, backbone.layers.N.mixer.*, ...).
// There is no MoE in this layout, so conservative-moe is the same table as conservative.
inline constexpr precision_table hf_conservative{
    rule{"backbone.embeddings.weight", int8}, rule{"lm_head.weight", int8},
    rule{"backbone.layers.*.mixer.*", fp16},  rule{"backbone.layers.*.norm.weight", fp16},
    rule{"backbone.norm_f.weight", fp16},
};
inline constexpr precision_table hf_aggressive{
    rule{"backbone.embeddings.weight", int8},
    rule{"lm_head.weight", int8},
    rule{"backbone.layers.*.mixer.in_proj.weight", int8},
    rule{"backbone.layers.*.mixer.out_proj.weight", int8},
    rule{"backbone.layers.*.mixer.*", fp16},
    rule{"backbone.layers.*.norm.weight", fp16},
    rule{"backbone.norm_f.weight", fp16},
};
inline constexpr precision_table hf_int8_linear{
    rule{"backbone.embeddings.weight", int8},
    rule{"lm_head.weight", int8},
    rule{"backbone.layers.*.mixer.in_proj.weight", int8},
    rule{"backbone.layers.*.mixer.out_proj.weight", int8},
    rule{"backbone.layers.*.mixer.x_proj.weight", int8},
    rule{"backbone.layers.*.mixer.dt_proj.weight", int8},
    rule{"*", fp16},
};
// Mamba-2 and its hybrids (Mamba2ForCausalLM, Nemotron-H; "backbone." or "model." names): the large
// projections (in/out, attention q/k/v/o, MLP up/down) carry the weights; the SSM core (A_log, D, dt_bias),
// the conv and every norm are a few thousand values per layer and stay fp32, as other toolchains keep them.
inline constexpr precision_table mamba2_conservative{
    rule{"*.embeddings.weight", int8}, rule{"lm_head.weight", int8}, rule{"*.mixer.*_proj.weight", fp16}, rule{"*", fp32},
};
inline constexpr precision_table mamba2_aggressive{
    rule{"*.embeddings.weight", int8}, rule{"lm_head.weight", int8}, rule{"*.mixer.*_proj.weight", int8}, rule{"*", fp32},
};
inline constexpr precision_table mamba2_int8_linear{
    rule{"*.embeddings.weight", int8}, rule{"lm_head.weight", int8}, rule{"*.mixer.*_proj.weight", int8},
    rule{"*.mixer.A_log", fp32},       rule{"*.mixer.D", fp32},      rule{"*.mixer.dt_bias", fp32},
    rule{"*.mixer.conv1d.*", fp32},    rule{"*", fp16},
};
inline constexpr precision_table all_fp16{rule{"*", fp16}};
inline constexpr precision_table all_bf16{rule{"*", bf16}};

inline constexpr std::array<std::string_view, 6> names{"conservative", "conservative-moe", "aggressive",
                                                       "int8-linear",  "fp16",             "bf16"};

enum class family { itera_lite, hf_mamba, mamba2 };

// A Mamba-2 layer has one dt_bias per head (Mamba-1 has dt_proj); Hugging Face checkpoints put everything
// but the head under "backbone." (transformers' Nemotron-H: "model."); anything else is Itera-Lite.
[[nodiscard]] inline family detect_family(const std::vector<tensor_view>& tensors) {
    const std::string_view tell = ".mixer.dt_bias";
    for (const auto& t : tensors)
        if (t.name.size() > tell.size() && t.name.compare(t.name.size() - tell.size(), tell.size(), tell) == 0) return family::mamba2;
    for (const auto& t : tensors)
        if (t.name.rfind("backbone.", 0) == 0) return family::hf_mamba;
    return family::itera_lite;
}

[[nodiscard]] inline std::string_view to_string(family f) noexcept {
    return f == family::mamba2 ? "mamba2" : f == family::hf_mamba ? "hf-mamba" : "itera-lite";
}

// The preset `name` for the given layout family; an unknown name is a bad_input error listing the known ones.
[[nodiscard]] inline rule_table get(std::string_view name, family f) {
    const std::string n(name);
    auto pick = [&](const auto& itera, const auto& hf_table, const auto& m2) {
        return f == family::mamba2 ? rule_table::from(n, m2.rules)
               : f == family::hf_mamba ? rule_table::from(n, hf_table.rules) : rule_table::from(n, itera.rules);
    };
    if (name == "conservative") return pick(itera_conservative, hf_conservative, mamba2_conservative);
    if (name == "conservative-moe") return pick(itera_conservative_moe, hf_conservative, mamba2_conservative);
    if (name == "aggressive") return pick(itera_aggressive, hf_aggressive, mamba2_aggressive);
    if (name == "int8-linear") return pick(itera_int8_linear, hf_int8_linear, mamba2_int8_linear);
    if (name == "fp16") return pick(all_fp16, all_fp16, all_fp16);
    if (name == "bf16") return pick(all_bf16, all_bf16, all_bf16);
    std::string known;
    for (auto k : names) known += (known.empty() ? "" : ", ") + std::string(k);
    fail("unknown preset '" + n + "' (known: " + known + ")");
}

}  // namespace mixq::presets
