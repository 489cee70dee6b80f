// The reference forward over calibration tokens in whole windows, showing every product's input (GPTQ's Hessians, llama.cpp's importance matrix).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "forward.hpp"

namespace mixq {

namespace detail {
// The calibration windows' length (`window`, else the model's maximum, else 128) and how many whole ones
// the tokens hold; none at all is refused.
[[nodiscard]] inline std::pair<std::int64_t, std::int64_t> calibration_windows(const model_config& c, std::size_t tokens, std::int64_t window) {
    const auto L = c.window_or_default(window);
    const auto windows = static_cast<std::int64_t>(tokens) / L;
    if (windows == 0) fail("calibration tokens: only " + std::to_string(tokens) + " tokens, fewer than one window of " + std::to_string(L));
    return {L, windows};
}
}  // namespace detail

// f(weight name, input [T, K], T) for every product of every forward pass over `windows` windows of L tokens,
// `batch` windows per pass (the tokens beyond the last whole window are not used).
using batch_input_observer = std::function<void(const std::string& weight, std::span<const float> x, std::int64_t T)>;
inline void observe_inputs(const ssm_lm& model, std::span<const std::int64_t> tokens, std::int64_t L, std::int64_t windows,
                           std::int64_t batch, const batch_input_observer& f) {
    std::int64_t T = 0;
    const input_observer observe = [&](const std::string& name, std::span<const float> x) { f(name, x, T); };
    std::vector<float> logits;
    for (std::int64_t w0 = 0; w0 < windows; w0 += batch) {
        const auto nw = std::min(batch, windows - w0);
        T = nw * L;
        logits.resize(static_cast<std::size_t>(T * model.config().vocab));
        model.forward(tokens.data() + w0 * L, nw, L, logits.data(), &observe);
    }
}

}  // namespace mixq
