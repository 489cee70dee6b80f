// The Mamba-2 mixer (Mamba2ForCausalLM, Nemotron-H's M layers): in_proj, causal conv over x·B·C, the SSD scan, gated group RMSNorm, out_proj.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../ops.hpp"
#include "../product.hpp"
#include "../ssd_scan.hpp"

namespace mixq {

// Computed as the original mamba_ssm module (and llama.cpp, vLLM) computes it: the gate multiplies before
// the norm, and the norm is taken over each of the n_groups groups of d_inner / n_groups channels
// (transformers' torch path normalises over all of d_inner when n_groups > 1, see docs/models.md).
class mamba2_mixer {
public:
    // Prompts go through the scan in chunks of this many tokens (ssd_scan_chunked); tests may change it.
    static constexpr std::int64_t default_chunk = 64;

    mamba2_mixer(const checkpoint_weights& w, const model_config& c, std::int64_t l) : c_(c) {
        const auto m = c.mixer(l);
        in_proj_ = w.matrix(m + "in_proj.weight");
        out_proj_ = w.matrix(m + "out_proj.weight");
        const auto conv = w.vector(m + "conv1d.weight");  // [channels][taps] -> [taps][channels]: rows vectorise
        const auto C = c.conv_dim(), K = c.d_conv;
        conv_w_.resize(conv.size());
        for (std::int64_t ch = 0; ch < C; ++ch)
            for (std::int64_t k = 0; k < K; ++k) conv_w_[static_cast<std::size_t>(k * C + ch)] = conv[static_cast<std::size_t>(ch * K + k)];
        conv_b_ = w.vector(m + "conv1d.bias");
        dt_bias_ = w.vector(m + "dt_bias");
        D_ = w.vector(m + "D");
        norm_w_ = w.vector(m + "norm.weight");
        // A = -exp(A_log); a GGUF file holds A itself ("mixer.A"), used as it is so mixq runs llama.cpp's values.
        const bool has_A = w.has(m + "A");
        A_ = w.vector(m + (has_A ? "A" : "A_log"));
        if (!has_A)
            for (auto& v : A_) v = -std::exp(v);
    }

    // u: the normalised input [n_seq · L, d_model]; out: the mixer's output [n_seq · L, d_model].
    void forward(const float* u, std::int64_t n_seq, std::int64_t L, float* out, const input_observer* observe,
                 std::int64_t chunk = default_chunk) const {
        const auto& s = c_.ssd;
        const std::int64_t T = n_seq * L, di = s.d_inner(), cd = c_.conv_dim(), H = s.heads, rows = c_.in_proj_rows();
        // Per-thread buffers that keep their pages from one batch to the next (fresh ones cost page faults).
        thread_local std::vector<float> p, dt, y;
        p.resize(static_cast<std::size_t>(T * rows));
        dt.resize(static_cast<std::size_t>(T * H));
        y.resize(static_cast<std::size_t>(T * di));
        apply_product(observe, u, T, in_proj_, p.data());  // rows: z | xBC | dt, used in place
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t h = 0; h < H; ++h) {
                const float v = ops::softplus(p[static_cast<std::size_t>(t * rows + di + cd + h)] + dt_bias_[static_cast<std::size_t>(h)]);
                dt[static_cast<std::size_t>(t * H + h)] = static_cast<float>(std::clamp(static_cast<double>(v), s.dt_min, s.dt_max));
            }
        for (std::int64_t q = 0; q < n_seq; ++q) {
            float* base = p.data() + q * L * rows + di;  // xBC of this sequence, rows of stride `rows`
            conv_silu(base, L, rows);
            ssd_args a;
            a.L = L, a.heads = H, a.head_dim = s.head_dim, a.groups = s.groups, a.d_state = c_.d_state;
            a.x = base, a.ldx = rows;
            a.B = base + di, a.C = base + di + s.groups * c_.d_state, a.ldbc = rows;
            a.dt = dt.data() + q * L * H, a.lddt = H;
            a.A = A_.data(), a.D = D_.data();
            a.y = y.data() + q * L * di, a.ldy = di;
            ssd_scan_chunked(a, chunk);
        }
        // v = y · SiLU(z), then RMS over each group of d_inner / n_groups channels, then the norm's weight.
        const std::int64_t gs = di / s.groups;
        for (std::int64_t t = 0; t < T; ++t) {
            float* yt = y.data() + t * di;
            float* z = p.data() + t * rows;
            ops::map_inplace(z, static_cast<std::size_t>(di), ops::silu);
            for (std::int64_t i = 0; i < di; ++i) yt[i] *= z[i];
            for (std::int64_t g = 0; g < s.groups; ++g) {
                float* v = yt + g * gs;
                float ms = 0.0f;
                for (std::int64_t i = 0; i < gs; ++i) ms += v[i] * v[i];
                const float inv = 1.0f / std::sqrt(ms / static_cast<float>(gs) + static_cast<float>(c_.norm_eps));
                const float* w = norm_w_.data() + g * gs;
                for (std::int64_t i = 0; i < gs; ++i) v[i] = v[i] * inv * w[i];
            }
        }
        apply_product(observe, y.data(), T, out_proj_, out);
    }

    [[nodiscard]] std::vector<const stored_matrix*> products() const { return {&in_proj_, &out_proj_}; }

private:
    // x[t, c] = SiLU(bias[c] + Σ_k w[k, c] · x[t - K + 1 + k, c]) in place over L rows of stride ld (zero
    // before the first row): computed from the last row back, so each row still reads unchanged inputs.
    void conv_silu(float* x, std::int64_t L, std::int64_t ld) const {
        const auto C = c_.conv_dim(), K = c_.d_conv;
        thread_local std::vector<float> acc;
        acc.resize(static_cast<std::size_t>(C));
        for (std::int64_t t = L - 1; t >= 0; --t) {
            std::copy(conv_b_.begin(), conv_b_.end(), acc.begin());
            for (std::int64_t k = 0; k < K; ++k) {
                const auto src = t - (K - 1) + k;
                if (src < 0) continue;
                const float* xr = x + src * ld;
                const float* w = conv_w_.data() + k * C;
                for (std::int64_t c = 0; c < C; ++c) acc[static_cast<std::size_t>(c)] += w[c] * xr[c];
            }
            ops::map_inplace(acc.data(), acc.size(), ops::silu);
            std::copy(acc.begin(), acc.end(), x + t * ld);
        }
    }

    model_config c_;  // a copy: the model that holds this layer may move
    stored_matrix in_proj_, out_proj_;
    std::vector<float> conv_w_, conv_b_, dt_bias_, A_, D_, norm_w_;
};

}  // namespace mixq
