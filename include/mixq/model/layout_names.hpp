// The tensor names a layout has, computable at compile time so a precision table's coverage can be static_asserted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mixq::layout {

namespace detail {
constexpr std::string num(int v) {
    std::string s;
    do {
        s.insert(s.begin(), static_cast<char>('0' + v % 10));
        v /= 10;
    } while (v > 0);
    return s;
}
}  // namespace detail

// Itera-Lite: embeddings, per layer an SSM block and (in the layers of moe_layers, a bit mask) an MoE block.
struct itera_lite {
    int layers = 4;
    unsigned moe_layers = 0b0110;  // bit i set: layer i has MoE (the fixture: layers 1 and 2)
    int experts = 4;

    [[nodiscard]] constexpr std::vector<std::string> tensor_names() const {
        std::vector<std::string> n{"embedding.weight", "position_embedding.weight"};
        for (int l = 0; l < layers; ++l) {
            const std::string p = "layers." + detail::num(l) + ".";
            for (const char* s : {"ssm.norm.weight", "ssm.norm.bias", "ssm.in_proj.weight", "ssm.conv1d.weight",
                                  "ssm.conv1d.bias", "ssm.x_proj.weight", "ssm.dt_proj.weight", "ssm.dt_proj.bias",
                                  "ssm.A_log", "ssm.D", "ssm.out_proj.weight"})
                n.push_back(p + s);
            if (moe_layers >> l & 1u) {
                for (const char* s : {"moe.norm.weight", "moe.norm.bias", "moe.moe.gate.weight"}) n.push_back(p + s);
                for (int e = 0; e < experts; ++e)
                    for (const char* w : {".w1.weight", ".w2.weight"}) n.push_back(p + "moe.moe.experts." + detail::num(e) + w);
                for (const char* s : {"moe.ffn.w1.weight", "moe.ffn.w2.weight"}) n.push_back(p + s);
            }
        }
        for (const char* s : {"norm_f.weight", "norm_f.bias", "lm_head.weight"}) n.push_back(s);
        return n;
    }
};

// Hugging Face MambaForCausalLM: backbone.embeddings, backbone.layers.N.{norm, mixer.*}, backbone.norm_f, lm_head.
struct hf_mamba {
    int layers = 24;
    bool head_stored = true;  // false when lm_head.weight is tied and absent from the file

    [[nodiscard]] constexpr std::vector<std::string> tensor_names() const {
        std::vector<std::string> n{"backbone.embeddings.weight"};
        for (int l = 0; l < layers; ++l) {
            const std::string p = "backbone.layers." + detail::num(l) + ".";
            n.push_back(p + "norm.weight");
            for (const char* s : {"in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight",
                                  "dt_proj.bias", "A_log", "D", "out_proj.weight"})
                n.push_back(p + "mixer." + s);
        }
        n.push_back("backbone.norm_f.weight");
        if (head_stored) n.push_back("lm_head.weight");
        return n;
    }
};

// Hugging Face Mamba2ForCausalLM: per layer a norm and the Mamba-2 mixer (no dt_proj / x_proj: one dt_bias,
// A_log and D per head, a gated norm inside the mixer); a tied head is absent from the file.
struct hf_mamba2 {
    int layers = 24;
    bool head_stored = false;

    [[nodiscard]] constexpr std::vector<std::string> tensor_names() const {
        std::vector<std::string> n{"backbone.embeddings.weight"};
        for (int l = 0; l < layers; ++l) {
            const std::string p = "backbone.layers." + detail::num(l) + ".";
            n.push_back(p + "norm.weight");
            for (const char* s : {"in_proj.weight", "conv1d.weight", "conv1d.bias", "dt_bias", "A_log", "D", "norm.weight", "out_proj.weight"})
                n.push_back(p + "mixer." + s);
        }
        n.push_back("backbone.norm_f.weight");
        if (head_stored) n.push_back("lm_head.weight");
        return n;
    }
};

// Nemotron-H: hybrid_override_pattern's letters M (a Mamba-2 mixer), * (attention), - (MLP), one per layer,
// under "backbone." (NVIDIA's files) or "model." (transformers' save); the head is its own tensor.
struct nemotron_h {
    std::string_view pattern = "M-M*M-";
    std::string_view prefix = "backbone.";

    [[nodiscard]] constexpr std::vector<std::string> tensor_names() const {
        const std::string pre(prefix);
        std::vector<std::string> n{pre + "embeddings.weight"};
        for (int l = 0; l < static_cast<int>(pattern.size()); ++l) {
            const std::string p = pre + "layers." + detail::num(l) + ".";
            n.push_back(p + "norm.weight");
            if (pattern[static_cast<std::size_t>(l)] == 'M')
                for (const char* s : {"in_proj.weight", "conv1d.weight", "conv1d.bias", "dt_bias", "A_log", "D", "norm.weight", "out_proj.weight"})
                    n.push_back(p + "mixer." + s);
            else if (pattern[static_cast<std::size_t>(l)] == '*')
                for (const char* s : {"q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight"}) n.push_back(p + "mixer." + s);
            else
                for (const char* s : {"up_proj.weight", "down_proj.weight"}) n.push_back(p + "mixer." + s);
        }
        n.push_back(pre + "norm_f.weight");
        n.push_back("lm_head.weight");
        return n;
    }
};

}  // namespace mixq::layout
