// Perplexity over non-overlapping windows (the fixture's protocol), batched and optionally multi-threaded.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <span>
#include <thread>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "../model/forward.hpp"

namespace mixq {

struct eval_options {
    std::int64_t window = 0;  // 0: the model's maximum length (position embeddings), or 128 without a limit
    std::int64_t batch = 16;  // windows per forward pass
    int threads = 1;          // windows are shared among threads; BLAS itself runs single-threaded
};

struct perplexity_result {
    double perplexity = 0.0;
    double mean_nll = 0.0;
    std::int64_t tokens_scored = 0;
    std::int64_t windows = 0;
    std::int64_t window = 0;
    double seconds = 0.0;
    std::vector<double> window_nll;  // per window, its tokens' NLL summed: what paired comparisons need
};

namespace detail {
// -log softmax(logits)[target] with the log-sum-exp accumulated in double (as PyTorch's .double() does);
// the exponentials themselves are fp32 (xsimd), which changes the NLL by ~1e-7.
inline double token_nll(const float* logits, std::int64_t V, std::int64_t target) {
    using batch = xsimd::batch<float>;
    constexpr std::int64_t W = static_cast<std::int64_t>(batch::size);
    const std::int64_t vec_end = V - V % W;
    batch vmax(logits[0]);
    for (std::int64_t i = 0; i < vec_end; i += W) vmax = xsimd::max(vmax, batch::load_unaligned(logits + i));
    alignas(64) float lanes[batch::size];  // xsimd 8 has no horizontal max
    vmax.store_aligned(lanes);
    float mx = *std::max_element(lanes, lanes + W);
    for (std::int64_t i = vec_end; i < V; ++i) mx = std::max(mx, logits[i]);
    batch acc(0.0f);
    double sum = 0.0;
    for (std::int64_t i = 0; i < vec_end; i += W) {
        acc += xsimd::exp(batch::load_unaligned(logits + i) - mx);
        if ((i / W) % 64 == 63) {  // flush to double every 64 batches to keep fp32 partial sums short
            sum += static_cast<double>(xsimd::hadd(acc));
            acc = batch(0.0f);
        }
    }
    sum += static_cast<double>(xsimd::hadd(acc));
    for (std::int64_t i = vec_end; i < V; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
    return static_cast<double>(mx) + std::log(sum) - static_cast<double>(logits[target]);
}
}  // namespace detail

// Cuts `tokens` into floor(n / window) windows (the remainder is dropped); each window predicts its tokens
// 1..window-1 from the prefix. perplexity = exp(mean NLL), NLL summed in double in window order, so the
// result does not depend on the thread count.
[[nodiscard]] inline perplexity_result evaluate_perplexity(const ssm_lm& model, std::span<const std::int64_t> tokens,
                                                           eval_options opt = {}) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& c = model.config();
    perplexity_result r;
    r.window = c.window_or_default(opt.window);
    if (r.window < 2) fail_option("eval_options::window", "eval_options::window " + std::to_string(r.window) + ": a window needs at least 2 tokens");
    if (c.max_seq > 0 && r.window > c.max_seq)
        fail_option("eval_options::window", "eval_options::window " + std::to_string(r.window) + " exceeds the model's maximum length " +
                                                std::to_string(c.max_seq));
    r.windows = static_cast<std::int64_t>(tokens.size()) / r.window;
    if (r.windows == 0)
        fail("only " + std::to_string(tokens.size()) + " tokens: fewer than one window of " + std::to_string(r.window));
    const auto batch = std::max<std::int64_t>(1, opt.batch);
    const auto chunks = (r.windows + batch - 1) / batch;
    std::vector<double> chunk_nll(static_cast<std::size_t>(chunks), 0.0);
    r.window_nll.assign(static_cast<std::size_t>(r.windows), 0.0);
    std::atomic<std::int64_t> next{0};
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(1);  // parallelism comes from the windows; nested BLAS threads only contend
#endif
    auto work = [&] {
        std::vector<float> logits;
        try {
            for (std::int64_t k; !failed && (k = next.fetch_add(1)) < chunks;) {
                const auto w0 = k * batch, nw = std::min(batch, r.windows - w0);
                logits.resize(static_cast<std::size_t>(nw * r.window * c.vocab));
                model.forward(tokens.data() + w0 * r.window, nw, r.window, logits.data());
                double nll = 0.0;  // the chunk's sum in token order, as before windows were kept
                for (std::int64_t w = 0; w < nw; ++w) {
                    double in_window = 0.0;
                    for (std::int64_t t = 0; t + 1 < r.window; ++t) {
                        const auto local = w * r.window + t;  // row in this batch's logits
                        const auto next_token = tokens[static_cast<std::size_t>(w0 * r.window + local + 1)];
                        const double x = detail::token_nll(logits.data() + local * c.vocab, c.vocab, next_token);
                        nll += x;
                        in_window += x;
                    }
                    r.window_nll[static_cast<std::size_t>(w0 + w)] = in_window;
                }
                chunk_nll[static_cast<std::size_t>(k)] = nll;
            }
        } catch (...) {
            if (!failed.exchange(true)) failure = std::current_exception();
        }
    };
    const int threads = std::max(1, std::min<int>(opt.threads, static_cast<int>(chunks)));
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    double total = 0.0;
    for (double v : chunk_nll) total += v;
    r.tokens_scored = r.windows * (r.window - 1);
    r.mean_nll = total / static_cast<double>(r.tokens_scored);
    r.perplexity = std::exp(r.mean_nll);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace mixq
