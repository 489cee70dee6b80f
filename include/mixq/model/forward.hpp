// The CPU reference forward of every layout (Mamba-1 layers here, the Mamba-2 family's in model/layers/), using every weight in its stored precision, fp32 activations.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "config.hpp"
#include "layers/attention.hpp"
#include "layers/mamba2_mixer.hpp"
#include "layers/mlp.hpp"
#include "product.hpp"
#include "ops.hpp"
#include "selective_scan.hpp"

namespace mixq {

// Called with a layer's index and the residual stream entering it [T, d_model] (see forward_from).
using residual_observer = std::function<void(std::int64_t layer, std::span<const float> x)>;

// Activations between layers are always fp32 and every product goes through mixq::linear, which reads
// the weight in whatever precision it is stored: any mix of int8 / fp16 / bf16 / fp32 runs by construction.
class ssm_lm {
public:
    ssm_lm(const checkpoint_weights& w, model_config cfg) : cfg_(std::move(cfg)) {
        const auto& c = cfg_;
        const bool hf = c.hf_names();
        embedding_ = w.matrix(c.embedding());
        if (!hf) position_ = w.matrix("position_embedding.weight");
        head_ = w.matrix(c.head());
        head_.name = "lm_head.weight";  // the role, also when the weights are the tied embeddings
        norm_f_w_ = w.vector(c.norm_f() + "weight");
        if (!hf) norm_f_b_ = w.vector(c.norm_f() + "bias");
        for (std::int64_t l = 0; l < c.n_layers; ++l) {
            layer L;
            const auto m = c.mixer(l);
            L.kind = c.kind(l);
            if (L.kind != layer_kind::mamba1) {  // the Mamba-2 family's rooms (model/layers/), pre-norm residual
                L.norm_w = w.vector(c.layer(l) + "norm.weight");
                if (L.kind == layer_kind::mamba2) L.mixer.emplace<mamba2_mixer>(w, c, l);
                else if (L.kind == layer_kind::attention) L.mixer.emplace<attention_layer>(w, c, l);
                else L.mixer.emplace<mlp_layer>(w, c, l);
                layers_.push_back(std::move(L));
                continue;
            }
            L.norm_w = w.vector(hf ? c.layer(l) + "norm.weight" : m + "norm.weight");
            if (!hf) L.norm_b = w.vector(m + "norm.bias");
            L.in_proj = w.matrix(m + "in_proj.weight");
            L.conv_w = w.vector(m + "conv1d.weight");
            L.conv_b = w.vector(m + "conv1d.bias");
            L.x_proj = w.matrix(m + "x_proj.weight");
            L.dt_proj = w.matrix(m + "dt_proj.weight");
            L.dt_b = w.vector(m + "dt_proj.bias");
            // A = -exp(A_log), transposed to [d_state, d_inner]; a GGUF file holds A itself ("mixer.A"),
            // used as it is so mixq runs exactly the values llama.cpp runs.
            const bool has_A = w.has(m + "A");
            const auto A_src = w.vector(m + (has_A ? "A" : "A_log"));
            L.A_t.resize(A_src.size());
            for (std::int64_t ci = 0; ci < c.d_inner; ++ci)
                for (std::int64_t n = 0; n < c.d_state; ++n) {
                    const float v = A_src[static_cast<std::size_t>(ci * c.d_state + n)];
                    L.A_t[static_cast<std::size_t>(n * c.d_inner + ci)] = has_A ? v : -std::exp(v);
                }
            L.D = w.vector(m + "D");
            L.out_proj = w.matrix(m + "out_proj.weight");
            if (c.moe[static_cast<std::size_t>(l)]) {
                const auto p = c.layer(l) + "moe.";
                L.moe = true;
                L.moe_norm_w = w.vector(p + "norm.weight");
                L.moe_norm_b = w.vector(p + "norm.bias");
                L.gate = w.matrix(p + "moe.gate.weight");
                for (std::int64_t e = 0; e < c.n_experts; ++e) {
                    const auto ex = p + "moe.experts." + std::to_string(e) + ".";
                    L.experts.push_back({w.matrix(ex + "w1.weight"), w.matrix(ex + "w2.weight")});
                }
                L.ffn = {w.matrix(p + "ffn.w1.weight"), w.matrix(p + "ffn.w2.weight")};
            }
            layers_.push_back(std::move(L));
        }
    }

    [[nodiscard]] const model_config& config() const noexcept { return cfg_; }

    // tokens: n_seq sequences of L ids each, contiguous; logits: [n_seq * L, vocab].
    void forward(const std::int64_t* tokens, std::int64_t n_seq, std::int64_t L, float* logits,
                 const input_observer* observe = nullptr, const residual_observer* residual = nullptr) const {
        run_layers(embed(tokens, n_seq, L), 0, n_seq, L, logits, observe, residual);
    }

