// Itera-Lite's mixture-of-experts block: a shared FFN plus the renormalised top-k of softmax-gated GELU experts.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../ops.hpp"
#include "../product.hpp"

namespace mixq {

class moe_block {
public:
    moe_block(const checkpoint_weights& w, const model_config& c, std::int64_t l) : c_(c) {
        const auto p = c.layer(l) + "moe.";
        gate_ = w.matrix(p + "moe.gate.weight");
        for (std::int64_t e = 0; e < c.n_experts; ++e) {
            const auto ex = p + "moe.experts." + std::to_string(e) + ".";
            experts_.push_back({w.matrix(ex + "w1.weight"), w.matrix(ex + "w2.weight")});
        }
        ffn_ = {w.matrix(p + "ffn.w1.weight"), w.matrix(p + "ffn.w2.weight")};
    }

    // The norm before the block, "layers.N.moe.norm.": a LayerNorm with bias.
    [[nodiscard]] static std::string norm_prefix(const model_config& c, std::int64_t l) { return c.layer(l) + "moe.norm."; }

    // out = ffn(h) + Σ_{e in top-k} g_e · expert_e(h), g = renormalised top-k of softmax(gate(h)); h: the
    // normalised input [n_seq · L, d_model].
    void forward(const float* h, std::int64_t n_seq, std::int64_t L, float* out, const input_observer* observe) const {
        const auto d = c_.d_model, E = c_.n_experts, F = c_.ffn_width, T = n_seq * L;
        std::vector<float> g(static_cast<std::size_t>(T * E)), f(static_cast<std::size_t>(T * F)), o(static_cast<std::size_t>(T * d));
        apply_product(observe, h, T, gate_, g.data());
        std::vector<std::int64_t> order(static_cast<std::size_t>(E));
        std::vector<float> keep(static_cast<std::size_t>(E));  // renormalised top-k weights, zero elsewhere
        for (std::int64_t t = 0; t < T; ++t) {
            float* gt = g.data() + t * E;
            const float mx = *std::max_element(gt, gt + E);
            float sum = 0.0f;
            for (std::int64_t e = 0; e < E; ++e) sum += (gt[e] = std::exp(gt[e] - mx));
            for (std::int64_t e = 0; e < E; ++e) gt[e] /= sum;
            for (std::int64_t e = 0; e < E; ++e) order[static_cast<std::size_t>(e)] = e;
            const auto k = std::min(c_.top_k, E);
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
            apply_product(observe, h, T, fp.w1, f.data());
            ops::map_inplace(f.data(), f.size(), ops::gelu);
            apply_product(observe, f.data(), T, fp.w2, o.data());
        };
        // Summed as PyTorch does: out = ffn(h), out += g_e · expert_e(h) in expert order.
        // Tokens not routed to an expert have g_e = 0, and adding 0 · o is exact, so they are skipped.
        expert(ffn_);
        std::copy(o.begin(), o.end(), out);
        for (std::int64_t e = 0; e < E; ++e) {
            expert(experts_[static_cast<std::size_t>(e)]);
            for (std::int64_t t = 0; t < T; ++t) {
                const float ge = g[static_cast<std::size_t>(t * E + e)];
                if (ge == 0.0f) continue;
                for (std::int64_t k = 0; k < d; ++k) out[t * d + k] += ge * o[static_cast<std::size_t>(t * d + k)];
            }
        }
    }

    // In the order the forward applies them: the gate, the shared FFN, then each expert.
    [[nodiscard]] std::vector<const stored_matrix*> products() const {
        std::vector<const stored_matrix*> v{&gate_, &ffn_.w1, &ffn_.w2};
        for (const auto& e : experts_) v.insert(v.end(), {&e.w1, &e.w2});
        return v;
    }

private:
    struct ffn_pair {
        stored_matrix w1, w2;
    };
    model_config c_;
    stored_matrix gate_;
    std::vector<ffn_pair> experts_;
    ffn_pair ffn_;
};

}  // namespace mixq
