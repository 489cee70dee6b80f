// Test-only: an independent double-precision forward of both layouts, written loop by loop from the
// fixture README's equations, and a builder for small random checkpoints of either layout.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <mixq/io/safetensors_writer.hpp>
#include <mixq/model/config.hpp>

namespace mixq::test {

// Owns the bytes of a random checkpoint and exposes it as checkpoint_weights.
struct random_model {
    std::map<std::string, std::vector<float>> data;
    std::map<std::string, shape_t> shapes;
    model_config cfg;

    void add(const std::string& name, shape_t shape, std::mt19937& rng, float stddev, float mean = 0.0f) {
        std::normal_distribution<float> n(mean, stddev);
        std::vector<float> v(static_cast<std::size_t>(numel(shape)));
        for (auto& x : v) x = n(rng);
        data[name] = std::move(v);
        shapes[name] = std::move(shape);
    }
    // As an fp32 safetensors file (a tied head stays absent, as Hugging Face writes it).
    void write(const std::string& path) const {
        std::vector<io::tensor_out> out;
        for (const auto& [name, v] : data) out.push_back({name, dtype::f32, shapes.at(name), std::as_bytes(std::span(v))});
        io::write_safetensors(path, out);
    }
    [[nodiscard]] checkpoint_weights weights() const {
        std::vector<tensor_view> views;
        for (const auto& [name, v] : data) views.push_back({name, dtype::f32, shapes.at(name), std::as_bytes(std::span(v))});
        return checkpoint_weights("random " + std::string(to_string(cfg.layout)), std::move(views));
    }
    [[nodiscard]] std::vector<double> get(const std::string& name) const {
        const auto& v = data.at(name);
        return {v.begin(), v.end()};
    }
};

// layout: itera_lite (LayerNorm, position embeddings, MoE in layer 1, head stored) or hf_mamba (RMSNorm, tied head absent).
inline random_model make_random_model(layout_kind layout, std::uint32_t seed) {
    std::mt19937 rng(seed);
    random_model m;
    auto& c = m.cfg;
    const bool hf = layout == layout_kind::hf_mamba;
    c.layout = layout;
    c.vocab = hf ? 41 : 53;
    c.d_model = hf ? 12 : 16;
    c.n_layers = 2;
    c.d_inner = 2 * c.d_model + (hf ? 0 : 3);  // not a multiple of the SIMD width: tails are exercised
    c.d_state = hf ? 5 : 4;
    c.dt_rank = hf ? 3 : 2;
    c.d_conv = 4;
    c.max_seq = hf ? 0 : 12;
    c.moe = {false, !hf};
    c.n_experts = hf ? 0 : 3;
    c.ffn_width = hf ? 0 : 8;
    c.tied_head = hf;
    m.add(c.embedding(), {c.vocab, c.d_model}, rng, 0.5f);
    if (!hf) m.add("position_embedding.weight", {c.max_seq, c.d_model}, rng, 0.1f);
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
        const auto p = c.mixer(l);
        if (hf) m.add(c.layer(l) + "norm.weight", {c.d_model}, rng, 0.1f, 1.0f);
        else {
            m.add(p + "norm.weight", {c.d_model}, rng, 0.1f, 1.0f);
            m.add(p + "norm.bias", {c.d_model}, rng, 0.1f);
        }
        m.add(p + "in_proj.weight", {2 * c.d_inner, c.d_model}, rng, 0.3f);
        m.add(p + "conv1d.weight", {c.d_inner, 1, c.d_conv}, rng, 0.4f);
        m.add(p + "conv1d.bias", {c.d_inner}, rng, 0.1f);
        m.add(p + "x_proj.weight", {c.dt_rank + 2 * c.d_state, c.d_inner}, rng, 0.3f);
        m.add(p + "dt_proj.weight", {c.d_inner, c.dt_rank}, rng, 0.3f);
        m.add(p + "dt_proj.bias", {c.d_inner}, rng, 0.5f, -2.0f);
        m.add(p + "A_log", {c.d_inner, c.d_state}, rng, 0.3f, 0.7f);
        m.add(p + "D", {c.d_inner}, rng, 0.2f, 1.0f);
        m.add(p + "out_proj.weight", {c.d_model, c.d_inner}, rng, 0.3f);
        if (c.moe[static_cast<std::size_t>(l)]) {
            const auto q = c.layer(l) + "moe.";
            m.add(q + "norm.weight", {c.d_model}, rng, 0.1f, 1.0f);
            m.add(q + "norm.bias", {c.d_model}, rng, 0.1f);
            m.add(q + "moe.gate.weight", {c.n_experts, c.d_model}, rng, 0.8f);
            for (std::int64_t e = 0; e < c.n_experts; ++e) {
                m.add(q + "moe.experts." + std::to_string(e) + ".w1.weight", {c.ffn_width, c.d_model}, rng, 0.3f);
                m.add(q + "moe.experts." + std::to_string(e) + ".w2.weight", {c.d_model, c.ffn_width}, rng, 0.3f);
            }
            m.add(q + "ffn.w1.weight", {c.ffn_width, c.d_model}, rng, 0.3f);
            m.add(q + "ffn.w2.weight", {c.d_model, c.ffn_width}, rng, 0.3f);
        }
    }
    m.add(c.norm_f() + "weight", {c.d_model}, rng, 0.1f, 1.0f);
    if (!hf) {
        m.add(c.norm_f() + "bias", {c.d_model}, rng, 0.1f);
        m.add("lm_head.weight", {c.vocab, c.d_model}, rng, 0.5f);
    }
    return m;
}