    // The rest of a forward pass from the residual stream entering layer `first` (x: [n_seq * L, d_model],
    // as a residual_observer saw it in a model whose layers before `first` are the same): the same logits,
    // without recomputing those layers. The precision search lowers one layer's tensor at a time.
    void forward_from(std::int64_t first, std::span<const float> x, std::int64_t n_seq, std::int64_t L, float* logits) const {
        if (first < 0 || first > cfg_.n_layers || static_cast<std::int64_t>(x.size()) != n_seq * L * cfg_.d_model)
            throw error(errc::internal, "forward_from: layer " + std::to_string(first) + " with " + std::to_string(x.size()) + " values");
        run_layers(std::vector<float>(x.begin(), x.end()), first, n_seq, L, logits, nullptr, nullptr);
    }

    // The pieces of a forward pass, for work that goes through the model a layer at a time (GPTQ's
    // Hessians: only one layer's are held at once). embed, then run_layer for l = 0 .. n_layers - 1, then
    // head_input computes exactly what forward feeds the head.
    //
    // The residual stream entering layer 0 [n_seq * L, d_model]: the token (and position) embeddings.
    [[nodiscard]] std::vector<float> embed(const std::int64_t* tokens, std::int64_t n_seq, std::int64_t L) const {
        const auto& c = cfg_;
        if (c.max_seq && L > c.max_seq)
            fail("sequence length " + std::to_string(L) + " exceeds the model's " + std::to_string(c.max_seq) +
                 " position embeddings");
        const std::int64_t T = n_seq * L, d = c.d_model;
        std::vector<float> x(static_cast<std::size_t>(T * d)), row(static_cast<std::size_t>(d));
        for (std::int64_t i = 0; i < T; ++i) {
            const auto id = tokens[i];
            if (id < 0 || id >= c.vocab)
                fail("token id " + std::to_string(id) + " at position " + std::to_string(i) +
                     " is outside the vocabulary of " + std::to_string(c.vocab));
            embedding_.row(id, x.data() + i * d);
            if (c.layout == layout_kind::itera_lite) {
                position_.row(i % L, row.data());
                for (std::int64_t k = 0; k < d; ++k) x[static_cast<std::size_t>(i * d + k)] += row[static_cast<std::size_t>(k)];
            }
        }
        return x;
    }
    // Layer l on the stream entering it, in place: x leaves as the stream entering layer l + 1. `observe`
    // sees its products' inputs as in forward.
    void run_layer(std::int64_t l, std::vector<float>& x, std::int64_t n_seq, std::int64_t L, const input_observer* observe = nullptr) const {
        if (l < 0 || l >= cfg_.n_layers || static_cast<std::int64_t>(x.size()) != n_seq * L * cfg_.d_model)
            throw error(errc::internal, "run_layer: layer " + std::to_string(l) + " with " + std::to_string(x.size()) + " values");
        scratch s(cfg_, n_seq * L);
        layer_pass(layers_[static_cast<std::size_t>(l)], x, s, n_seq, L, observe);
    }
    // The head's input [T, d_model] for the stream leaving the last layer: its final norm.
    [[nodiscard]] std::vector<float> head_input(std::span<const float> x) const {
        const auto T = static_cast<std::int64_t>(x.size()) / cfg_.d_model;
        std::vector<float> h(x.size());
        norm(x.data(), h.data(), T, norm_f_w_, norm_f_b_);
        return h;
    }
    // Every product an input_observer sees, as (layer, weight name): the head, "lm_head.weight" even when
    // tied, is in layer n_layers.
    [[nodiscard]] std::vector<std::pair<std::int64_t, std::string>> products() const {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (std::int64_t l = 0; l < cfg_.n_layers; ++l) {
            const auto& ly = layers_[static_cast<std::size_t>(l)];
            if (ly.kind != layer_kind::mamba1) {
                for (const auto* m : std::visit(products_of, ly.mixer)) out.emplace_back(l, m->name);
                continue;
            }
            for (const auto* m : {&ly.in_proj, &ly.x_proj, &ly.dt_proj, &ly.out_proj}) out.emplace_back(l, m->name);
            if (!ly.moe) continue;
            out.emplace_back(l, ly.gate.name);
            for (const auto* f : {&ly.ffn.w1, &ly.ffn.w2}) out.emplace_back(l, f->name);
            for (const auto& e : ly.experts)
                for (const auto* f : {&e.w1, &e.w2}) out.emplace_back(l, f->name);
        }
        out.emplace_back(cfg_.n_layers, head_.name);
        return out;
    }

private:
    // A layer's working buffers for T positions, allocated once per pass.
    // Only the Mamba-1 layouts use more than h (the Mamba-2 family's rooms keep their own buffers).
    struct scratch {
        scratch(const model_config& c, std::int64_t T)
            : scratch(c, c.mamba2_family() ? 0 : T, T) {}
        scratch(const model_config& c, std::int64_t T1, std::int64_t T)
            : h(buf(T * c.d_model)), xz(buf(T1 * 2 * c.d_inner)), xs(buf(T1 * c.d_inner)), z(buf(T1 * c.d_inner)),
              p(buf(T1 * (c.dt_rank + 2 * c.d_state))), dtr(buf(T1 * c.dt_rank)), dt(buf(T1 * c.d_inner)), y(buf(T1 * c.d_inner)),
              state(buf(T1 ? c.d_state * c.d_inner : 0)) {}
        static std::vector<float> buf(std::int64_t n) { return std::vector<float>(static_cast<std::size_t>(n)); }
        std::vector<float> h, xz, xs, z, p, dtr, dt, y, state;
    };

