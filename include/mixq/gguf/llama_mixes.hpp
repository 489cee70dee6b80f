// llama-quantize's own mixes (Q4_K_M, Q3_K_M, ...) as mixq tables: the ggml type llama.cpp gives each tensor of a checkpoint.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../core/error.hpp"
#include "../io/safetensors_reader.hpp"
#include "../precision/rule_table.hpp"
#include "export.hpp"

namespace mixq::gguf {

// The ftypes whose mixes mixq reproduces (llama_ftype's names): their base type, then per tensor category
// what llama_tensor_get_type_impl of the pinned llama-quant.cpp changes, for the non-MoE, non-Falcon
// architectures mixq exports.
enum class llama_mix { q3_k_m, q4_k_m, q5_k_m, q6_k, q8_0 };

struct llama_mix_info {
    llama_mix mix;
    std::string_view name;
    precision base;
};
inline constexpr llama_mix_info llama_mixes[] = {
    {llama_mix::q3_k_m, "Q3_K_M", precision::q3_k}, {llama_mix::q4_k_m, "Q4_K_M", precision::q4_k},
    {llama_mix::q5_k_m, "Q5_K_M", precision::q5_k}, {llama_mix::q6_k, "Q6_K", precision::q6_k},
    {llama_mix::q8_0, "Q8_0", precision::q8_0},
};

// "Q4_K_M" (or "q4_k_m") -> the mix; nullopt for any other name.
[[nodiscard]] inline std::optional<llama_mix_info> find_llama_mix(std::string_view name) {
    for (const auto& m : llama_mixes) {
        if (m.name.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < name.size(); ++i) same &= std::toupper(static_cast<unsigned char>(name[i])) == m.name[i];
        if (same) return m;
    }
    return std::nullopt;
}

namespace detail {
// llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between.
[[nodiscard]] constexpr bool use_more_bits(int i, int n) noexcept { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }
}  // namespace detail

// The table llama-quantize's `mix` amounts to for `in` (a Hugging Face Mamba, Mamba-2 or Nemotron-H checkpoint):
// one exact-name rule per tensor llama.cpp quantizes (2-D weights but norms and conv1d), decided in llama.cpp's
// order (by layer, then GGUF name) with its counters for attention-V and FFN-down tensors. Tensors it keeps as
// they are match no rule (their source precision). Rows a type cannot hold fall back in the export, as in
// llama-quantize, so exporting the table writes llama-quantize's types.
[[nodiscard]] inline rule_table llama_mix_table(llama_mix_info mix, const io::safetensors_file& in) {
    const checkpoint_weights w(in);
    const auto c = infer_config(w, std::filesystem::path(in.path()).parent_path() / "config.json");
    const auto arch = arch_of(c.layout, in.path());
    struct entry {
        int layer;
        std::string gguf, hf;
    };
    std::vector<entry> es;
    const auto* emb = in.find(c.embedding());
    const auto* head = in.find("lm_head.weight");
    const bool tied = !head || (emb && head->shape == emb->shape && same_bytes(head->bytes, emb->bytes));
    for (const auto& t : in.tensors()) {
        const auto g = to_gguf_name(t.name, arch, c.prefix);
        if (!g || (&t == head && tied)) continue;  // a tied head is not written: token_embd stands for it
        const std::string_view n = g->gguf;
        const bool two_d = t.shape.size() >= 2 && !n.ends_with("ssm_conv1d.weight");
        if (!two_d || !n.ends_with("weight") || n.find("_norm.weight") != std::string_view::npos || g->computed_in_f32) continue;
        int layer = -1;
        std::sscanf(g->gguf.c_str(), "blk.%d.", &layer);
        es.push_back({layer, g->gguf, t.name});
    }
    std::sort(es.begin(), es.end(), [](const entry& a, const entry& b) { return std::tie(a.layer, a.gguf) < std::tie(b.layer, b.gguf); });
    int n_attn_v = 0, i_attn_v = 0, i_ffn_down = 0;
    for (const auto& e : es) n_attn_v += e.gguf.find("attn_v.weight") != std::string::npos;
    const auto n_layer = static_cast<int>(c.n_layers);
    const auto base = mix.base;
    const auto block = info(*ggml_type_for(base)).block;
    rule_table table{std::string(mix.name)};
    for (const auto& e : es) {
        const std::string_view n = e.gguf;
        auto p = base;
        if (n == "output.weight" || (tied && n == "token_embd.weight")) {
            p = c.d_model % block != 0 || base == precision::q8_0 ? precision::q8_0 : precision::q6_k;
        } else if (n.find("attn_v.weight") != std::string_view::npos) {
            if (mix.mix == llama_mix::q3_k_m) p = i_attn_v < 2 ? precision::q5_k : precision::q4_k;
            else if ((mix.mix == llama_mix::q4_k_m || mix.mix == llama_mix::q5_k_m) && detail::use_more_bits(i_attn_v, n_attn_v)) p = precision::q6_k;
            ++i_attn_v;
        } else if (n.find("ffn_down") != std::string_view::npos) {
            if (mix.mix == llama_mix::q3_k_m) p = i_ffn_down < n_layer / 16 ? precision::q5_k : precision::q4_k;
            else if ((mix.mix == llama_mix::q4_k_m || mix.mix == llama_mix::q5_k_m) && detail::use_more_bits(i_ffn_down, n_layer)) p = precision::q6_k;
            ++i_ffn_down;
        } else if (n.find("attn_output.weight") != std::string_view::npos && mix.mix == llama_mix::q3_k_m) {
            p = precision::q4_k;
        }
        table.add(e.hf, p);
        if (tied && head && emb && e.hf == emb->name) table.add(head->name, p);  // the same type: the head stays tied
    }
    return table;
}

}  // namespace mixq::gguf
