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
        round_activations(r.data(), T, W.cols, W.rounds_input);
        return linear(r.data(), T, W, y, bias);
    }
    linear(x, T, W, y, bias);
}

}  // namespace mixq