    struct ffn_pair;
    struct layer;

    void run_layers(std::vector<float> x, std::int64_t first, std::int64_t n_seq, std::int64_t L, float* logits,
                    const input_observer* observe, const residual_observer* residual) const {
        const auto& c = cfg_;
        const std::int64_t T = n_seq * L;
        scratch s(c, T);
        for (auto l = first; l < c.n_layers; ++l) {
            if (residual && *residual) (*residual)(l, x);
            layer_pass(layers_[static_cast<std::size_t>(l)], x, s, n_seq, L, observe);
        }
        norm(x.data(), s.h.data(), T, norm_f_w_, norm_f_b_);
        apply(observe, s.h.data(), T, head_, logits);
    }

    void layer_pass(const layer& ly, std::vector<float>& x, scratch& s, std::int64_t n_seq, std::int64_t L,
                    const input_observer* observe) const {
        const auto& c = cfg_;
        const std::int64_t T = n_seq * L, di = c.d_inner, N = c.d_state, r = c.dt_rank;
        const std::int64_t P = r + 2 * N;
        if (ly.kind != layer_kind::mamba1) {  // x += mixer(RMSNorm(x))
            thread_local std::vector<float> out;  // kept between batches: fresh pages cost faults
            out.resize(x.size());
            norm(x.data(), s.h.data(), T, ly.norm_w, ly.norm_b);
            std::visit([&](const auto& m) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, std::monostate>) m.forward(s.h.data(), n_seq, L, out.data(), observe);
            }, ly.mixer);
            for (std::size_t i = 0; i < x.size(); ++i) x[i] += out[i];
            return;
        }
        auto &h = s.h, &xz = s.xz, &xs = s.xs, &z = s.z, &p = s.p, &dtr = s.dtr, &dt = s.dt, &y = s.y, &state = s.state;
        norm(x.data(), h.data(), T, ly.norm_w, ly.norm_b);
        apply(observe, h.data(), T, ly.in_proj, xz.data());
        for (std::int64_t i = 0; i < T; ++i) {  // split xz into xs (first half) and z (second half)
            std::copy_n(xz.data() + i * 2 * di, di, xs.data() + i * di);
            std::copy_n(xz.data() + i * 2 * di + di, di, z.data() + i * di);
        }
        for (std::int64_t q = 0; q < n_seq; ++q)
            causal_conv1d_silu(xs.data() + q * L * di, L, di, ly.conv_w.data(), ly.conv_b.data(), c.d_conv);
        apply(observe, xs.data(), T, ly.x_proj, p.data());
        for (std::int64_t i = 0; i < T; ++i) std::copy_n(p.data() + i * P, r, dtr.data() + i * r);
        apply(observe, dtr.data(), T, ly.dt_proj, dt.data(), ly.dt_b.data());
        ops::map_inplace(dt.data(), dt.size(), ops::softplus);
        for (std::int64_t q = 0; q < n_seq; ++q) {
            std::fill(state.begin(), state.end(), 0.0f);
            const auto o = q * L;
            selective_scan(xs.data() + o * di, dt.data() + o * di, p.data() + o * P + r, p.data() + o * P + r + N, P,
                           ly.A_t.data(), ly.D.data(), y.data() + o * di, state.data(), L, di, N);
        }
        ops::map_inplace(z.data(), z.size(), ops::silu);
        for (std::size_t i = 0; i < y.size(); ++i) y[i] *= z[i];
        apply(observe, y.data(), T, ly.out_proj, h.data());
        for (std::size_t i = 0; i < x.size(); ++i) x[i] += h[i];
        if (ly.moe) moe(ly, x, T, observe);
    }

    struct ffn_pair {
        stored_matrix w1, w2;
    };
    struct layer {
        layer_kind kind = layer_kind::mamba1;
        std::variant<std::monostate, mamba2_mixer, attention_layer, mlp_layer> mixer;  // the Mamba-2 family's layers
        std::vector<float> norm_w, norm_b, conv_w, conv_b, dt_b, A_t, D;
        stored_matrix in_proj, x_proj, dt_proj, out_proj;
        bool moe = false;
        std::vector<float> moe_norm_w, moe_norm_b;
        stored_matrix gate;
        std::vector<ffn_pair> experts;
        ffn_pair ffn;
    };

    static void apply(const input_observer* observe, const float* x, std::int64_t T, const stored_matrix& W, float* y,
                      const float* bias = nullptr) {
        apply_product(observe, x, T, W, y, bias);
    }

    void norm(const float* x, float* y, std::int64_t T, const std::vector<float>& w, const std::vector<float>& b) const {
        if (cfg_.hf_names()) ops::rms_norm(x, y, T, cfg_.d_model, w.data(), cfg_.norm_eps);
        else ops::layer_norm(x, y, T, cfg_.d_model, w.data(), b.empty() ? nullptr : b.data(), cfg_.norm_eps);
    }

    // x += ffn(h) + Σ_{e in top-k} g_e · expert_e(h), h = LayerNorm(x), g = renormalised top-k of softmax(gate(h)).
    void moe(const layer& ly, std::vector<float>& x, std::int64_t T, const input_observer* observe) const {
        const auto d = cfg_.d_model, E = cfg_.n_experts, F = cfg_.ffn_width;
        std::vector<float> h(x.size()), g(static_cast<std::size_t>(T * E)), f(static_cast<std::size_t>(T * F)), o(x.size());
        ops::layer_norm(x.data(), h.data(), T, d, ly.moe_norm_w.data(), ly.moe_norm_b.data(), cfg_.norm_eps);
        apply(observe, h.data(), T, ly.gate, g.data());
        std::vector<std::int64_t> order(static_cast<std::size_t>(E));
        std::vector<float> keep(static_cast<std::size_t>(E));  // renormalised top-k weights, zero elsewhere
        for (std::int64_t t = 0; t < T; ++t) {
            float* gt = g.data() + t * E;
            const float mx = *std::max_element(gt, gt + E);
            float sum = 0.0f;
            for (std::int64_t e = 0; e < E; ++e) sum += (gt[e] = std::exp(gt[e] - mx));
            for (std::int64_t e = 0; e < E; ++e) gt[e] /= sum;
            for (std::int64_t e = 0; e < E; ++e) order[static_cast<std::size_t>(e)] = e;
            const auto k = std::min(cfg_.top_k, E);
            std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](auto a, auto b) {
                return gt[a] > gt[b] || (gt[a] == gt[b] && a < b);
            });
            float top = 0.0f;
            for (std::int64_t i = 0; i < k; ++i) top += gt[order[static_cast<std::size_t>(i)]];
            std::fill(keep.begin(), keep.end(), 0.0f);
            for (std::int64_t i = 0; i < k; ++i) {
                const auto e = order[static_cast<std::size_t>(i)];
                keep[static_cast<std::size_t>(e)] = gt[e] / top;
            }
            std::copy(keep.begin(), keep.end(), gt);
        }
        auto expert = [&](const ffn_pair& fp) {  // o = w2(GELU(w1(h)))
            apply(observe, h.data(), T, fp.w1, f.data());
            ops::map_inplace(f.data(), f.size(), ops::gelu);
            apply(observe, f.data(), T, fp.w2, o.data());
        };
        // Summed as PyTorch does: out = ffn(h), out += g_e · expert_e(h) in expert order, then x += out.
        // Tokens not routed to an expert have g_e = 0, and adding 0 · o is exact, so they are skipped.
        expert(ly.ffn);
        std::vector<float> out = o;
        for (std::int64_t e = 0; e < E; ++e) {
            expert(ly.experts[static_cast<std::size_t>(e)]);
            for (std::int64_t t = 0; t < T; ++t) {
                const float ge = g[static_cast<std::size_t>(t * E + e)];
                if (ge == 0.0f) continue;
                for (std::int64_t k = 0; k < d; ++k) out[static_cast<std::size_t>(t * d + k)] += ge * o[static_cast<std::size_t>(t * d + k)];
            }
        }
        for (std::size_t i = 0; i < x.size(); ++i) x[i] += out[i];
    }

    static constexpr auto products_of = [](const auto& m) -> std::vector<const stored_matrix*> {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, std::monostate>) return {};
        else return m.products();
    };

    model_config cfg_;
    stored_matrix embedding_, position_, head_;
    std::vector<float> norm_f_w_, norm_f_b_;
    std::vector<layer> layers_;
};

}  // namespace mixq
