// Tests include/mixq/model/forward.hpp: logits of random small models of both layouts against a double-precision naive forward.
#include <cmath>
#include <mixq/model/forward.hpp>

#include "support/catch.hpp"
#include "support/logit_error.hpp"
#include "support/naive_ssm.hpp"

namespace {
void check_layout(mixq::layout_kind layout, std::uint32_t seed) {
    const auto m = mixq::test::make_random_model(layout, seed);
    const auto w = m.weights();
    const auto cfg = mixq::infer_config(w);
    CHECK(cfg.layout == layout);
    CHECK(cfg.d_inner == m.cfg.d_inner);
    CHECK(cfg.moe == m.cfg.moe);
    CHECK(cfg.tied_head == m.cfg.tied_head);
    const mixq::ssm_lm model(w, cfg);
    const std::int64_t L = layout == mixq::layout_kind::hf_mamba ? 19 : 12, n_seq = 3;
    double max_ref = 0;
    const double err = mixq::test::logit_error(model, n_seq, L, seed, [&](const std::vector<std::int64_t>& ids) { return mixq::test::naive_logits(m, ids); },
                                               &max_ref);
    INFO("max |logit| " << max_ref << ", relative error " << err);
    CHECK(max_ref > 1.0);  // the model is not degenerate
    CHECK(err < 1e-4);
}
}  // namespace

TEST_CASE("Itera-Lite forward matches a double-precision naive forward", "[forward]") {
    check_layout(mixq::layout_kind::itera_lite, 3);
    check_layout(mixq::layout_kind::itera_lite, 4);
}

TEST_CASE("HF Mamba forward matches a double-precision naive forward", "[forward]") {
    check_layout(mixq::layout_kind::hf_mamba, 5);
    check_layout(mixq::layout_kind::hf_mamba, 6);
}

TEST_CASE("forward_from a layer's recorded residual stream gives the same logits bit for bit", "[forward]") {
    for (auto [layout, seed] : {std::pair{mixq::layout_kind::itera_lite, 11u}, std::pair{mixq::layout_kind::hf_mamba, 12u}}) {
        const auto m = mixq::test::make_random_model(layout, seed);
        const auto w = m.weights();
        const auto cfg = mixq::infer_config(w);
        const mixq::ssm_lm model(w, cfg);
        REQUIRE(cfg.n_layers >= 2);
        const std::int64_t L = 7, n_seq = 2, T = L * n_seq;
        std::vector<std::int64_t> ids(static_cast<std::size_t>(T));
        for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>((i * 7 + seed) % static_cast<std::size_t>(cfg.vocab));
        std::vector<std::vector<float>> inputs(static_cast<std::size_t>(cfg.n_layers));
        const mixq::residual_observer keep = [&](std::int64_t l, std::span<const float> x) {
            inputs[static_cast<std::size_t>(l)].assign(x.begin(), x.end());
        };
        std::vector<float> full(static_cast<std::size_t>(T * cfg.vocab)), from(full.size());
        model.forward(ids.data(), n_seq, L, full.data(), nullptr, &keep);
        for (std::int64_t l = 0; l < cfg.n_layers; ++l) {
            REQUIRE(inputs[static_cast<std::size_t>(l)].size() == static_cast<std::size_t>(T * cfg.d_model));
            std::fill(from.begin(), from.end(), 0.0f);
            model.forward_from(l, inputs[static_cast<std::size_t>(l)], n_seq, L, from.data());
            CHECK(from == full);
        }
        CHECK_THROWS_AS(model.forward_from(cfg.n_layers + 1, inputs[0], n_seq, L, from.data()), mixq::error);
        CHECK_THROWS_AS(model.forward_from(1, std::span<const float>(inputs[1]).first(5), n_seq, L, from.data()), mixq::error);
    }
}

TEST_CASE("token ids outside the vocabulary and over-long sequences are refused", "[forward][bad_input]") {
    const auto m = mixq::test::make_random_model(mixq::layout_kind::itera_lite, 9);
    const auto w = m.weights();
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    std::vector<float> logits(static_cast<std::size_t>(13 * m.cfg.vocab));
    const std::vector<std::int64_t> bad(4, m.cfg.vocab);
    CHECK_THROWS_WITH(model.forward(bad.data(), 1, 4, logits.data()), Catch::Contains("outside the vocabulary"));
    const std::vector<std::int64_t> long_seq(13, 1);
    CHECK_THROWS_WITH(model.forward(long_seq.data(), 1, 13, logits.data()), Catch::Contains("position embeddings"));
}
