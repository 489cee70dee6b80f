// A model's family, sizes and layer kinds: what the reference forward needs to know besides the weights.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace mixq {

// The checkpoint layouts mixq reads. hf_mamba2 and nemotron_h are decided by config.json, which they need
// (n_groups and the heads cannot be read from the tensors).
enum class layout_kind { itera_lite, hf_mamba, hf_mamba2, nemotron_h };

[[nodiscard]] inline std::string_view to_string(layout_kind k) noexcept {
    switch (k) {
        case layout_kind::hf_mamba: return "hf-mamba";
        case layout_kind::hf_mamba2: return "hf-mamba2";
        case layout_kind::nemotron_h: return "nemotron-h";
        default: return "itera-lite";
    }
}

// What one layer's mixer is (Nemotron-H's hybrid_override_pattern letters M, *, -).
enum class layer_kind { mamba1, mamba2, attention, mlp };

[[nodiscard]] inline std::string_view to_string(layer_kind k) noexcept {
    switch (k) {
        case layer_kind::mamba2: return "mamba2";
        case layer_kind::attention: return "attention";
        case layer_kind::mlp: return "mlp";
        default: return "mamba1";
    }
}

// The Mamba-2 mixer's sizes: d_inner = heads · head_dim channels, B and C in n_groups groups of d_state.
struct mamba2_sizes {
    std::int64_t heads = 0, head_dim = 0, groups = 1;
    // dt = clamp(softplus(dt + dt_bias), dt_min, dt_max): config.json's time_step_limit.
    double dt_min = 0.0, dt_max = std::numeric_limits<double>::infinity();
    [[nodiscard]] std::int64_t d_inner() const noexcept { return heads * head_dim; }
};

// Causal self-attention with grouped key/value heads, no positional encoding (Nemotron-H).
struct attention_sizes {
    std::int64_t heads = 0, kv_heads = 0, head_dim = 0;
};

struct model_config {
    layout_kind layout = layout_kind::itera_lite;
    std::int64_t vocab = 0, d_model = 0, n_layers = 0, d_inner = 0, d_state = 0, dt_rank = 0, d_conv = 0;
    std::int64_t max_seq = 0;  // position embeddings (Itera-Lite); 0 = no limit (HF Mamba)
    std::vector<bool> moe;     // per layer
    std::int64_t n_experts = 0, ffn_width = 0, top_k = 2;
    bool tied_head = false;
    double norm_eps = 1e-5;
    // Mamba-2 and hybrids: each layer's kind (Mamba-1 layouts: all mamba1), the tensor name prefix
    // ("backbone." as NVIDIA and Mamba2ForCausalLM write it, "model." as transformers saves Nemotron-H).
    std::vector<layer_kind> kinds;
    std::string prefix = "backbone.";
    mamba2_sizes ssd;
    attention_sizes attn;
    std::int64_t mlp_width = 0;

    [[nodiscard]] bool hf_names() const noexcept { return layout != layout_kind::itera_lite; }
    [[nodiscard]] bool mamba2_family() const noexcept {
        return layout == layout_kind::hf_mamba2 || layout == layout_kind::nemotron_h;
    }
    [[nodiscard]] layer_kind kind(std::int64_t i) const {
        return kinds.empty() ? layer_kind::mamba1 : kinds[static_cast<std::size_t>(i)];
    }
    [[nodiscard]] std::string layer(std::int64_t i) const {
        return (hf_names() ? prefix + "layers." : std::string("layers.")) + std::to_string(i) + ".";
    }
    [[nodiscard]] std::string mixer(std::int64_t i) const { return layer(i) + (hf_names() ? "mixer." : "ssm."); }
    [[nodiscard]] std::string embedding() const { return hf_names() ? prefix + "embeddings.weight" : "embedding.weight"; }
    [[nodiscard]] std::string norm_f() const { return hf_names() ? prefix + "norm_f." : "norm_f."; }
    [[nodiscard]] std::string head() const { return tied_head ? embedding() : "lm_head.weight"; }
    // Mamba-2: the conv runs over x, B and C; in_proj gives z, then those, then one dt per head.
    [[nodiscard]] std::int64_t conv_dim() const noexcept { return ssd.d_inner() + 2 * ssd.groups * d_state; }
    [[nodiscard]] std::int64_t in_proj_rows() const noexcept { return ssd.d_inner() + conv_dim() + ssd.heads; }
    // Tokens per evaluation window: the length asked for (> 0), else the model's maximum length, else 128.
    [[nodiscard]] std::int64_t window_or_default(std::int64_t asked) const noexcept {
        return asked > 0 ? asked : (max_seq > 0 ? max_seq : 128);
    }
};

}  // namespace mixq
