// Sensitivity's yardstick: the KL divergence of a model's next-token distributions from a reference's.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "../model/forward.hpp"

namespace mixq::search {

namespace detail {
// log Σ exp(x) over V values: fp32 exponentials (xsimd) summed in double, as the perplexity's NLL is.
inline double log_sum_exp(const float* x, std::int64_t V) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t W = static_cast<std::int64_t>(batch::size);
    const std::int64_t vec_end = V - V % W;
    float mx = x[0];
    for (std::int64_t i = 0; i < V; ++i) mx = std::max(mx, x[i]);
    double sum = 0.0;
    batch acc(0.0f);
    for (std::int64_t i = 0; i < vec_end; i += W) {
        acc += xsimd::exp(batch::load_unaligned(x + i) - mx);
        if ((i / W) % 64 == 63) sum += static_cast<double>(xsimd::hadd(acc)), acc = batch(0.0f);
    }
    sum += static_cast<double>(xsimd::hadd(acc));
    for (std::int64_t i = vec_end; i < V; ++i) sum += std::exp(static_cast<double>(x[i] - mx));
    return static_cast<double>(mx) + std::log(sum);
}
// Σ p_i x_i, fp32 products in vectors, summed in double per 64 vectors.
inline double dot(const float* p, const float* x, std::int64_t V) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t W = static_cast<std::int64_t>(batch::size);
    const std::int64_t vec_end = V - V % W;
    double sum = 0.0;
    batch acc(0.0f);
    for (std::int64_t i = 0; i < vec_end; i += W) {
        acc = xsimd::fma(batch::load_unaligned(p + i), batch::load_unaligned(x + i), acc);
        if ((i / W) % 64 == 63) sum += static_cast<double>(xsimd::hadd(acc)), acc = batch(0.0f);
    }
    sum += static_cast<double>(xsimd::hadd(acc));
    for (std::int64_t i = vec_end; i < V; ++i) sum += static_cast<double>(p[i]) * x[i];
    return sum;
}
}  // namespace detail

// The reference's next-token distribution at every position of `windows` windows of `window` tokens:
// probabilities p [T, V] and Σ p log p per position. With them KL(p || softmax(x)) = Σ p log p - Σ p x +
// log Σ exp x: one exponential pass per position of the model under test, no second reference pass.
struct reference_distribution {
    std::int64_t window = 0, windows = 0, vocab = 0;
    std::vector<std::int64_t> tokens;  // windows · window
    std::vector<float> p;              // [windows · window, vocab]
    std::vector<double> neg_entropy;   // Σ p log p per position
    std::vector<double> nll;           // -log p(next token) per position (the last of a window has none)
};

// What one model does against the reference on its windows: the mean KL over all positions, and the
// change of the mean negative log-likelihood of the actual next tokens (the calibration loss).
struct divergence {
    double kl = 0.0;
    double delta_nll = 0.0;
};

// Windows are taken from the start of `tokens`; batches of `batch` windows per forward pass.
[[nodiscard]] inline reference_distribution make_reference(const ssm_lm& ref, std::span<const std::int64_t> tokens, std::int64_t window,
                                                           std::int64_t windows, std::int64_t batch = 8) {
    reference_distribution r;
    r.window = window;
    r.windows = std::min<std::int64_t>(windows, static_cast<std::int64_t>(tokens.size()) / window);
    if (r.windows <= 0)
        fail("calibration tokens: only " + std::to_string(tokens.size()) + " tokens, fewer than one window of " + std::to_string(window));
    r.vocab = ref.config().vocab;
    r.tokens.assign(tokens.begin(), tokens.begin() + r.windows * window);
    r.p.resize(static_cast<std::size_t>(r.windows * window * r.vocab));
    r.neg_entropy.resize(static_cast<std::size_t>(r.windows * window));
    r.nll.assign(static_cast<std::size_t>(r.windows * window), 0.0);
    std::vector<float> logits;
    for (std::int64_t w0 = 0; w0 < r.windows; w0 += batch) {
        const auto nw = std::min(batch, r.windows - w0), T = nw * window;
        logits.resize(static_cast<std::size_t>(T * r.vocab));
        ref.forward(r.tokens.data() + w0 * window, nw, window, logits.data());
        for (std::int64_t t = 0; t < T; ++t) {
            const float* x = logits.data() + t * r.vocab;
            float* p = r.p.data() + (w0 * window + t) * r.vocab;
            const double lse = detail::log_sum_exp(x, r.vocab);
            double h = 0.0;
            for (std::int64_t i = 0; i < r.vocab; ++i) {
                const double lp = static_cast<double>(x[i]) - lse;
                p[i] = static_cast<float>(std::exp(lp));
                h += static_cast<double>(p[i]) * lp;
            }
            r.neg_entropy[static_cast<std::size_t>(w0 * window + t)] = h;
            if ((t + 1) % window != 0)
                r.nll[static_cast<std::size_t>(w0 * window + t)] = lse - x[r.tokens[static_cast<std::size_t>(w0 * window + t + 1)]];
        }
    }
    return r;
}

