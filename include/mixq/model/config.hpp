// A model's configuration: Mamba-1 layouts from tensor names and shapes, checked against config.json; the Mamba-2 family from config.json (mamba2_config.hpp).
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "json_text.hpp"
#include "mamba2_config.hpp"
#include "model_config.hpp"
#include "weights.hpp"

namespace mixq {

namespace detail {
inline std::int64_t count_layers(const checkpoint_weights& w, const std::string& prefix, const std::string& suffix) {
    std::int64_t n = 0;
    while (w.has(prefix + std::to_string(n) + suffix)) ++n;
    return n;
}

// Every tensor the layout needs, with its shape; a missing or mis-shaped one is named in the error.
inline void check_shapes(const checkpoint_weights& w, const model_config& c) {
    const auto& path = w.source();
    auto need = [&](const std::string& name, shape_t shape) {
        const auto* t = w.find(name);
        if (!t)
            fail(path + ": missing tensor '" + name + "' (expected shape " + shape_string(shape) + " for the " +
                 std::string(to_string(c.layout)) + " layout)");
        if (t->shape != shape)
            fail(path + ": tensor '" + name + "' has shape " + shape_string(t->shape) + ", expected " + shape_string(shape) +
                 " for the " + std::string(to_string(c.layout)) + " layout");
    };
    const bool hf = c.layout == layout_kind::hf_mamba;
    need(c.embedding(), {c.vocab, c.d_model});
    if (!hf) need("position_embedding.weight", {c.max_seq, c.d_model});
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
        const auto m = c.mixer(l);
        if (hf) need(c.layer(l) + "norm.weight", {c.d_model});
        else {
            need(m + "norm.weight", {c.d_model});
            need(m + "norm.bias", {c.d_model});
        }
        need(m + "in_proj.weight", {2 * c.d_inner, c.d_model});
        need(m + "conv1d.weight", {c.d_inner, 1, c.d_conv});
        need(m + "conv1d.bias", {c.d_inner});
        need(m + "x_proj.weight", {c.dt_rank + 2 * c.d_state, c.d_inner});
        need(m + "dt_proj.weight", {c.d_inner, c.dt_rank});
        need(m + "dt_proj.bias", {c.d_inner});
        need(m + (w.has(m + "A") ? "A" : "A_log"), {c.d_inner, c.d_state});  // "A": read from GGUF (gguf/weights.hpp)
        need(m + "D", {c.d_inner});
        need(m + "out_proj.weight", {c.d_model, c.d_inner});
        if (c.moe[static_cast<std::size_t>(l)]) {
            const auto p = c.layer(l) + "moe.";
            need(p + "norm.weight", {c.d_model});
            need(p + "norm.bias", {c.d_model});
            need(p + "moe.gate.weight", {c.n_experts, c.d_model});
            for (std::int64_t e = 0; e < c.n_experts; ++e) {
                need(p + "moe.experts." + std::to_string(e) + ".w1.weight", {c.ffn_width, c.d_model});
                need(p + "moe.experts." + std::to_string(e) + ".w2.weight", {c.d_model, c.ffn_width});
            }
            need(p + "ffn.w1.weight", {c.ffn_width, c.d_model});
            need(p + "ffn.w2.weight", {c.d_model, c.ffn_width});
        }
    }
    need(c.norm_f() + "weight", {c.d_model});
    if (!hf) need(c.norm_f() + "bias", {c.d_model});
    if (!c.tied_head) need("lm_head.weight", {c.vocab, c.d_model});
}

inline std::int64_t dim(const checkpoint_weights& w, const std::string& name, std::size_t axis) {
    const auto& t = w.at(name);
    if (t.shape.size() <= axis)
        fail(w.source() + ": tensor '" + name + "' has shape " + shape_string(t.shape) + ", expected rank > " +
             std::to_string(axis));
    return t.shape[axis];
}

// Compares config.json's values with what the shapes say; any disagreement is an error naming both.
// `where` names the source in messages. Keys that are absent or not integers are not compared.
inline void check_config(const nlohmann::json& j, const std::string& where, model_config& c) {
    auto check = [&](std::initializer_list<const char*> keys, std::int64_t inferred, const char* what) {
        for (const char* k : keys)
            if (j.contains(k) && j[k].is_number_integer() && j[k].get<std::int64_t>() != inferred)
                fail(where + ": " + k + " = " + std::to_string(j[k].get<std::int64_t>()) + " but the tensor shapes give " +
                     what + " = " + std::to_string(inferred));
    };
    check({"vocab_size"}, c.vocab, "vocabulary");
    check({"hidden_size", "d_model"}, c.d_model, "d_model");
    check({"num_hidden_layers", "n_layer", "n_layers", "num_layers"}, c.n_layers, "layers");
    check({"state_size", "d_state", "ssm_state_size"}, c.d_state, "d_state");
    check({"intermediate_size", "d_inner"}, c.d_inner, "d_inner");
    check({"conv_kernel", "d_conv"}, c.d_conv, "d_conv");
    check({"time_step_rank", "dt_rank"}, c.dt_rank, "dt_rank");
    check({"num_experts"}, c.n_experts, "experts");
    if (c.layout == layout_kind::itera_lite) check({"max_seq_length", "max_position_embeddings"}, c.max_seq, "max sequence");
    if (j.contains("expand") && j["expand"].is_number_integer()) {
        const auto expand = j["expand"].get<std::int64_t>();  // compared by division: no overflow on hostile values
        if (expand <= 0 || c.d_inner % c.d_model != 0 || c.d_inner / c.d_model != expand)
            fail(where + ": expand = " + std::to_string(expand) + " but the tensor shapes give d_inner / d_model = " +
                 std::to_string(c.d_inner) + " / " + std::to_string(c.d_model));
    }
    for (const char* k : {"layer_norm_epsilon", "norm_eps", "rms_norm_eps"})
        if (j.contains(k) && j[k].is_number()) {
            const double eps = j[k].get<double>();
            if (!(eps > 0.0 && eps < 1.0)) fail(where + ": " + k + " = " + std::to_string(eps) + " is not in (0, 1)");
            c.norm_eps = eps;
        }
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path.string() + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The same, from the text of a config.json (the fuzz target's entry point).
inline void check_config_text(const std::string& text, const std::string& where, model_config& c) {
    check_config(parse_config_json(text, where), where, c);
}
}  // namespace detail

// Layout and sizes from names and shapes; `config_json` (if it exists) must agree with them.
[[nodiscard]] inline model_config infer_config(const checkpoint_weights& w, const std::filesystem::path& config_json = {}) {
    const auto where = config_json.string();
    std::optional<nlohmann::json> j;  // read once: it decides the family, then checks the shapes
    if (!config_json.empty() && std::filesystem::exists(config_json)) {
        j = detail::parse_config_json(detail::read_text(config_json), where);
        if (const auto family = detail::family_from_config(*j, where)) return detail::mamba2_reader(w, *j, where, *family).read();
    } else if (detail::looks_mamba2(w)) {
        fail(w.source() + ": a Mamba-2 layout (it has '*.mixer.dt_bias'), whose heads and groups only its config.json "
                          "gives: put config.json beside the checkpoint");
    }
    model_config c;
    if (w.has("backbone.embeddings.weight")) c.layout = layout_kind::hf_mamba;
    else if (w.has("embedding.weight")) c.layout = layout_kind::itera_lite;
    else
        fail(w.source() + ": fits neither the Itera-Lite layout (no 'embedding.weight') nor the Hugging Face "
                               "Mamba layout (no 'backbone.embeddings.weight')");
    const bool hf = c.layout == layout_kind::hf_mamba;
    c.vocab = detail::dim(w, c.embedding(), 0);
    c.d_model = detail::dim(w, c.embedding(), 1);
    if (!hf) c.max_seq = detail::dim(w, "position_embedding.weight", 0);
    c.n_layers = detail::count_layers(w, hf ? "backbone.layers." : "layers.", hf ? ".mixer.in_proj.weight" : ".ssm.in_proj.weight");
    if (c.n_layers == 0) fail(w.source() + ": no SSM layers found ('" + c.mixer(0) + "in_proj.weight' is missing)");
    const auto m0 = c.mixer(0);
    c.d_inner = detail::dim(w, m0 + "in_proj.weight", 0) / 2;
    c.d_conv = detail::dim(w, m0 + "conv1d.weight", 2);
    c.dt_rank = detail::dim(w, m0 + "dt_proj.weight", 1);
    c.d_state = detail::dim(w, m0 + (w.has(m0 + "A") ? "A" : "A_log"), 1);
    c.moe.assign(static_cast<std::size_t>(c.n_layers), false);
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
        const auto gate = c.layer(l) + "moe.moe.gate.weight";
        if (hf || !w.has(gate)) continue;
        c.moe[static_cast<std::size_t>(l)] = true;
        c.n_experts = detail::dim(w, gate, 0);
        c.ffn_width = detail::dim(w, c.layer(l) + "moe.ffn.w1.weight", 0);
    }
    // Tied: no lm_head.weight of its own, or one with the same bytes as the embeddings (or an alias of them).
    const auto* head = w.find("lm_head.weight");
    const auto& emb = w.at(c.embedding());
    c.tied_head = !head || (head->type == emb.type && head->shape == emb.shape && same_bytes(head->bytes, emb.bytes));
    if (j) detail::check_config(*j, where, c);
    detail::check_shapes(w, c);
    return c;
}

}  // namespace mixq
