// Mamba-2 (Mamba2ForCausalLM) and Nemotron-H (NemotronHForCausalLM) configurations: config.json decides, the tensors must agree.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "json_text.hpp"
#include "model_config.hpp"
#include "weights.hpp"

namespace mixq::detail {

// The family config.json names (model_type, else architectures): hf_mamba2, nemotron_h, or nullopt for a
// Mamba-1 config or none. Hybrids of other families are refused by name rather than misread as Mamba-1.
[[nodiscard]] inline std::optional<layout_kind> family_from_config(const nlohmann::json& j, const std::string& where) {
    std::string type = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
    if (type.empty() && j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
        j["architectures"][0].is_string())
        type = j["architectures"][0].get<std::string>();
    if (type == "mamba2" || type == "Mamba2ForCausalLM") return layout_kind::hf_mamba2;
    if (type == "nemotron_h" || type == "NemotronHForCausalLM") return layout_kind::nemotron_h;
    for (const char* other : {"granitemoehybrid", "GraniteMoeHybridForCausalLM", "bamba", "BambaForCausalLM", "falcon_h1",
                              "FalconH1ForCausalLM", "jamba", "JambaForCausalLM", "zamba2", "Zamba2ForCausalLM"})
        if (type == other)
            fail(where + ": model_type '" + type + "' is not supported yet (mixq reads Mamba-1, Mamba-2 and Nemotron-H)");
    return std::nullopt;
}

// A Mamba-2 layer's tell-tale tensor: Mamba-1 has dt_proj, Mamba-2 one dt_bias per head.
[[nodiscard]] inline bool looks_mamba2(const checkpoint_weights& w) { return w.any_name_ends_with(".mixer.dt_bias"); }

class mamba2_reader {
public:
    mamba2_reader(const checkpoint_weights& w, const nlohmann::json& j, std::string where, layout_kind family)
        : w_(w), j_(j), where_(std::move(where)) {
        c_.layout = family;
    }

