// The Mamba-1 mixer (Itera-Lite's and MambaForCausalLM's layers): in_proj, causal conv + SiLU, x_proj, dt_proj, the selective scan, the SiLU gate, out_proj.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../ops.hpp"
#include "../product.hpp"
#include "../selective_scan.hpp"

namespace mixq {

class mamba1_mixer {
public:
    mamba1_mixer(const checkpoint_weights& w, const model_config& c, std::int64_t l) : c_(c) {
        const auto m = c.mixer(l);
        in_proj_ = w.matrix(m + "in_proj.weight");
        conv_w_ = w.vector(m + "conv1d.weight");
        conv_b_ = w.vector(m + "conv1d.bias");
        x_proj_ = w.matrix(m + "x_proj.weight");
        dt_proj_ = w.matrix(m + "dt_proj.weight");
        dt_b_ = w.vector(m + "dt_proj.bias");
        // A = -exp(A_log), transposed to [d_state, d_inner]; a GGUF file holds A itself ("mixer.A"),
        // used as it is so mixq runs exactly the values llama.cpp runs.
        const bool has_A = w.has(m + "A");
        const auto A_src = w.vector(m + (has_A ? "A" : "A_log"));
        A_t_.resize(A_src.size());
        for (std::int64_t ci = 0; ci < c.d_inner; ++ci)
            for (std::int64_t n = 0; n < c.d_state; ++n) {
                const float v = A_src[static_cast<std::size_t>(ci * c.d_state + n)];
                A_t_[static_cast<std::size_t>(n * c.d_inner + ci)] = has_A ? v : -std::exp(v);
            }
        D_ = w.vector(m + "D");
        out_proj_ = w.matrix(m + "out_proj.weight");
    }

    // u: the normalised input [n_seq · L, d_model]; out: the mixer's output [n_seq · L, d_model].
    void forward(const float* u, std::int64_t n_seq, std::int64_t L, float* out, const input_observer* observe) const {
        const auto& c = c_;
        const std::int64_t T = n_seq * L, di = c.d_inner, N = c.d_state, r = c.dt_rank, P = r + 2 * N;
        // Per-thread buffers that keep their pages from one batch to the next (fresh ones cost page faults).
        thread_local std::vector<float> xz, xs, z, p, dtr, dt, y, state;
        const auto size = [](std::vector<float>& v, std::int64_t n) { v.resize(static_cast<std::size_t>(n)); };
        size(xz, T * 2 * di), size(xs, T * di), size(z, T * di), size(p, T * P), size(dtr, T * r), size(dt, T * di), size(y, T * di);
        size(state, N * di);
        apply_product(observe, u, T, in_proj_, xz.data());
        for (std::int64_t i = 0; i < T; ++i) {  // split xz into xs (first half) and z (second half)
            std::copy_n(xz.data() + i * 2 * di, di, xs.data() + i * di);
            std::copy_n(xz.data() + i * 2 * di + di, di, z.data() + i * di);
        }
        for (std::int64_t q = 0; q < n_seq; ++q)
            causal_conv1d_silu(xs.data() + q * L * di, L, di, conv_w_.data(), conv_b_.data(), c.d_conv);
        apply_product(observe, xs.data(), T, x_proj_, p.data());
        for (std::int64_t i = 0; i < T; ++i) std::copy_n(p.data() + i * P, r, dtr.data() + i * r);
        apply_product(observe, dtr.data(), T, dt_proj_, dt.data(), dt_b_.data());
        ops::map_inplace(dt.data(), dt.size(), ops::softplus);
        for (std::int64_t q = 0; q < n_seq; ++q) {
            std::fill(state.begin(), state.end(), 0.0f);
            const auto o = q * L;
            selective_scan(xs.data() + o * di, dt.data() + o * di, p.data() + o * P + r, p.data() + o * P + r + N, P,
                           A_t_.data(), D_.data(), y.data() + o * di, state.data(), L, di, N);
        }
        ops::map_inplace(z.data(), z.size(), ops::silu);
        for (std::size_t i = 0; i < y.size(); ++i) y[i] *= z[i];
        apply_product(observe, y.data(), T, out_proj_, out);
    }

    [[nodiscard]] std::vector<const stored_matrix*> products() const { return {&in_proj_, &x_proj_, &dt_proj_, &out_proj_}; }

private:
    model_config c_;
    stored_matrix in_proj_, x_proj_, dt_proj_, out_proj_;
    std::vector<float> conv_w_, conv_b_, dt_b_, A_t_, D_;
};

}  // namespace mixq
