// The hybrids' plain MLP layer (Nemotron-H's - layers): down_proj(relu(up_proj(u))²), not gated, no biases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../product.hpp"

namespace mixq {

class mlp_layer {
public:
    mlp_layer(const checkpoint_weights& w, const model_config& c, std::int64_t l) {
        const auto m = c.mixer(l);
        up_ = w.matrix(m + "up_proj.weight");
        down_ = w.matrix(m + "down_proj.weight");
    }

    void forward(const float* u, std::int64_t n_seq, std::int64_t L, float* out, const input_observer* observe) const {
        const std::int64_t T = n_seq * L;
        std::vector<float> h(static_cast<std::size_t>(T * up_.rows));
        apply_product(observe, u, T, up_, h.data());
        for (auto& v : h) v = v > 0.0f ? v * v : 0.0f;  // relu2: relu(v)²
        apply_product(observe, h.data(), T, down_, out);
    }

    [[nodiscard]] std::vector<const stored_matrix*> products() const { return {&up_, &down_}; }

private:
    stored_matrix up_, down_;
};

}  // namespace mixq
