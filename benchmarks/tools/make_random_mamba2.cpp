// Writes a random Mamba-2 family model directory of real size (model.safetensors + config.json) for trying
// the tools at scale: `make_random_mamba2 OUT_DIR mamba2-130m|hybrid-1.3b`.
//   mamba2-130m: Mamba2ForCausalLM, hidden 768, 24 layers, 24 heads of 64, state 128, 1 group, vocab 50288, tied.
//   hybrid-1.3b: NemotronHForCausalLM-shaped, hidden 2048, 26 layers (M Mamba-2 with 64 heads of 64, 8 groups,
//                state 128; * attention, 16 heads / 4 KV heads of 128; - MLP 8192), vocab 131072, untied.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "random_checkpoint.hpp"

int main(int argc, char** argv) {
    const std::string kind = argc == 3 ? argv[2] : "";
    if (kind != "mamba2-130m" && kind != "hybrid-1.3b") {
        std::fprintf(stderr, "usage: make_random_mamba2 OUT_DIR mamba2-130m|hybrid-1.3b\n");
        return 2;
    }
    const bool hybrid = kind == "hybrid-1.3b";
    const std::int64_t d = hybrid ? 2048 : 768, P = 64, N = 128, G = hybrid ? 8 : 1, C = 4, V = hybrid ? 131072 : 50288;
    const std::int64_t H = 2 * d / P, di = H * P, cd = di + 2 * G * N;
    const std::int64_t AH = 16, KV = 4, AD = 128, I = 8192;
    const std::string pattern = hybrid ? "M-M-M*-M-M-M*-M-M-M*-M-M-M-" : std::string(24, 'M');
    mixq::bench::random_checkpoint ck(2);
    const auto add = [&](const std::string& name, mixq::shape_t shape, auto fill) { ck.add(name, std::move(shape), fill); };
    const auto randn = [&](float sd) { return ck.randn(sd); };
    const auto constant = mixq::bench::random_checkpoint::constant;
    // Values in the ranges of a trained Mamba-2: N(0, 0.02) weights, unit norms, A_log = log(1..16), D = 1.
    add("backbone.embeddings.weight", {V, d}, randn(0.02f));
    for (std::size_t l = 0; l < pattern.size(); ++l) {
        const auto p = "backbone.layers." + std::to_string(l) + ".";
        add(p + "norm.weight", {d}, constant(1.0f));
        if (pattern[l] == 'M') {
            add(p + "mixer.in_proj.weight", {di + cd + H, d}, randn(0.02f));
            add(p + "mixer.conv1d.weight", {cd, 1, C}, randn(0.2f));
            add(p + "mixer.conv1d.bias", {cd}, randn(0.02f));
            add(p + "mixer.dt_bias", {H}, constant(std::log(std::expm1(0.01f))));
            add(p + "mixer.A_log", {H}, [](std::size_t i) { return std::log(static_cast<float>(i % 16 + 1)); });
            add(p + "mixer.D", {H}, constant(1.0f));
            add(p + "mixer.norm.weight", {di}, constant(1.0f));
            add(p + "mixer.out_proj.weight", {d, di}, randn(0.02f / std::sqrt(2.0f * static_cast<float>(pattern.size()))));
        } else if (pattern[l] == '*') {
            add(p + "mixer.q_proj.weight", {AH * AD, d}, randn(0.02f));
            add(p + "mixer.k_proj.weight", {KV * AD, d}, randn(0.02f));
            add(p + "mixer.v_proj.weight", {KV * AD, d}, randn(0.02f));
            add(p + "mixer.o_proj.weight", {d, AH * AD}, randn(0.02f));
        } else {
            add(p + "mixer.up_proj.weight", {I, d}, randn(0.02f));
            add(p + "mixer.down_proj.weight", {d, I}, randn(0.02f));
        }
    }
    add("backbone.norm_f.weight", {d}, constant(1.0f));
    if (hybrid) add("lm_head.weight", {V, d}, randn(0.02f));
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    ck.write((dir / "model.safetensors").string());
    nlohmann::json j{{"hidden_size", d}, {"num_hidden_layers", pattern.size()}, {"vocab_size", V}, {"conv_kernel", C},
                     {"n_groups", G}, {"layer_norm_epsilon", 1e-5}, {"tie_word_embeddings", !hybrid}, {"use_bias", false},
                     {"use_conv_bias", true}};
    if (hybrid) {
        j.update({{"architectures", {"NemotronHForCausalLM"}}, {"model_type", "nemotron_h"}, {"hybrid_override_pattern", pattern},
                  {"mamba_num_heads", H}, {"mamba_head_dim", P}, {"ssm_state_size", N}, {"num_attention_heads", AH},
                  {"num_key_value_heads", KV}, {"head_dim", AD}, {"intermediate_size", I}, {"mlp_hidden_act", "relu2"}});
    } else {
        j.update({{"architectures", {"Mamba2ForCausalLM"}}, {"model_type", "mamba2"}, {"num_heads", H}, {"head_dim", P},
                  {"state_size", N}, {"expand", 2}});
    }
    std::ofstream(dir / "config.json") << j.dump(2) << "\n";
    std::printf("%s: %s, %zu tensors, %lld parameters\n", dir.c_str(), kind.c_str(), ck.tensors(), static_cast<long long>(ck.parameters()));
    return 0;
}