    model_config read() {
        const bool nemo = c_.layout == layout_kind::nemotron_h;
        c_.d_model = integer("hidden_size");
        c_.n_layers = integer("num_hidden_layers");
        c_.vocab = integer("vocab_size");
        c_.d_conv = integer("conv_kernel");
        c_.d_state = integer(nemo ? "ssm_state_size" : "state_size");
        c_.ssd.heads = integer(nemo ? "mamba_num_heads" : "num_heads");
        c_.ssd.head_dim = integer(nemo ? "mamba_head_dim" : "head_dim");
        c_.ssd.groups = integer("n_groups");
        if (c_.ssd.heads % c_.ssd.groups != 0)
            fail(where_ + ": " + (nemo ? "mamba_num_heads" : "num_heads") + std::string(" = ") + std::to_string(c_.ssd.heads) +
                 " is not a multiple of n_groups = " + std::to_string(c_.ssd.groups));
        c_.d_inner = c_.ssd.d_inner();
        if (j_.contains("expand") && j_["expand"].is_number_integer() && !nemo &&
            j_["expand"].get<std::int64_t>() * c_.d_model != c_.d_inner)
            fail(where_ + ": expand = " + std::to_string(j_["expand"].get<std::int64_t>()) + " but num_heads · head_dim = " +
                 std::to_string(c_.d_inner) + " is not expand · hidden_size = " + std::to_string(c_.d_model));
        if (j_.contains("layer_norm_epsilon")) {
            const auto eps = json_number(j_["layer_norm_epsilon"]);
            if (!eps || !(*eps > 0.0 && *eps < 1.0)) fail(where_ + ": layer_norm_epsilon is not a number in (0, 1)");
            c_.norm_eps = *eps;
        }
        read_time_step_limit();
        refuse_true("use_bias", "in_proj and out_proj with biases");
        if (j_.contains("rms_norm") && j_["rms_norm"].is_boolean() && !j_["rms_norm"].get<bool>())
            fail(where_ + ": rms_norm = false (a Mamba-2 without RMSNorm) is not supported");
        c_.kinds.assign(static_cast<std::size_t>(c_.n_layers), layer_kind::mamba2);
        if (nemo) read_hybrid();
        c_.prefix = w_.has("model.embeddings.weight") && !w_.has("backbone.embeddings.weight") && nemo ? "model." : "backbone.";
        c_.moe.assign(static_cast<std::size_t>(c_.n_layers), false);
        read_head();
        check_tensors();
        return c_;
    }

private:
    std::int64_t integer(const char* key) const {
        if (!j_.contains(key)) fail(where_ + ": '" + key + "' is missing (the " + std::string(to_string(c_.layout)) + " layout needs it)");
        const auto& v = j_[key];
        if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 || v.get<std::int64_t>() > (std::int64_t{1} << 31))
            fail(where_ + ": '" + key + "' = " + v.dump() + " is not a positive integer");
        return v.get<std::int64_t>();
    }
    void refuse_true(const char* key, const char* what) const {
        if (j_.contains(key) && j_[key].is_boolean() && j_[key].get<bool>())
            fail(where_ + ": " + key + " = true (" + what + ") is not supported");
    }
    void read_time_step_limit() {
        if (!j_.contains("time_step_limit")) return;
        const auto& v = j_["time_step_limit"];
        const auto lo = v.is_array() && v.size() == 2 ? json_number(v[0]) : std::nullopt;
        const auto hi = v.is_array() && v.size() == 2 ? json_number(v[1]) : std::nullopt;
        if (!lo || !hi || std::isnan(*lo) || std::isnan(*hi) || *lo > *hi)
            fail(where_ + ": time_step_limit = " + v.dump() + " is not a pair [min, max] of numbers");
        c_.ssd.dt_min = *lo;
        c_.ssd.dt_max = *hi;
    }
    // hybrid_override_pattern: one letter per layer; attention and MLP sizes when the pattern has them.
    void read_hybrid() {
        if (!j_.contains("hybrid_override_pattern") || !j_["hybrid_override_pattern"].is_string())
            fail(where_ + ": 'hybrid_override_pattern' is missing (the nemotron-h layout needs it)");
        const auto pattern = j_["hybrid_override_pattern"].get<std::string>();
        if (static_cast<std::int64_t>(pattern.size()) != c_.n_layers)
            fail(where_ + ": hybrid_override_pattern '" + pattern + "' has " + std::to_string(pattern.size()) +
                 " letters but num_hidden_layers = " + std::to_string(c_.n_layers));
        bool attention = false, mlp = false;
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            const char ch = pattern[i];
            if (ch == 'M') c_.kinds[i] = layer_kind::mamba2;
            else if (ch == '*') c_.kinds[i] = layer_kind::attention, attention = true;
            else if (ch == '-') c_.kinds[i] = layer_kind::mlp, mlp = true;
            else
                fail(where_ + ": hybrid_override_pattern '" + pattern + "' has the letter '" + std::string(1, ch) + "' at layer " +
                     std::to_string(i) + (ch == 'E' ? " (a mixture-of-experts layer, not supported yet)" : "") +
                     "; known: M (Mamba-2), * (attention), - (MLP)");
        }
        if (attention) {
            c_.attn.heads = integer("num_attention_heads");
            c_.attn.kv_heads = integer("num_key_value_heads");
            c_.attn.head_dim = j_.contains("head_dim") ? integer("head_dim") : c_.d_model / c_.attn.heads;
            if (c_.attn.heads % c_.attn.kv_heads != 0)
                fail(where_ + ": num_attention_heads = " + std::to_string(c_.attn.heads) +
                     " is not a multiple of num_key_value_heads = " + std::to_string(c_.attn.kv_heads));
            refuse_true("attention_bias", "q/k/v/o projections with biases");
        }
        if (mlp) {
            c_.mlp_width = integer("intermediate_size");
            refuse_true("mlp_bias", "up/down projections with biases");
            if (j_.contains("mlp_hidden_act") && j_["mlp_hidden_act"] != "relu2")
                fail(where_ + ": mlp_hidden_act = " + j_["mlp_hidden_act"].dump() + " is not supported (relu2 is)");
        }
    }
    void read_head() {
        const auto* head = w_.find("lm_head.weight");
        const auto* emb = w_.find(c_.embedding());
        const bool config_tied = !j_.contains("tie_word_embeddings") || !j_["tie_word_embeddings"].is_boolean() ||
                                 j_["tie_word_embeddings"].get<bool>();  // transformers' default: tied
        if (!head && !config_tied)
            fail(where_ + ": tie_word_embeddings = false but the checkpoint has no 'lm_head.weight'");
        c_.tied_head = !head || (config_tied && emb && head->type == emb->type && head->shape == emb->shape &&
                                 same_bytes(head->bytes, emb->bytes));
    }

    // Every tensor a layer kind needs, with the shape config.json gives; `why` names the fields behind it.
    void need(const std::string& name, const shape_t& shape, const std::string& why) const {
        const auto* t = w_.find(name);
        if (!t)
            fail(w_.source() + ": missing tensor '" + name + "' (expected shape " + shape_string(shape) + " for the " +
                 std::string(to_string(c_.layout)) + " layout)");
        if (t->shape != shape)
            fail(w_.source() + ": tensor '" + name + "' has shape " + shape_string(t->shape) + ", but " + where_ + " (" + why +
                 ") gives " + shape_string(shape));
    }
    void check_tensors() const {
        const auto d = c_.d_model, di = c_.d_inner, H = c_.ssd.heads;
        const std::string dm = "hidden_size = " + std::to_string(d);
        const std::string ssm = dm + ", heads " + std::to_string(H) + " x head_dim " + std::to_string(c_.ssd.head_dim) +
                                ", n_groups " + std::to_string(c_.ssd.groups) + ", state " + std::to_string(c_.d_state);
        need(c_.embedding(), {c_.vocab, d}, "vocab_size = " + std::to_string(c_.vocab) + ", " + dm);
        // Layers beyond the config's count would be silently ignored: they are an error too.
        if (w_.has(c_.layer(c_.n_layers) + "norm.weight"))
            fail(w_.source() + ": has '" + c_.layer(c_.n_layers) + "norm.weight' but " + where_ + " says num_hidden_layers = " +
                 std::to_string(c_.n_layers));
        for (std::int64_t l = 0; l < c_.n_layers; ++l) {
            const auto m = c_.mixer(l);
            need(c_.layer(l) + "norm.weight", {d}, dm);
            switch (c_.kind(l)) {
                case layer_kind::mamba2:
                    need(m + "in_proj.weight", {c_.in_proj_rows(), d}, ssm);
                    need(m + "conv1d.weight", {c_.conv_dim(), 1, c_.d_conv}, ssm + ", conv_kernel " + std::to_string(c_.d_conv));
                    need(m + "conv1d.bias", {c_.conv_dim()}, ssm);
                    // "A": A itself, as a GGUF file holds it (gguf/weights.hpp)
                    for (const char* p : {"dt_bias", w_.has(m + "A") ? "A" : "A_log", "D"}) need(m + p, {H}, ssm);
                    need(m + "norm.weight", {di}, ssm);
                    need(m + "out_proj.weight", {d, di}, ssm);
                    break;
                case layer_kind::attention: {
                    const auto q = c_.attn.heads * c_.attn.head_dim, kv = c_.attn.kv_heads * c_.attn.head_dim;
                    const std::string a = dm + ", num_attention_heads " + std::to_string(c_.attn.heads) + ", num_key_value_heads " +
                                          std::to_string(c_.attn.kv_heads) + ", head_dim " + std::to_string(c_.attn.head_dim);
                    need(m + "q_proj.weight", {q, d}, a);
                    need(m + "k_proj.weight", {kv, d}, a);
                    need(m + "v_proj.weight", {kv, d}, a);
                    need(m + "o_proj.weight", {d, q}, a);
                    break;
                }
                case layer_kind::mlp: {
                    const std::string a = dm + ", intermediate_size " + std::to_string(c_.mlp_width);
                    need(m + "up_proj.weight", {c_.mlp_width, d}, a);
                    need(m + "down_proj.weight", {d, c_.mlp_width}, a);
                    break;
                }
                default: break;
            }
        }
        need(c_.norm_f() + "weight", {d}, dm);
        if (!c_.tied_head) need("lm_head.weight", {c_.vocab, d}, "vocab_size = " + std::to_string(c_.vocab) + ", " + dm);
    }

    const checkpoint_weights& w_;
    const nlohmann::json& j_;
    std::string where_;
    model_config c_;
};

}  // namespace mixq::detail
