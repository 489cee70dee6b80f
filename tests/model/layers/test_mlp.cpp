// Tests include/mixq/model/layers/mlp.hpp: the relu2 MLP layer against the README's forward in double.
#include <mixq/model/layers/mlp.hpp>

#include "support/catch.hpp"
#include "support/naive_mamba2.hpp"

TEST_CASE("MLP layer: down_proj(relu(up_proj(u))²) matches the double-precision forward", "[mlp][forward]") {
    for (const std::int64_t width : {1, 10, 33}) {
        INFO("intermediate_size " << width);
        mixq::test::mamba2_shape s;
        s.hybrid = true, s.pattern = "-M-", s.mlp_width = width;
        const auto r = mixq::test::make_random_mamba2(s, static_cast<std::uint32_t>(width));
        mixq::test::temp_dir dir;
        const auto cfg = mixq::test::read_config(r, dir);
        CHECK(cfg.kind(0) == mixq::layer_kind::mlp);
        CHECK(cfg.mlp_width == width);
        double max_ref = 0;
        CHECK(mixq::test::logit_error(r, cfg, 2, 11, 5, &max_ref) < 1e-4);
        CHECK(max_ref > 1.0);
    }
}
