// Tests include/mixq/model/layers/mamba1_mixer.hpp: the Mamba-1 mixer alone against the README's equations in double.
#include <mixq/model/layers/mamba1_mixer.hpp>

#include "support/catch.hpp"
#include "support/naive_ssm.hpp"
#include "support/room_error.hpp"

TEST_CASE("Mamba-1 mixer: sequences of normalised inputs give the double-precision mixer's outputs, each sequence its own state",
          "[mamba1][forward]") {
    for (const auto layout : {mixq::layout_kind::itera_lite, mixq::layout_kind::hf_mamba}) {
        INFO(to_string(layout));
        const auto m = mixq::test::make_random_model(layout, 31);
        const auto w = m.weights();
        for (std::int64_t l = 0; l < m.cfg.n_layers; ++l) {
            const mixq::mamba1_mixer mixer(w, m.cfg, l);
            for (const std::int64_t L : {1, 3, 12}) {  // shorter and longer than the conv window
                INFO("layer " << l << ", L " << L);
                CHECK(mixq::test::room_error(mixer, m.cfg, 3, L, static_cast<std::uint32_t>(l * 100 + L),
                                 [&](const auto& h) { return mixq::test::naive_mamba1_mixer(m, l, h); }) < 1e-5);
            }
            const auto p = mixer.products();
            REQUIRE(p.size() == 4);  // in the order the forward applies them
            CHECK(p[0]->name == m.cfg.mixer(l) + "in_proj.weight");
            CHECK(p[3]->name == m.cfg.mixer(l) + "out_proj.weight");
        }
    }
}
