// Test-only: random Mamba-2 / Nemotron-H-style checkpoints with their config.json, and an independent
// double-precision forward written token by token from the fixture README's pseudo-code.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixture.hpp"
#include "logit_error.hpp"
#include "naive_ssm.hpp"

namespace mixq::test {

struct mamba2_shape {
    std::string pattern = "MM";  // M Mamba-2, * attention, - MLP; all M and hybrid = false: Mamba2ForCausalLM
    bool hybrid = false;
    std::int64_t d_model = 12, heads = 3, head_dim = 5, groups = 1, d_state = 4, d_conv = 4, vocab = 37;
    std::int64_t attn_heads = 4, kv_heads = 2, attn_head_dim = 3, mlp_width = 10;
    bool tied = true;
    std::string prefix = "backbone.";
};

// The model, and the config.json text transformers (Mamba2Config) or NVIDIA (NemotronH) would write for it.
struct random_mamba2 {
    random_model m;
    nlohmann::json config;
    [[nodiscard]] std::string config_text() const {  // Python's json module writes Infinity bare
        auto s = config.dump(2);
        const std::string quoted = "\"Infinity\"";
        for (auto at = s.find(quoted); at != std::string::npos; at = s.find(quoted)) s.replace(at, quoted.size(), "Infinity");
        return s;
    }
};

inline random_mamba2 make_random_mamba2(const mamba2_shape& s, std::uint32_t seed) {
    std::mt19937 rng(seed);
    random_mamba2 r;
    auto& m = r.m;
    auto& c = m.cfg;
    c.layout = s.hybrid ? layout_kind::nemotron_h : layout_kind::hf_mamba2;
    c.prefix = s.prefix;
    c.vocab = s.vocab, c.d_model = s.d_model, c.n_layers = static_cast<std::int64_t>(s.pattern.size()), c.d_state = s.d_state;
    c.d_conv = s.d_conv, c.ssd.heads = s.heads, c.ssd.head_dim = s.head_dim, c.ssd.groups = s.groups, c.d_inner = s.heads * s.head_dim;
    c.attn = {s.attn_heads, s.kv_heads, s.attn_head_dim};
    c.mlp_width = s.mlp_width;
    c.tied_head = s.tied;
    c.moe.assign(s.pattern.size(), false);
    for (char ch : s.pattern) c.kinds.push_back(ch == 'M' ? layer_kind::mamba2 : ch == '*' ? layer_kind::attention : layer_kind::mlp);
    m.add(c.embedding(), {c.vocab, c.d_model}, rng, 0.5f);
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
        const auto p = c.mixer(l);
        m.add(c.layer(l) + "norm.weight", {c.d_model}, rng, 0.1f, 1.0f);
        switch (c.kind(l)) {
            case layer_kind::mamba2:
                m.add(p + "in_proj.weight", {c.in_proj_rows(), c.d_model}, rng, 0.3f);
                m.add(p + "conv1d.weight", {c.conv_dim(), 1, c.d_conv}, rng, 0.4f);
                m.add(p + "conv1d.bias", {c.conv_dim()}, rng, 0.1f);
                m.add(p + "dt_bias", {c.ssd.heads}, rng, 0.5f, -1.5f);
                m.add(p + "A_log", {c.ssd.heads}, rng, 0.3f, 0.5f);
                m.add(p + "D", {c.ssd.heads}, rng, 0.2f, 1.0f);
                m.add(p + "norm.weight", {c.d_inner}, rng, 0.1f, 1.0f);
                m.add(p + "out_proj.weight", {c.d_model, c.d_inner}, rng, 0.3f);
                break;
            case layer_kind::attention:
                m.add(p + "q_proj.weight", {c.attn.heads * c.attn.head_dim, c.d_model}, rng, 0.4f);
                m.add(p + "k_proj.weight", {c.attn.kv_heads * c.attn.head_dim, c.d_model}, rng, 0.4f);
                m.add(p + "v_proj.weight", {c.attn.kv_heads * c.attn.head_dim, c.d_model}, rng, 0.4f);
                m.add(p + "o_proj.weight", {c.d_model, c.attn.heads * c.attn.head_dim}, rng, 0.3f);
                break;
            default:
                m.add(p + "up_proj.weight", {c.mlp_width, c.d_model}, rng, 0.4f);
                m.add(p + "down_proj.weight", {c.d_model, c.mlp_width}, rng, 0.3f);
        }
    }
    m.add(c.norm_f() + "weight", {c.d_model}, rng, 0.1f, 1.0f);
    if (!s.tied) m.add("lm_head.weight", {c.vocab, c.d_model}, rng, 0.5f);
    auto& j = r.config;
    j["vocab_size"] = s.vocab, j["hidden_size"] = s.d_model, j["num_hidden_layers"] = c.n_layers, j["conv_kernel"] = s.d_conv;
    j["n_groups"] = s.groups, j["layer_norm_epsilon"] = 1e-5, j["tie_word_embeddings"] = s.tied, j["use_bias"] = false;
    j["use_conv_bias"] = true, j["time_step_limit"] = nlohmann::json::array({0.0, "Infinity"}), j["chunk_size"] = 256;
    if (s.hybrid) {
        j["architectures"] = {"NemotronHForCausalLM"}, j["model_type"] = "nemotron_h", j["hybrid_override_pattern"] = s.pattern;
        j["mamba_num_heads"] = s.heads, j["mamba_head_dim"] = s.head_dim, j["ssm_state_size"] = s.d_state;
        j["num_attention_heads"] = s.attn_heads, j["num_key_value_heads"] = s.kv_heads, j["head_dim"] = s.attn_head_dim;
        j["intermediate_size"] = s.mlp_width, j["mlp_hidden_act"] = "relu2", j["attention_bias"] = false, j["mlp_bias"] = false;
    } else {
        j["architectures"] = {"Mamba2ForCausalLM"}, j["model_type"] = "mamba2", j["num_heads"] = s.heads, j["head_dim"] = s.head_dim;
        j["state_size"] = s.d_state;
        if (c.d_inner % s.d_model == 0) j["expand"] = c.d_inner / s.d_model;
    }
    return r;
}

