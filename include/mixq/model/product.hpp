// One linear product of the reference forward, seen by an observer first: how every layer applies its weights.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "linear.hpp"

namespace mixq {

// Called with a linear layer's weight name and its fp32 input [T, K] just before the product
// (activation calibration, GPTQ's Hessians). The head is reported as "lm_head.weight" even when tied.
using input_observer = std::function<void(const std::string& weight, std::span<const float> input)>;

// y = x · Wᵀ (+ bias) for x: [T, W.cols], after `observe` has seen x; rounds x first where the weight asks
// for it (llama.cpp's arithmetic for a GGUF weight type).
inline void apply_product(const input_observer* observe, const float* x, std::int64_t T, const stored_matrix& W, float* y,
                          const float* bias = nullptr) {
    if (observe && *observe) (*observe)(W.name, std::span<const float>(x, static_cast<std::size_t>(T * W.cols)));
    if (W.rounds_input != activation_rounding::none) {
        std::vector<float> r(x, x + T * W.cols);
        std::vector<float> err;
        if (W.rounds_input == activation_rounding::q8_1 && !W.block_mins.empty()) {
            err.resize(static_cast<std::size_t>(T * (W.cols / 32)));
            q8_1_sum_errors(x, T, W.cols, err.data());
        }
        round_activations(r.data(), T, W.cols, W.rounds_input);
        linear(r.data(), T, W, y, bias);
        // llama.cpp's min term uses the stored block sums: y[t][n] += Σ_b m[n][b] · err[t][b].
        const auto nb = W.cols / 32;
        if (!err.empty())
            for (std::int64_t t = 0; t < T; ++t)
                for (std::int64_t n = 0; n < W.rows; ++n) {
                    float c = 0.0f;
                    for (std::int64_t b = 0; b < nb; ++b)
                        c += W.block_mins[static_cast<std::size_t>(n * nb + b)] * err[static_cast<std::size_t>(t * nb + b)];
                    y[t * W.rows + n] += c;
                }
        return;
    }
    linear(x, T, W, y, bias);
}

}  // namespace mixq
