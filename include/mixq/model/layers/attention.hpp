// Causal self-attention with grouped key/value heads and no positional encoding (Nemotron-H's * layers).
#pragma once

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../product.hpp"

namespace mixq {

// o[t, h] = Σ_{j <= t} softmax_j(q[t, h] · k[j, h / (heads / kv_heads)] / sqrt(head_dim)) · v[j, ...];
// out = o_proj(o). Every window attends only within itself (the perplexity protocol's windows).
class attention_layer {
public:
    attention_layer(const checkpoint_weights& w, const model_config& c, std::int64_t l) : c_(c) {
        const auto m = c.mixer(l);
        q_ = w.matrix(m + "q_proj.weight");
        k_ = w.matrix(m + "k_proj.weight");
        v_ = w.matrix(m + "v_proj.weight");
        o_ = w.matrix(m + "o_proj.weight");
    }

    void forward(const float* u, std::int64_t n_seq, std::int64_t L, float* out, const input_observer* observe) const {
        const auto& a = c_.attn;
        const std::int64_t T = n_seq * L, hd = a.head_dim, dq = a.heads * hd, dkv = a.kv_heads * hd, per_kv = a.heads / a.kv_heads;
        std::vector<float> q(static_cast<std::size_t>(T * dq)), k(static_cast<std::size_t>(T * dkv)), v(k.size()),
            o(q.size()), S(static_cast<std::size_t>(L * L));
        apply_product(observe, u, T, q_, q.data());
        apply_product(observe, u, T, k_, k.data());
        apply_product(observe, u, T, v_, v.data());
        const auto I = [](std::int64_t x) { return static_cast<int>(x); };
        const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
        for (std::int64_t s = 0; s < n_seq; ++s)
            for (std::int64_t h = 0; h < a.heads; ++h) {
                const auto kvh = h / per_kv;
                const float* qh = q.data() + s * L * dq + h * hd;
                const float* kh = k.data() + s * L * dkv + kvh * hd;
                const float* vh = v.data() + s * L * dkv + kvh * hd;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(L), I(L), I(hd), scale, qh, I(dq), kh, I(dkv), 0.0f, S.data(), I(L));
                for (std::int64_t t = 0; t < L; ++t) {  // causal softmax of row t over j <= t
                    float* r = S.data() + t * L;
                    const float mx = *std::max_element(r, r + t + 1);
                    float sum = 0.0f;
                    for (std::int64_t j = 0; j <= t; ++j) sum += (r[j] = std::exp(r[j] - mx));
                    for (std::int64_t j = 0; j <= t; ++j) r[j] /= sum;
                    std::fill(r + t + 1, r + L, 0.0f);
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, I(L), I(hd), I(L), 1.0f, S.data(), I(L), vh, I(dkv), 0.0f,
                            o.data() + s * L * dq + h * hd, I(dq));
            }
        apply_product(observe, o.data(), T, o_, out);
    }

    [[nodiscard]] std::vector<const stored_matrix*> products() const { return {&q_, &k_, &v_, &o_}; }

private:
    model_config c_;  // a copy: the model that holds this layer may move
    stored_matrix q_, k_, v_, o_;
};

}  // namespace mixq