// The residual stream entering some layers of one model on the reference's windows, batch by batch, so
// that a model differing from it only from layer l on can start there (ssm_lm::forward_from). Layers
// are kept every `stride` (a multiple of it is where a pass may start), so the cache stays below
// `max_bytes`: 72 MiB for every layer of a Mamba-130M on 8 windows of 128.
struct layer_inputs {
    std::int64_t stride = 0, batch = 8;           // 0: nothing kept
    std::vector<std::vector<float>> at;           // [layer / stride][windows · window · d_model]; at[0] empty
    // The latest kept layer at or before `layer` (0 when none is: start from the tokens).
    [[nodiscard]] std::int64_t start_for(std::int64_t layer) const {
        if (stride <= 0 || layer < stride) return 0;
        return std::min<std::int64_t>(layer / stride, static_cast<std::int64_t>(at.size()) - 1) * stride;
    }
};

[[nodiscard]] inline layer_inputs record_layer_inputs(const ssm_lm& model, const reference_distribution& ref, std::int64_t batch = 8,
                                                      std::uint64_t max_bytes = std::uint64_t{1} << 30) {
    const auto& c = model.config();
    layer_inputs r;
    r.batch = batch;
    const auto per_layer = static_cast<std::uint64_t>(ref.windows * ref.window * c.d_model) * sizeof(float);
    if (c.n_layers < 2 || per_layer == 0) return r;
    r.stride = 1;
    while (per_layer * static_cast<std::uint64_t>((c.n_layers - 1) / r.stride) > max_bytes && r.stride < c.n_layers) ++r.stride;
    r.at.resize(static_cast<std::size_t>((c.n_layers - 1) / r.stride + 1));
    for (std::size_t k = 1; k < r.at.size(); ++k) r.at[k].resize(static_cast<std::size_t>(per_layer / sizeof(float)));  // layer 0: the tokens
    std::vector<float> logits;
    for (std::int64_t w0 = 0; w0 < ref.windows; w0 += batch) {
        const auto nw = std::min(batch, ref.windows - w0);
        const std::size_t offset = static_cast<std::size_t>(w0 * ref.window * c.d_model);
        const residual_observer keep = [&](std::int64_t l, std::span<const float> x) {
            if (l > 0 && l % r.stride == 0) std::copy(x.begin(), x.end(), r.at[static_cast<std::size_t>(l / r.stride)].begin() + static_cast<std::ptrdiff_t>(offset));
        };
        logits.resize(static_cast<std::size_t>(nw * ref.window * ref.vocab));
        model.forward(ref.tokens.data() + w0 * ref.window, nw, ref.window, logits.data(), nullptr, &keep);
    }
    return r;
}

// Mean over all positions of KL(reference || model) and mean change of the next-token NLL, in nats per
// token, summed in double in position order (deterministic). Single-threaded: the search runs several
// of these at once. With `from` (the inputs of a model equal to this one before layer `first`), the
// passes start at the latest kept layer at or before `first`: the same logits for less work.
[[nodiscard]] inline divergence measure_divergence(const ssm_lm& model, const reference_distribution& ref, std::int64_t batch = 8,
                                                   const layer_inputs* from = nullptr, std::int64_t first = 0) {
    const auto V = ref.vocab, L = ref.window, d = model.config().d_model;
    const auto start = from ? from->start_for(first) : 0;
    if (from && start > 0 && from->batch != batch) throw error(errc::internal, "measure_divergence: layer inputs of another batch size");
    std::vector<float> logits;
    double total = 0.0, dnll = 0.0;
    for (std::int64_t w0 = 0; w0 < ref.windows; w0 += batch) {
        const auto nw = std::min(batch, ref.windows - w0), T = nw * L;
        logits.resize(static_cast<std::size_t>(T * V));
        if (start > 0) {
            const auto& x = from->at[static_cast<std::size_t>(start / from->stride)];
            model.forward_from(start, std::span<const float>(x).subspan(static_cast<std::size_t>(w0 * L * d), static_cast<std::size_t>(T * d)), nw, L,
                               logits.data());
        } else {
            model.forward(ref.tokens.data() + w0 * L, nw, L, logits.data());
        }
        for (std::int64_t t = 0; t < T; ++t) {
            const auto pos = w0 * L + t;
            const float* x = logits.data() + t * V;
            const double lse = detail::log_sum_exp(x, V);
            total += ref.neg_entropy[static_cast<std::size_t>(pos)] - detail::dot(ref.p.data() + pos * V, x, V) + lse;
            if ((t + 1) % L != 0) dnll += lse - x[ref.tokens[static_cast<std::size_t>(pos + 1)]] - ref.nll[static_cast<std::size_t>(pos)];
        }
    }
    return {total / static_cast<double>(ref.windows * L), dnll / static_cast<double>(ref.windows * (L - 1))};
}
[[nodiscard]] inline double mean_kl(const ssm_lm& model, const reference_distribution& ref, std::int64_t batch = 8) {
    return measure_divergence(model, ref, batch).kl;
}

}  // namespace mixq::search
