// Hugging Face MambaForCausalLM tensor names and their llama.cpp (GGUF architecture "mamba") twins.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mixq::gguf {

// How a tensor changes on its way into llama.cpp's layout.
enum class mamba_transform {
    none,
    squeeze_conv,  // conv1d.weight [d_inner, 1, d_conv] -> ggml [d_conv, d_inner]
    negative_exp,  // A_log -> ssm_a = -exp(A_log)
};

struct mamba_name {
    std::string gguf;
    mamba_transform transform = mamba_transform::none;
    bool computed_in_f32 = false;  // llama.cpp uses it in F32 whatever the file says (norms, biases, conv, A, D)
};

namespace detail {
struct suffix_map {
    std::string_view hf, gguf;
    mamba_transform transform;
    bool f32;
};
inline constexpr suffix_map layer_suffixes[] = {
    {"norm.weight", "attn_norm.weight", mamba_transform::none, true},
    {"mixer.in_proj.weight", "ssm_in.weight", mamba_transform::none, false},
    {"mixer.conv1d.weight", "ssm_conv1d.weight", mamba_transform::squeeze_conv, true},
    {"mixer.conv1d.bias", "ssm_conv1d.bias", mamba_transform::none, true},
    {"mixer.x_proj.weight", "ssm_x.weight", mamba_transform::none, false},
    {"mixer.dt_proj.weight", "ssm_dt.weight", mamba_transform::none, false},
    {"mixer.dt_proj.bias", "ssm_dt.bias", mamba_transform::none, true},
    {"mixer.A_log", "ssm_a", mamba_transform::negative_exp, true},
    {"mixer.D", "ssm_d", mamba_transform::none, true},
    {"mixer.out_proj.weight", "ssm_out.weight", mamba_transform::none, false},
};
inline constexpr std::string_view layer_prefix = "backbone.layers.";
}  // namespace detail

// The GGUF name of a Hugging Face Mamba tensor; nullopt for a name llama.cpp has no place for.
[[nodiscard]] inline std::optional<mamba_name> to_gguf_name(std::string_view hf) {
    if (hf == "backbone.embeddings.weight") return mamba_name{"token_embd.weight"};
    if (hf == "backbone.norm_f.weight") return mamba_name{"output_norm.weight", mamba_transform::none, true};
    if (hf == "lm_head.weight") return mamba_name{"output.weight"};
    if (!hf.starts_with(detail::layer_prefix)) return std::nullopt;
    const auto rest = hf.substr(detail::layer_prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 6) return std::nullopt;
    const auto layer = rest.substr(0, dot);
    for (char ch : layer)
        if (ch < '0' || ch > '9') return std::nullopt;
    if (layer.size() > 1 && layer[0] == '0') return std::nullopt;
    const auto suffix = rest.substr(dot + 1);
    for (const auto& s : detail::layer_suffixes)
        if (suffix == s.hf) return mamba_name{"blk." + std::string(layer) + "." + std::string(s.gguf), s.transform, s.f32};
    return std::nullopt;
}

// The Hugging Face name of a GGUF Mamba tensor (ssm_a maps to "mixer.A": it holds A, not A_log).
[[nodiscard]] inline std::optional<std::string> to_hf_name(std::string_view g) {
    if (g == "token_embd.weight") return "backbone.embeddings.weight";
    if (g == "output_norm.weight") return "backbone.norm_f.weight";
    if (g == "output.weight") return "lm_head.weight";
    if (!g.starts_with("blk.")) return std::nullopt;
    const auto rest = g.substr(4);
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 6) return std::nullopt;
    const auto layer = rest.substr(0, dot);
    for (char ch : layer)
        if (ch < '0' || ch > '9') return std::nullopt;
    const auto suffix = rest.substr(dot + 1);
    for (const auto& s : detail::layer_suffixes)
        if (suffix == s.gguf)
            return std::string(detail::layer_prefix) + std::string(layer) + "." +
                   (s.transform == mamba_transform::negative_exp ? std::string("mixer.A") : std::string(s.hf));
    return std::nullopt;
}

// "blk.*.ssm_in.weight" for "blk.7.ssm_in.weight": the report groups the layers of one role.
[[nodiscard]] inline std::string role_of(std::string_view g) {
    if (!g.starts_with("blk.")) return std::string(g);
    const auto dot = g.find('.', 4);
    return dot == std::string_view::npos ? std::string(g) : "blk.*" + std::string(g.substr(dot));
}

}  // namespace mixq::gguf
