// Hugging Face tensor names of Mamba-1, Mamba-2 and Nemotron-H and their llama.cpp twins (GGUF architectures "mamba", "mamba2", "nemotron_h").
#pragma once

#include <optional>
#include <span>
#include <utility>
#include <string>
#include <string_view>

namespace mixq::gguf {

// How a tensor changes on its way into llama.cpp's layout.
enum class mamba_transform {
    none,
    squeeze_conv,  // conv1d.weight [d_inner, 1, d_conv] -> ggml [d_conv, d_inner]
    negative_exp,  // A_log -> ssm_a = -exp(A_log)
    negative_exp_column,  // Mamba-2's A_log [heads] -> ssm_a = -exp(A_log), ggml [1, heads]
    column,               // Mamba-2's D [heads] -> ssm_d, ggml [1, heads]
    by_group,             // Mamba-2's gated norm weight [d_inner] -> ssm_norm, ggml [d_inner / n_groups, n_groups]
};

// The llama.cpp architecture of each layout mixq exports.
enum class gguf_arch { mamba, mamba2, nemotron_h };

[[nodiscard]] constexpr std::string_view to_string(gguf_arch a) noexcept {
    return a == gguf_arch::mamba2 ? "mamba2" : a == gguf_arch::nemotron_h ? "nemotron_h" : "mamba";
}

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
// Mamba-2 mixers, and Nemotron-H's attention and MLP layers (llama.cpp's names for them).
inline constexpr suffix_map mamba2_suffixes[] = {
    {"norm.weight", "attn_norm.weight", mamba_transform::none, true},
    {"mixer.in_proj.weight", "ssm_in.weight", mamba_transform::none, false},
    {"mixer.conv1d.weight", "ssm_conv1d.weight", mamba_transform::squeeze_conv, true},
    {"mixer.conv1d.bias", "ssm_conv1d.bias", mamba_transform::none, true},
    {"mixer.dt_bias", "ssm_dt.bias", mamba_transform::none, true},
    {"mixer.A_log", "ssm_a", mamba_transform::negative_exp_column, true},
    {"mixer.D", "ssm_d", mamba_transform::column, true},
    {"mixer.norm.weight", "ssm_norm.weight", mamba_transform::by_group, true},
    {"mixer.out_proj.weight", "ssm_out.weight", mamba_transform::none, false},
    {"mixer.q_proj.weight", "attn_q.weight", mamba_transform::none, false},
    {"mixer.k_proj.weight", "attn_k.weight", mamba_transform::none, false},
    {"mixer.v_proj.weight", "attn_v.weight", mamba_transform::none, false},
    {"mixer.o_proj.weight", "attn_output.weight", mamba_transform::none, false},
    {"mixer.up_proj.weight", "ffn_up.weight", mamba_transform::none, false},
    {"mixer.down_proj.weight", "ffn_down.weight", mamba_transform::none, false},
};
inline std::span<const suffix_map> suffixes(gguf_arch a) {
    if (a == gguf_arch::mamba) return layer_suffixes;
    return mamba2_suffixes;
}
// "12" of "12.mixer.x" (digits, no leading zero), and the rest after the dot; nullopt otherwise.
inline std::optional<std::pair<std::string_view, std::string_view>> split_layer(std::string_view rest, bool allow_leading_zero) {
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 6) return std::nullopt;
    const auto layer = rest.substr(0, dot);
    for (char ch : layer)
        if (ch < '0' || ch > '9') return std::nullopt;
    if (!allow_leading_zero && layer.size() > 1 && layer[0] == '0') return std::nullopt;
    return std::pair{layer, rest.substr(dot + 1)};
}
}  // namespace detail

// The GGUF name of a Hugging Face tensor of a Mamba-2 family layout whose names start with `prefix`
// ("backbone." or "model."); nullopt for a name llama.cpp has no place for.
[[nodiscard]] inline std::optional<mamba_name> to_gguf_name(std::string_view hf, gguf_arch arch, std::string_view prefix) {
    if (arch == gguf_arch::mamba && prefix != "backbone.") return std::nullopt;
    if (hf == "lm_head.weight") return mamba_name{"output.weight"};
    if (!hf.starts_with(prefix)) return std::nullopt;
    const auto local = hf.substr(prefix.size());
    if (local == "embeddings.weight") return mamba_name{"token_embd.weight"};
    if (local == "norm_f.weight") return mamba_name{"output_norm.weight", mamba_transform::none, true};
    if (!local.starts_with("layers.")) return std::nullopt;
    const auto parts = detail::split_layer(local.substr(7), false);
    if (!parts) return std::nullopt;
    for (const auto& s : detail::suffixes(arch))
        if (parts->second == s.hf) return mamba_name{"blk." + std::string(parts->first) + "." + std::string(s.gguf), s.transform, s.f32};
    return std::nullopt;
}

// The Hugging Face name (under `prefix`) of a GGUF tensor of `arch`; ssm_a maps to "mixer.A" (it holds A, not A_log).
[[nodiscard]] inline std::optional<std::string> to_hf_name(std::string_view g, gguf_arch arch, std::string_view prefix) {
    const std::string pre(prefix);
    if (g == "token_embd.weight") return pre + "embeddings.weight";
    if (g == "output_norm.weight") return pre + "norm_f.weight";
    if (g == "output.weight") return "lm_head.weight";
    if (!g.starts_with("blk.")) return std::nullopt;
    const auto parts = detail::split_layer(g.substr(4), true);
    if (!parts) return std::nullopt;
    for (const auto& s : detail::suffixes(arch))
        if (parts->second == s.gguf) {
            const bool a = s.transform == mamba_transform::negative_exp || s.transform == mamba_transform::negative_exp_column;
            return pre + "layers." + std::string(parts->first) + "." + (a ? std::string("mixer.A") : std::string(s.hf));
        }
    return std::nullopt;
}

// The GGUF name of a Hugging Face Mamba (MambaForCausalLM) tensor; nullopt for a name llama.cpp has no place for.
[[nodiscard]] inline std::optional<mamba_name> to_gguf_name(std::string_view hf) { return to_gguf_name(hf, gguf_arch::mamba, "backbone."); }

// The Hugging Face name of a GGUF Mamba tensor (ssm_a maps to "mixer.A": it holds A, not A_log).
[[nodiscard]] inline std::optional<std::string> to_hf_name(std::string_view g) { return to_hf_name(g, gguf_arch::mamba, "backbone."); }

// "blk.*.ssm_in.weight" for "blk.7.ssm_in.weight": the report groups the layers of one role.
[[nodiscard]] inline std::string role_of(std::string_view g) {
    if (!g.starts_with("blk.")) return std::string(g);
    const auto dot = g.find('.', 4);
    return dot == std::string_view::npos ? std::string(g) : "blk.*" + std::string(g.substr(dot));
}

}  // namespace mixq::gguf
