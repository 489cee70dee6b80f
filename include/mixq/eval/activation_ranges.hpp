// Activation calibration: run the reference forward over calibration tokens and record, per linear
// layer, a histogram of its input; report one clipping magnitude per layer (for a later W8A8 path).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "../calib/histogram.hpp"
#include "../calib/method.hpp"
#include "../calib/percentile.hpp"
#include "../model/forward.hpp"

namespace mixq {

// The same methods as for weights; the name says which use is meant.
using activation_method = calibration_method;

struct activation_range {
    float amax = 0.0f;          // the clipping magnitude the method chose
    float max = 0.0f;           // the largest |x| seen
    std::uint64_t samples = 0;  // input values observed
};

struct activation_calibration {
    std::string method;  // "percentile:99.99", "mse", "entropy" or "max"
    std::int64_t tokens = 0, windows = 0, window = 0;
    std::map<std::string, activation_range> ranges;  // by weight name: "layers.0.ssm.in_proj.weight", ...
};

// Windows of the model's maximum length (or `window`), single-threaded so the observers see batches in
// a fixed order. MoE experts are observed on every token: the reference forward evaluates them densely.
[[nodiscard]] inline activation_calibration calibrate_activations(const ssm_lm& model, std::span<const std::int64_t> tokens,
                                                                  activation_method method, double pct = 99.99,
                                                                  std::int64_t window = 0, std::int64_t batch = 16) {
    const auto& c = model.config();
    activation_calibration out;
    out.window = c.window_or_default(window);
    out.windows = static_cast<std::int64_t>(tokens.size()) / out.window;
    if (out.windows == 0)
        fail("calibration tokens: only " + std::to_string(tokens.size()) + " tokens, fewer than one window of " +
             std::to_string(out.window));
    out.tokens = out.windows * out.window;
    std::map<std::string, histogram_observer> hist;
    const input_observer observe = [&](const std::string& name, std::span<const float> x) { hist[name].observe(x); };
    std::vector<float> logits;
    for (std::int64_t w0 = 0; w0 < out.windows; w0 += batch) {
        const auto nw = std::min(batch, out.windows - w0);
        logits.resize(static_cast<std::size_t>(nw * out.window * c.vocab));
        model.forward(tokens.data() + w0 * out.window, nw, out.window, logits.data(), &observe);
    }
    out.method = method == activation_method::percentile ? percentile{pct}.describe() : std::string(to_string(method));
    for (const auto& [name, h] : hist) {
        activation_range r{0.0f, h.max(), h.count()};
        switch (method) {
            case activation_method::max: r.amax = h.max(); break;
            case activation_method::percentile: r.amax = h.percentile(pct); break;
            case activation_method::mse: r.amax = h.mse(); break;
            case activation_method::entropy: r.amax = h.entropy(); break;
        }
        out.ranges.emplace(name, r);
    }
    return out;
}

// metadata.json's "activation_ranges": how they were measured, then one entry per linear layer input.
[[nodiscard]] inline nlohmann::ordered_json to_json(const activation_calibration& a) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::object();
    for (const auto& [name, r] : a.ranges) layers[name] = {{"amax", r.amax}, {"max", r.max}, {"samples", r.samples}};
    return {{"method", a.method}, {"tokens", a.tokens}, {"windows", a.windows}, {"window", a.window}, {"layers", layers}};
}

}  // namespace mixq
