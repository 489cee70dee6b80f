// The CPU reference forward of every layout: the embeddings, the layers (model/layers/, one room per kind) and the head, every weight in its stored precision, fp32 activations.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "config.hpp"
#include "layers/attention.hpp"
#include "layers/mamba1_mixer.hpp"
#include "layers/mamba2_mixer.hpp"
#include "layers/mlp.hpp"
#include "layers/moe.hpp"
#include "product.hpp"
#include "ops.hpp"

namespace mixq {

// Called with a layer's index and the residual stream entering it [T, d_model] (see forward_from).
using residual_observer = std::function<void(std::int64_t layer, std::span<const float> x)>;

// Activations between layers are always fp32 and every product goes through mixq::linear, which reads
// the weight in whatever precision it is stored: any mix of int8 / fp16 / bf16 / fp32 runs by construction.
class ssm_lm {
public:
    ssm_lm(const checkpoint_weights& w, model_config cfg) : cfg_(std::move(cfg)) {
        const auto& c = cfg_;
        const bool hf = c.hf_names();
        embedding_ = w.matrix(c.embedding());
        if (!hf) position_ = w.matrix("position_embedding.weight");
        head_ = w.matrix(c.head());
        head_.name = "lm_head.weight";  // the role, also when the weights are the tied embeddings
        norm_f_w_ = w.vector(c.norm_f() + "weight");
        if (!hf) norm_f_b_ = w.vector(c.norm_f() + "bias");
        for (std::int64_t l = 0; l < c.n_layers; ++l) {
            layer L;
            const auto norm = c.layer(l) + "norm.";
            switch (c.kind(l)) {
                case layer_kind::mamba1:  // Itera-Lite's norm sits in the mixer and has a bias
                    L.push_back(block_of<mamba1_mixer>(w, hf ? norm : c.mixer(l) + "norm.", !hf, l));
                    if (c.moe[static_cast<std::size_t>(l)]) L.push_back(block_of<moe_block>(w, moe_block::norm_prefix(c, l), true, l));
                    break;
                case layer_kind::mamba2: L.push_back(block_of<mamba2_mixer>(w, norm, false, l)); break;
                case layer_kind::attention: L.push_back(block_of<attention_layer>(w, norm, false, l)); break;
                case layer_kind::mlp: L.push_back(block_of<mlp_layer>(w, norm, false, l)); break;
            }
            layers_.push_back(std::move(L));
        }
    }

    [[nodiscard]] const model_config& config() const noexcept { return cfg_; }

    // tokens: n_seq sequences of L ids each, contiguous; logits: [n_seq * L, vocab].
    void forward(const std::int64_t* tokens, std::int64_t n_seq, std::int64_t L, float* logits,
                 const input_observer* observe = nullptr, const residual_observer* residual = nullptr) const {
        run_layers(embed(tokens, n_seq, L), 0, n_seq, L, logits, observe, residual);
    }

    // The rest of a forward pass from the residual stream entering layer `first` (x: [n_seq * L, d_model],
    // as a residual_observer saw it in a model whose layers before `first` are the same): the same logits,
    // without recomputing those layers. The precision search lowers one layer's tensor at a time.
    void forward_from(std::int64_t first, std::span<const float> x, std::int64_t n_seq, std::int64_t L, float* logits) const {
        if (first < 0 || first > cfg_.n_layers || static_cast<std::int64_t>(x.size()) != n_seq * L * cfg_.d_model)
            throw error(errc::internal, "forward_from: layer " + std::to_string(first) + " with " + std::to_string(x.size()) + " values");
        run_layers(std::vector<float>(x.begin(), x.end()), first, n_seq, L, logits, nullptr, nullptr);
    }