namespace naive {
using mat = std::vector<std::vector<double>>;
inline std::vector<double> matvec(const std::vector<double>& W, std::size_t rows, const std::vector<double>& x) {
    std::vector<double> y(rows, 0.0);
    const std::size_t cols = x.size();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < cols; ++k) y[r] += W[r * cols + k] * x[k];
    return y;
}
inline double silu(double v) { return v / (1.0 + std::exp(-v)); }
inline double gelu(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }
}  // namespace naive

// Layer l's Mamba-1 mixer on one sequence of normalised inputs h [L][d_model]: its output [L][d_model].
inline naive::mat naive_mamba1_mixer(const random_model& m, std::int64_t l, const naive::mat& h) {
    using naive::matvec, naive::silu;
    const auto& c = m.cfg;
    const auto L = h.size();
    const auto d = static_cast<std::size_t>(c.d_model), di = static_cast<std::size_t>(c.d_inner);
    const auto N = static_cast<std::size_t>(c.d_state), R = static_cast<std::size_t>(c.dt_rank);
    const auto p = c.mixer(l);
    const auto in_proj = m.get(p + "in_proj.weight"), conv_w = m.get(p + "conv1d.weight"), conv_b = m.get(p + "conv1d.bias");
    const auto x_proj = m.get(p + "x_proj.weight"), dt_w = m.get(p + "dt_proj.weight"), dt_b = m.get(p + "dt_proj.bias");
    const auto A_log = m.get(p + "A_log"), D = m.get(p + "D"), out_proj = m.get(p + "out_proj.weight");
    naive::mat xs(L), z(L), out(L);
    for (std::size_t t = 0; t < L; ++t) {
        const auto xz = matvec(in_proj, 2 * di, h[t]);
        xs[t].assign(xz.begin(), xz.begin() + static_cast<std::ptrdiff_t>(di));
        z[t].assign(xz.begin() + static_cast<std::ptrdiff_t>(di), xz.end());
    }
    naive::mat u(L, std::vector<double>(di));
    const auto K = static_cast<std::size_t>(c.d_conv);
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t ch = 0; ch < di; ++ch) {
            double acc = conv_b[ch];
            for (std::size_t k = 0; k < K; ++k)
                if (t + k + 1 >= K) acc += conv_w[ch * K + k] * xs[t + k + 1 - K][ch];
            u[t][ch] = silu(acc);
        }
    naive::mat s(di, std::vector<double>(N, 0.0));
    for (std::size_t t = 0; t < L; ++t) {
        const auto pr = matvec(x_proj, R + 2 * N, u[t]);
        const std::vector<double> dtr(pr.begin(), pr.begin() + static_cast<std::ptrdiff_t>(R));
        auto dt = matvec(dt_w, di, dtr);
        std::vector<double> y(di);
        for (std::size_t ch = 0; ch < di; ++ch) {
            const double v = dt[ch] + dt_b[ch];
            dt[ch] = v > 20 ? v : std::log1p(std::exp(v));
            double acc = 0;
            for (std::size_t n = 0; n < N; ++n) {
                const double A = -std::exp(A_log[ch * N + n]);
                s[ch][n] = std::exp(dt[ch] * A) * s[ch][n] + dt[ch] * pr[R + n] * u[t][ch];
                acc += s[ch][n] * pr[R + N + n];
            }
            y[ch] = (acc + D[ch] * u[t][ch]) * silu(z[t][ch]);
        }
        out[t] = matvec(out_proj, d, y);
    }
    return out;
}