// logits [L][vocab] of one sequence, in double, token by token as the README writes the forward.
inline std::vector<std::vector<double>> naive_mamba2_logits(const random_model& m, const std::vector<std::int64_t>& ids) {
    const auto& c = m.cfg;
    const auto L = ids.size(), d = static_cast<std::size_t>(c.d_model);
    using vec = std::vector<double>;
    auto matvec = [](const vec& W, std::size_t rows, const vec& x) {
        vec y(rows, 0.0);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t k = 0; k < x.size(); ++k) y[r] += W[r * x.size() + k] * x[k];
        return y;
    };
    auto rms = [](const vec& x, const vec& w, std::size_t off, std::size_t n) {
        double ms = 0;
        for (std::size_t i = 0; i < n; ++i) ms += x[off + i] * x[off + i];
        vec y(n);
        for (std::size_t i = 0; i < n; ++i) y[i] = x[off + i] / std::sqrt(ms / static_cast<double>(n) + 1e-5) * w[off + i];
        return y;
    };
    auto silu = [](double v) { return v / (1.0 + std::exp(-v)); };
    std::vector<vec> x(L, vec(d));
    const auto emb = m.get(c.embedding());
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t k = 0; k < d; ++k) x[t][k] = emb[static_cast<std::size_t>(ids[t]) * d + k];
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
        const auto p = c.mixer(l);
        std::vector<vec> u(L);
        for (std::size_t t = 0; t < L; ++t) u[t] = rms(x[t], m.get(c.layer(l) + "norm.weight"), 0, d);
        std::vector<vec> out(L);
        if (c.kind(l) == layer_kind::mamba2) {
            const auto H = static_cast<std::size_t>(c.ssd.heads), P = static_cast<std::size_t>(c.ssd.head_dim);
            const auto G = static_cast<std::size_t>(c.ssd.groups), N = static_cast<std::size_t>(c.d_state);
            const auto di = H * P, cd = static_cast<std::size_t>(c.conv_dim()), K = static_cast<std::size_t>(c.d_conv);
            const auto w = m.get(p + "conv1d.weight"), b = m.get(p + "conv1d.bias"), dt_bias = m.get(p + "dt_bias");
            const auto A_log = m.get(p + "A_log"), D = m.get(p + "D"), nw = m.get(p + "norm.weight");
            std::vector<vec> proj(L), xbc(L, vec(cd));
            for (std::size_t t = 0; t < L; ++t) proj[t] = matvec(m.get(p + "in_proj.weight"), static_cast<std::size_t>(c.in_proj_rows()), u[t]);
            for (std::size_t t = 0; t < L; ++t)
                for (std::size_t ch = 0; ch < cd; ++ch) {
                    double acc = b[ch];
                    for (std::size_t k = 0; k < K; ++k)
                        if (t + k + 1 >= K) acc += w[ch * K + k] * proj[t + k + 1 - K][di + ch];
                    xbc[t][ch] = silu(acc);
                }
            std::vector<vec> S(H, vec(P * N, 0.0));
            for (std::size_t t = 0; t < L; ++t) {
                vec y(di);
                for (std::size_t h = 0; h < H; ++h) {
                    const auto g = h / (H / G);
                    const double v = proj[t][di + cd + h] + dt_bias[h];
                    const double dt = v > 20 ? v : std::log1p(std::exp(v)), A = -std::exp(A_log[h]);
                    for (std::size_t q = 0; q < P; ++q) {
                        double acc = 0;
                        for (std::size_t n = 0; n < N; ++n) {
                            auto& s = S[h][q * N + n];
                            s = std::exp(dt * A) * s + dt * xbc[t][h * P + q] * xbc[t][di + g * N + n];
                            acc += s * xbc[t][di + G * N + g * N + n];
                        }
                        y[h * P + q] = (acc + D[h] * xbc[t][h * P + q]) * silu(proj[t][h * P + q]);
                    }
                }
                vec v(di);
                for (std::size_t g = 0; g < G; ++g) {
                    const auto part = rms(y, nw, g * di / G, di / G);
                    std::copy(part.begin(), part.end(), v.begin() + static_cast<std::ptrdiff_t>(g * di / G));
                }
                out[t] = matvec(m.get(p + "out_proj.weight"), d, v);
            }
        } else if (c.kind(l) == layer_kind::attention) {
            const auto Hq = static_cast<std::size_t>(c.attn.heads), Hk = static_cast<std::size_t>(c.attn.kv_heads);
            const auto hd = static_cast<std::size_t>(c.attn.head_dim);
            std::vector<vec> q(L), k(L), v(L);
            for (std::size_t t = 0; t < L; ++t) {
                q[t] = matvec(m.get(p + "q_proj.weight"), Hq * hd, u[t]);
                k[t] = matvec(m.get(p + "k_proj.weight"), Hk * hd, u[t]);
                v[t] = matvec(m.get(p + "v_proj.weight"), Hk * hd, u[t]);
            }
            for (std::size_t t = 0; t < L; ++t) {
                vec o(Hq * hd, 0.0);
                for (std::size_t h = 0; h < Hq; ++h) {
                    const auto kh = h / (Hq / Hk);
                    vec sc(t + 1);
                    double mx = -1e300, sum = 0;
                    for (std::size_t j = 0; j <= t; ++j) {
                        double dot = 0;
                        for (std::size_t e = 0; e < hd; ++e) dot += q[t][h * hd + e] * k[j][kh * hd + e];
                        mx = std::max(mx, sc[j] = dot / std::sqrt(static_cast<double>(hd)));
                    }
                    for (auto& s : sc) sum += (s = std::exp(s - mx));
                    for (std::size_t j = 0; j <= t; ++j)
                        for (std::size_t e = 0; e < hd; ++e) o[h * hd + e] += sc[j] / sum * v[j][kh * hd + e];
                }
                out[t] = matvec(m.get(p + "o_proj.weight"), d, o);
            }
        } else {
            for (std::size_t t = 0; t < L; ++t) {
                auto a = matvec(m.get(p + "up_proj.weight"), static_cast<std::size_t>(c.mlp_width), u[t]);
                for (auto& e : a) e = e > 0 ? e * e : 0.0;
                out[t] = matvec(m.get(p + "down_proj.weight"), d, a);
            }
        }
        for (std::size_t t = 0; t < L; ++t)
            for (std::size_t k = 0; k < d; ++k) x[t][k] += out[t][k];
    }
    const auto head = m.get(c.tied_head ? c.embedding() : "lm_head.weight");
    std::vector<vec> logits(L);
    for (std::size_t t = 0; t < L; ++t)
        logits[t] = matvec(head, static_cast<std::size_t>(c.vocab), rms(x[t], m.get(c.norm_f() + "weight"), 0, d));
    return logits;
}

// The configuration mixq reads from the model's config.json (written into dir).
inline model_config read_config(const random_mamba2& r, const temp_dir& dir) {
    write_bytes(dir.file("config.json"), r.config_text());
    return infer_config(r.m.weights(), dir.file("config.json"));
}

// max |mixq - naive| / max |naive| over n_seq random sequences of L tokens, the model built from r's
// weights and `cfg`.
inline double logit_error(const random_mamba2& r, const model_config& cfg, std::int64_t n_seq, std::int64_t L, std::uint32_t seed,
                          double* max_ref = nullptr) {
    const auto w = r.m.weights();
    const ssm_lm model(w, cfg);
    return logit_error(model, n_seq, L, seed, [&](const std::vector<std::int64_t>& ids) { return naive_mamba2_logits(r.m, ids); }, max_ref);
}

}  // namespace mixq::test
