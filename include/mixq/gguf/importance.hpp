// llama.cpp's importance matrix collected by mixq's reference forward: each product's input squared and summed over calibration tokens.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "imatrix.hpp"
#include "../model/observe_inputs.hpp"

namespace mixq {

// Every product's input over the calibration tokens, in windows of `window` (the model's maximum, else 128,
// when 0), `batch` windows per forward pass. Sums are kept in double while collecting.
[[nodiscard]] inline gguf::importance_matrix collect_importance(const ssm_lm& model, std::span<const std::int64_t> tokens, std::int64_t window,
                                                          const std::string& dataset, std::int64_t batch = 16) {
    const auto [L, windows] = detail::calibration_windows(model.config(), tokens.size(), window);
    std::map<std::string, std::pair<std::vector<double>, std::int64_t>> acc;
    observe_inputs(model, tokens, L, windows, batch, [&](const std::string& name, std::span<const float> x, std::int64_t T) {
        auto& [sums, count] = acc[name];
        const auto k = x.size() / static_cast<std::size_t>(T);
        sums.resize(k, 0.0);
        for (std::size_t t = 0; t < static_cast<std::size_t>(T); ++t)
            for (std::size_t j = 0; j < k; ++j) sums[j] += static_cast<double>(x[t * k + j]) * x[t * k + j];
        count += T;
    });
    gguf::importance_matrix m;
    m.datasets = {dataset};
    m.chunk_count = windows;
    m.chunk_size = L;
    for (auto& [name, a] : acc) {
        auto& e = m.entries[name];
        e.sums.assign(a.first.begin(), a.first.end());
        e.count = a.second;
    }
    return m;
}

}  // namespace mixq