    // The pieces of a forward pass, for work that goes through the model a layer at a time (GPTQ's
    // Hessians: only one layer's are held at once). embed, then run_layer for l = 0 .. n_layers - 1, then
    // head_input computes exactly what forward feeds the head.
    //
    // The residual stream entering layer 0 [n_seq * L, d_model]: the token (and position) embeddings.
    [[nodiscard]] std::vector<float> embed(const std::int64_t* tokens, std::int64_t n_seq, std::int64_t L) const {
        const auto& c = cfg_;
        if (c.max_seq && L > c.max_seq)
            fail("sequence length " + std::to_string(L) + " exceeds the model's " + std::to_string(c.max_seq) +
                 " position embeddings");
        const std::int64_t T = n_seq * L, d = c.d_model;
        std::vector<float> x(static_cast<std::size_t>(T * d)), row(static_cast<std::size_t>(d));
        for (std::int64_t i = 0; i < T; ++i) {
            const auto id = tokens[i];
            if (id < 0 || id >= c.vocab)
                fail("token id " + std::to_string(id) + " at position " + std::to_string(i) +
                     " is outside the vocabulary of " + std::to_string(c.vocab));
            embedding_.row(id, x.data() + i * d);
            if (c.layout == layout_kind::itera_lite) {
                position_.row(i % L, row.data());
                for (std::int64_t k = 0; k < d; ++k) x[static_cast<std::size_t>(i * d + k)] += row[static_cast<std::size_t>(k)];
            }
        }
        return x;
    }
    // Layer l on the stream entering it, in place: x leaves as the stream entering layer l + 1. `observe`
    // sees its products' inputs as in forward.
    void run_layer(std::int64_t l, std::vector<float>& x, std::int64_t n_seq, std::int64_t L, const input_observer* observe = nullptr) const {
        if (l < 0 || l >= cfg_.n_layers || static_cast<std::int64_t>(x.size()) != n_seq * L * cfg_.d_model)
            throw error(errc::internal, "run_layer: layer " + std::to_string(l) + " with " + std::to_string(x.size()) + " values");
        layer_pass(layers_[static_cast<std::size_t>(l)], x, n_seq, L, observe);
    }
    // The head's input [T, d_model] for the stream leaving the last layer: its final norm.
    [[nodiscard]] std::vector<float> head_input(std::span<const float> x) const {
        const auto T = static_cast<std::int64_t>(x.size()) / cfg_.d_model;
        std::vector<float> h(x.size());
        norm(x.data(), h.data(), T, norm_f_w_, norm_f_b_);
        return h;
    }
    // Every product an input_observer sees, as (layer, weight name): the head, "lm_head.weight" even when
    // tied, is in layer n_layers.
    [[nodiscard]] std::vector<std::pair<std::int64_t, std::string>> products() const {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (std::int64_t l = 0; l < cfg_.n_layers; ++l)
            for (const auto& b : layers_[static_cast<std::size_t>(l)])
                for (const auto* m : std::visit([](const auto& room) { return room.products(); }, b.room)) out.emplace_back(l, m->name);
        out.emplace_back(cfg_.n_layers, head_.name);
        return out;
    }

private:
    // A residual block: x += room(norm(x)). A layer is one block, or two for Itera-Lite's layers with an
    // MoE block after the mixer.
    struct block {
        std::vector<float> norm_w, norm_b;  // norm_b: LayerNorm's bias (Itera-Lite), empty for RMSNorm
        std::variant<mamba1_mixer, moe_block, mamba2_mixer, attention_layer, mlp_layer> room;
    };
    using layer = std::vector<block>;

    template <class Room>
    block block_of(const checkpoint_weights& w, const std::string& norm, bool with_bias, std::int64_t l) const {
        return {w.vector(norm + "weight"), with_bias ? w.vector(norm + "bias") : std::vector<float>{},
                decltype(block::room)(std::in_place_type<Room>, w, cfg_, l)};
    }

    void run_layers(std::vector<float> x, std::int64_t first, std::int64_t n_seq, std::int64_t L, float* logits,
                    const input_observer* observe, const residual_observer* residual) const {
        const auto& c = cfg_;
        const std::int64_t T = n_seq * L;
        for (auto l = first; l < c.n_layers; ++l) {
            if (residual && *residual) (*residual)(l, x);
            layer_pass(layers_[static_cast<std::size_t>(l)], x, n_seq, L, observe);
        }
        std::vector<float> h(x.size());
        norm(x.data(), h.data(), T, norm_f_w_, norm_f_b_);
        apply_product(observe, h.data(), T, head_, logits);
    }

    void layer_pass(const layer& ly, std::vector<float>& x, std::int64_t n_seq, std::int64_t L, const input_observer* observe) const {
        const std::int64_t T = n_seq * L;
        // Kept between batches: fresh pages cost faults.
        thread_local std::vector<float> h, out;
        h.resize(x.size()), out.resize(x.size());
        for (const auto& b : ly) {
            norm(x.data(), h.data(), T, b.norm_w, b.norm_b);
            std::visit([&](const auto& room) { room.forward(h.data(), n_seq, L, out.data(), observe); }, b.room);
            for (std::size_t i = 0; i < x.size(); ++i) x[i] += out[i];
        }
    }

    // RMSNorm (Hugging Face layouts) or LayerNorm with bias (Itera-Lite), over d_model.
    void norm(const float* x, float* y, std::int64_t T, const std::vector<float>& w, const std::vector<float>& b) const {
        if (cfg_.hf_names()) ops::rms_norm(x, y, T, cfg_.d_model, w.data(), cfg_.norm_eps);
        else ops::layer_norm(x, y, T, cfg_.d_model, w.data(), b.empty() ? nullptr : b.data(), cfg_.norm_eps);
    }

    model_config cfg_;
    stored_matrix embedding_, position_, head_;
    std::vector<float> norm_f_w_, norm_f_b_;
    std::vector<layer> layers_;
};

}  // namespace mixq
