// Tests include/mixq/precision/roles.hpp: layer indices fold into N, one summary line per role.
#include <mixq/model/layout_names.hpp>
#include <mixq/precision/presets.hpp>
#include <mixq/precision/roles.hpp>

#include "support/catch.hpp"

TEST_CASE("role_of folds the layer index and nothing else", "[roles]") {
    CHECK(mixq::role_of("backbone.layers.12.mixer.in_proj.weight") == "backbone.layers.N.mixer.in_proj.weight");
    CHECK(mixq::role_of("layers.0.moe.moe.experts.3.w1.weight") == "layers.N.moe.moe.experts.3.w1.weight");
    CHECK(mixq::role_of("lm_head.weight") == "lm_head.weight");
    CHECK(mixq::role_of("backbone.layers.x.norm.weight") == "backbone.layers.x.norm.weight");  // not an index
    CHECK(mixq::role_of("mylayers.3.w") == "mylayers.3.w");                                   // not the "layers." segment
    CHECK(mixq::role_of("layers.7") == "layers.7");
}

TEST_CASE("a 24-layer hybrid summarises to one line per role with its precisions", "[roles][mamba2]") {
    std::string pattern;
    for (int i = 0; i < 24; ++i) pattern += i % 6 == 3 ? '*' : i % 2 ? '-' : 'M';
    const auto names = mixq::layout::nemotron_h{.pattern = pattern}.tensor_names();
    std::vector<mixq::tensor_view> views;
    for (const auto& n : names) views.push_back({n, mixq::dtype::f32, {2, 3}, {}});
    const auto plan = mixq::make_plan(mixq::presets::get("conservative", mixq::presets::family::mamba2), views);
    const auto roles = mixq::summarize_roles(plan);
    CHECK(names.size() > 150);
    CHECK(roles.size() == 1 + 1 + 8 + 4 + 2 + 2);  // embeddings, norm, mamba2 (8), attention (4), mlp (2), norm_f + head
    std::size_t tensors = 0;
    for (const auto& r : roles) tensors += r.tensors;
    CHECK(tensors == names.size());
    const auto in_proj = std::find_if(roles.begin(), roles.end(), [](const auto& r) { return r.role == "backbone.layers.N.mixer.in_proj.weight"; });
    REQUIRE(in_proj != roles.end());
    CHECK(in_proj->tensors == 12);
    CHECK(in_proj->params == 12 * 6);
    CHECK(in_proj->targets == std::map<mixq::precision, std::size_t>{{mixq::precision::fp16, 12}});
}
