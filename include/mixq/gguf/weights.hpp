// A GGUF file of architecture mamba, mamba2 or nemotron_h (llama.cpp's layouts) seen as mixq weights: Hugging Face names, the model's config.
#pragma once

#include <cstring>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../model/config.hpp"
#include "decode.hpp"
#include "ggml_quants.hpp"
#include "mamba_names.hpp"
#include "reader.hpp"

namespace mixq::gguf {

// Every tensor is read in place from the mapped file: F32 / F16 / BF16 as those dtypes, the block types as
// ggml blocks that the products decode a panel or a row chunk at a time (ggml's dequantize_row_*: exact, and
// within fp32 rounding of llama.cpp's integer dot products for the types with mins or two-level scales), so
// mixq evaluates the weights llama.cpp holds in the memory llama.cpp needs. Only block-typed vectors (which
// llama-quantize never writes) are decoded to fp32 at load. ssm_a is exposed as "mixer.A" (A itself, which
// the forward uses as it is).
struct gguf_model {
    gguf_file file;
    std::deque<std::vector<float>> decoded;  // a deque: views into earlier elements stay valid
    std::unique_ptr<checkpoint_weights> weights;
    model_config config;
};

namespace detail {
inline void check_key(const gguf_file& f, const std::string& key, std::int64_t inferred, const char* what) {
    const auto v = f.get_uint(key);
    if (static_cast<std::int64_t>(v) != inferred)
        fail(f.path() + ": " + key + " = " + std::to_string(v) + " but the tensor shapes give " + what + " = " + std::to_string(inferred));
}

// A per-layer key written as an array (or one number for every layer), e.g. nemotron_h's head_count_kv.
inline std::vector<std::int64_t> per_layer(const gguf_file& f, const std::string& key, std::int64_t layers) {
    const auto* k = f.find_kv(key);
    if (!k) fail(f.path() + ": missing key '" + key + "'");
    std::vector<std::int64_t> out;
    if (k->type == value_type::array) {
        for (const auto& v : k->value)
            if (v.is_number_integer() && v.get<std::int64_t>() >= 0) out.push_back(v.get<std::int64_t>());
            else fail(f.path() + ": key '" + key + "' holds " + v.dump() + ", expected non-negative integers");
        if (static_cast<std::int64_t>(out.size()) != layers)
            fail(f.path() + ": key '" + key + "' has " + std::to_string(out.size()) + " values for " + std::to_string(layers) + " layers");
    } else {
        out.assign(static_cast<std::size_t>(layers), static_cast<std::int64_t>(f.get_uint(key)));
    }
    return out;
}

// The config.json a mamba2 / nemotron_h GGUF file stands for, from its keys, so the same reader
// (model/mamba2_config.hpp) checks it against the tensors.
inline nlohmann::json mamba2_config_of(const gguf_file& f, gguf_arch arch, bool has_output) {
    const std::string a(to_string(arch));
    const auto layers = static_cast<std::int64_t>(f.get_uint(a + ".block_count"));
    const auto heads = static_cast<std::int64_t>(f.get_uint(a + ".ssm.time_step_rank"));
    const auto inner = static_cast<std::int64_t>(f.get_uint(a + ".ssm.inner_size"));
    if (heads <= 0 || inner % heads != 0)
        fail(f.path() + ": " + a + ".ssm.inner_size = " + std::to_string(inner) + " is not a multiple of " + a +
             ".ssm.time_step_rank (the head count) = " + std::to_string(heads));
    const bool nemo = arch == gguf_arch::nemotron_h;
    nlohmann::json j{{"model_type", nemo ? "nemotron_h" : "mamba2"},
                     {"hidden_size", f.get_uint(a + ".embedding_length")},
                     {"num_hidden_layers", layers},
                     {"conv_kernel", f.get_uint(a + ".ssm.conv_kernel")},
                     {"n_groups", f.get_uint(a + ".ssm.group_count")},
                     {nemo ? "ssm_state_size" : "state_size", f.get_uint(a + ".ssm.state_size")},
                     {nemo ? "mamba_num_heads" : "num_heads", heads},
                     {nemo ? "mamba_head_dim" : "head_dim", inner / heads},
                     {"layer_norm_epsilon", f.get_float(a + ".attention.layer_norm_rms_epsilon")},
                     {"tie_word_embeddings", !has_output}};
    if (const auto* v = f.find_kv(a + ".vocab_size")) j["vocab_size"] = v->value;
    else if (const auto* e = f.find("token_embd.weight"); e && e->ne.size() == 2) j["vocab_size"] = e->ne[1];
    if (nemo) {
        const auto ff = per_layer(f, a + ".feed_forward_length", layers), kv = per_layer(f, a + ".attention.head_count_kv", layers);
        std::string pattern;
        for (std::int64_t l = 0; l < layers; ++l) {
            const auto i = static_cast<std::size_t>(l);
            pattern += kv[i] > 0 ? '*' : ff[i] > 0 ? '-' : 'M';
            if (kv[i] > 0) j["num_key_value_heads"] = kv[i];
            if (ff[i] > 0) j["intermediate_size"] = ff[i];
        }
        j["hybrid_override_pattern"] = pattern;
        if (pattern.find('*') != std::string::npos) {
            j["num_attention_heads"] = f.get_uint(a + ".attention.head_count");
            if (f.find_kv(a + ".attention.key_length")) j["head_dim"] = f.get_uint(a + ".attention.key_length");
        }
    }
    return j;
}
}  // namespace detail

// ggml's vec_dot_type of each weight type (ggml-cpu.c's type traits): the K-quants take Q8_K activations (blocks
// of 256, a float scale), Q4_1 / Q5_1 take Q8_1 (Q8_0's values plus a block sum, whose fp16 rounding only
// touches the min term, far below the 0.05 % mixq promises), the other block types Q8_0.
[[nodiscard]] constexpr activation_rounding activation_rounding_for(ggml_type t) noexcept {
    switch (t) {
        case ggml_type::f32: return activation_rounding::none;
        case ggml_type::f16: return activation_rounding::f16;
        case ggml_type::bf16: return activation_rounding::bf16;
        case ggml_type::q2_k:
        case ggml_type::q3_k:
        case ggml_type::q4_k:
        case ggml_type::q5_k:
        case ggml_type::q6_k: return activation_rounding::q8_k;
        case ggml_type::q4_1:
        case ggml_type::q5_1: return activation_rounding::q8_1;
        default: return activation_rounding::q8_0;
    }
}

// llama_cpp: every product rounds its input as llama.cpp's CPU backend does for the weight's type (Q8_0
// activations for Q8_0 / Q4_0 weights, fp16 for F16, bf16 for BF16), so mixq's perplexity is the one
// llama.cpp measures; fp32: the weights exactly, with fp32 activations (mixq's own arithmetic).
enum class gguf_arithmetic { llama_cpp, fp32 };

[[nodiscard]] inline std::unique_ptr<gguf_model> load_mamba(gguf_file file, gguf_arithmetic arithmetic = gguf_arithmetic::llama_cpp) {
    auto m = std::make_unique<gguf_model>();
    m->file = std::move(file);
    const auto& f = m->file;
    const auto arch_name = f.get_string("general.architecture");
    const auto arch = arch_name == "mamba2" ? gguf_arch::mamba2 : arch_name == "nemotron_h" ? gguf_arch::nemotron_h : gguf_arch::mamba;
    if (arch_name != to_string(arch))
        fail(f.path() + ": general.architecture is '" + arch_name + "'; mixq reads GGUF files of architecture mamba, mamba2 and nemotron_h");
    const std::string a(arch_name);
    const double eps = f.get_float(a + ".attention.layer_norm_rms_epsilon");
    if (!(eps > 0.0 && eps < 1.0))
        fail(f.path() + ": " + a + ".attention.layer_norm_rms_epsilon = " + std::to_string(eps) + " is not in (0, 1)");
    std::vector<tensor_view> views;
    std::vector<std::pair<std::string, block_rows>> in_blocks;
    for (const auto& t : f.tensors()) {
        const auto hf = to_hf_name(t.name, arch, "backbone.");
        if (!hf) fail(f.path() + ": tensor '" + t.name + "' has no place in llama.cpp's " + a + " layout");
        shape_t shape(t.ne.rbegin(), t.ne.rend());
        if (t.name.ends_with("ssm_conv1d.weight") && shape.size() == 2) shape = {shape[0], 1, shape[1]};
        if (arch != gguf_arch::mamba && (t.name.ends_with(".ssm_a") || t.name.ends_with(".ssm_d") || t.name.ends_with("ssm_norm.weight")))
            shape = {t.numel()};  // [1, heads] and [d_inner / groups, groups] in ggml; Hugging Face's vectors
        if (t.type == ggml_type::f32 || t.type == ggml_type::f16 || t.type == ggml_type::bf16) {
            views.push_back({*hf, t.type == ggml_type::f32 ? dtype::f32 : t.type == ggml_type::f16 ? dtype::f16 : dtype::bf16, shape, t.bytes});
            continue;
        }
        const auto& ti = info(t.type);
        if (shape.size() == 2 && shape[1] == t.ne[0]) {  // rows of whole blocks (the reader checked the byte count)
            views.push_back({*hf, dtype::u8, shape, t.bytes});
            in_blocks.emplace_back(*hf, block_rows{ti.dequantize, ti.block, ti.block_bytes});
            continue;
        }
        auto& v = m->decoded.emplace_back(static_cast<std::size_t>(t.numel()));
        decode_values(t.type, t.bytes.data(), t.numel(), v.data());
        views.push_back({*hf, dtype::f32, shape, std::as_bytes(std::span<const float>(v))});
    }
    m->weights = std::make_unique<checkpoint_weights>(f.path(), std::move(views));
    for (const auto& [name, b] : in_blocks) m->weights->set_block_rows(name, b);
    if (arithmetic == gguf_arithmetic::llama_cpp)
        for (const auto& t : f.tensors()) {
            std::span<const float> mins;
            if (auto v = q8_1_block_mins(t.type, t.bytes.data(), t.numel()); !v.empty()) mins = m->decoded.emplace_back(std::move(v));
            m->weights->set_input_rounding(*to_hf_name(t.name, arch, "backbone."), activation_rounding_for(t.type), mins);
        }
    if (!m->weights->has("backbone.embeddings.weight")) fail(f.path() + ": missing tensor 'token_embd.weight'");
    auto& c = m->config;
    if (arch != gguf_arch::mamba) {
        c = ::mixq::detail::mamba2_reader(*m->weights, detail::mamba2_config_of(f, arch, f.find("output.weight") != nullptr), f.path(),
                                  arch == gguf_arch::mamba2 ? layout_kind::hf_mamba2 : layout_kind::nemotron_h)
                .read();
        detail::check_key(f, a + ".ssm.inner_size", c.d_inner, "d_inner");
        return m;
    }
    c = infer_config(*m->weights);
    c.norm_eps = eps;
    detail::check_key(f, "mamba.embedding_length", c.d_model, "d_model");
    detail::check_key(f, "mamba.block_count", c.n_layers, "layers");
    detail::check_key(f, "mamba.ssm.conv_kernel", c.d_conv, "d_conv");
    detail::check_key(f, "mamba.ssm.inner_size", c.d_inner, "d_inner");
    detail::check_key(f, "mamba.ssm.state_size", c.d_state, "d_state");
    detail::check_key(f, "mamba.ssm.time_step_rank", c.dt_rank, "dt_rank");
    if (f.find_kv("mamba.vocab_size")) detail::check_key(f, "mamba.vocab_size", c.vocab, "vocabulary");
    return m;
}

[[nodiscard]] inline std::unique_ptr<gguf_model> load_mamba(const std::string& path,
                                                          gguf_arithmetic arithmetic = gguf_arithmetic::llama_cpp) {
    return load_mamba(gguf_file::open(path), arithmetic);
}

}  // namespace mixq::gguf