// Layer l's MoE block (top-2 of the softmax gate, renormalised, plus the shared FFN) on normalised inputs h [L][d_model].
inline naive::mat naive_moe(const random_model& m, std::int64_t l, const naive::mat& h) {
    using naive::matvec;
    const auto& c = m.cfg;
    const auto d = static_cast<std::size_t>(c.d_model);
    const auto q = c.layer(l) + "moe.";
    const auto E = static_cast<std::size_t>(c.n_experts), F = static_cast<std::size_t>(c.ffn_width);
    auto ffn = [&](const std::string& pre, const std::vector<double>& x) {
        auto a = matvec(m.get(pre + "w1.weight"), F, x);
        for (auto& v : a) v = naive::gelu(v);
        return matvec(m.get(pre + "w2.weight"), d, a);
    };
    naive::mat out(h.size());
    for (std::size_t t = 0; t < h.size(); ++t) {
        auto g = matvec(m.get(q + "moe.gate.weight"), E, h[t]);
        double mx = g[0], sum = 0;
        for (double v : g) mx = std::max(mx, v);
        for (auto& v : g) sum += (v = std::exp(v - mx));
        for (auto& v : g) v /= sum;
        std::size_t a = 0, b = 1;  // top-2 by value
        if (g[b] > g[a]) std::swap(a, b);
        for (std::size_t e = 2; e < E; ++e) {
            if (g[e] > g[a]) b = a, a = e;
            else if (g[e] > g[b]) b = e;
        }
        out[t] = ffn(q + "ffn.", h[t]);
        for (std::size_t e : {a, b}) {
            const auto o = ffn(q + "moe.experts." + std::to_string(e) + ".", h[t]);
            for (std::size_t k = 0; k < d; ++k) out[t][k] += g[e] / (g[a] + g[b]) * o[k];
        }
    }
    return out;
}

// logits [L][vocab] of one sequence, all in double.
inline std::vector<std::vector<double>> naive_logits(const random_model& m, const std::vector<std::int64_t>& ids) {
    const auto& c = m.cfg;
    const bool hf = c.layout == layout_kind::hf_mamba;
    const auto L = static_cast<std::size_t>(ids.size());
    const auto d = static_cast<std::size_t>(c.d_model);
    using naive::mat;
    auto norm = [&](const std::vector<double>& x, const std::string& prefix, bool rms) {
        const auto w = m.get(prefix + "weight");
        std::vector<double> y(x.size());
        double mean = 0, var = 0, ms = 0;
        for (double v : x) mean += v, ms += v * v;
        mean /= static_cast<double>(x.size());
        ms /= static_cast<double>(x.size());
        for (double v : x) var += (v - mean) * (v - mean);
        var /= static_cast<double>(x.size());
        const auto b = rms ? std::vector<double>(x.size(), 0.0) : m.get(prefix + "bias");
        for (std::size_t i = 0; i < x.size(); ++i)
            y[i] = rms ? x[i] / std::sqrt(ms + 1e-5) * w[i] : (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i];
        return y;
    };
    // x += block(norm(x)) over the whole sequence
    auto residual = [&](mat& x, const std::string& norm_prefix, bool rms, auto&& block) {
        mat h(L);
        for (std::size_t t = 0; t < L; ++t) h[t] = norm(x[t], norm_prefix, rms);
        const auto o = block(h);
        for (std::size_t t = 0; t < L; ++t)
            for (std::size_t k = 0; k < d; ++k) x[t][k] += o[t][k];
    };

    mat x(L, std::vector<double>(d));
    const auto emb = m.get(c.embedding());
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t k = 0; k < d; ++k) {
            x[t][k] = emb[static_cast<std::size_t>(ids[t]) * d + k];
            if (!hf) x[t][k] += m.get("position_embedding.weight")[t * d + k];
        }
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
        residual(x, hf ? c.layer(l) + "norm." : c.mixer(l) + "norm.", hf, [&](const mat& h) { return naive_mamba1_mixer(m, l, h); });
        if (c.moe[static_cast<std::size_t>(l)]) residual(x, c.layer(l) + "moe.norm.", false, [&](const mat& h) { return naive_moe(m, l, h); });
    }
    const auto head = m.get(c.tied_head ? c.embedding() : std::string("lm_head.weight"));
    mat logits(L);
    for (std::size_t t = 0; t < L; ++t) logits[t] = naive::matvec(head, static_cast<std::size_t>(c.vocab), norm(x[t], c.norm_f(), hf));
    return logits;
}

}  // namespace mixq::test
