// Tests include/mixq/model/layers/moe.hpp: Itera-Lite's MoE block alone against the README's equations in double.
#include <mixq/model/layers/moe.hpp>

#include "support/catch.hpp"
#include "support/naive_ssm.hpp"
#include "support/room_error.hpp"

TEST_CASE("MoE block: the shared FFN plus the renormalised top-2 experts, as the double-precision block", "[moe][forward]") {
    const auto m = mixq::test::make_random_model(mixq::layout_kind::itera_lite, 32);
    REQUIRE(m.cfg.moe[1]);
    const auto w = m.weights();
    const mixq::moe_block moe(w, m.cfg, 1);
    CHECK(mixq::test::room_error(moe, m.cfg, 2, 9, 7, [&](const auto& h) { return mixq::test::naive_moe(m, 1, h); }) < 1e-5);
    const auto p = moe.products();
    CHECK(p.size() == 3 + 2 * static_cast<std::size_t>(m.cfg.n_experts));
    CHECK(p.front()->name == "layers.1.moe.moe.gate.weight");
    CHECK(mixq::moe_block::norm_prefix(m.cfg, 1) == "layers.1.moe.norm.");
}
