// Tests include/mixq/precision/static_table.hpp and model/layout_names.hpp: decisions and coverage at compile time.
#include <mixq/model/layout_names.hpp>
#include <mixq/precision/presets.hpp>
#include <mixq/precision/static_table.hpp>

#include "support/catch.hpp"

namespace {
using enum mixq::precision;
constexpr auto conservative = mixq::precision_table{
    mixq::rule{"embedding.weight", int8},
    mixq::rule{"position_embedding.weight", int8},
    mixq::rule{"layers.*.ssm.*", fp16},
    mixq::rule{"norm_f.*", fp16},
};
constexpr auto fixture_layout = mixq::layout::itera_lite{.layers = 4, .moe_layers = 0b0110, .experts = 4};

static_assert(conservative.decide("layers.3.ssm.A_log") == fp16);
static_assert(conservative.decide("embedding.weight") == int8);
static_assert(!conservative.decide_index("layers.1.moe.ffn.w1.weight"));
// The seed's table leaves the MoE layers and the head undecided: that is exactly what covers() catches.
static_assert(!mixq::covers(conservative, fixture_layout.tensor_names()));
static_assert(!mixq::covers(mixq::presets::itera_conservative, fixture_layout.tensor_names()));
static_assert(mixq::covers(mixq::presets::itera_conservative_moe, fixture_layout.tensor_names()));
static_assert(mixq::covers(mixq::presets::itera_int8_linear, fixture_layout.tensor_names()));
static_assert(mixq::covers(mixq::presets::hf_conservative, mixq::layout::hf_mamba{.layers = 24}.tensor_names()));
static_assert(mixq::covers(mixq::presets::itera_aggressive, mixq::layout::itera_lite{.layers = 4, .moe_layers = 0}.tensor_names()));
// An exact-name rule wins even when a broader pattern comes first.
static_assert(mixq::precision_table{mixq::rule{"*", int8}, mixq::rule{"lm_head.weight", fp16}}.decide("lm_head.weight") == fp16);
}  // namespace

TEST_CASE("layout name lists match the fixture's tensor count", "[layout]") {
    CHECK(fixture_layout.tensor_names().size() == 75);
    CHECK(mixq::layout::hf_mamba{.layers = 2}.tensor_names().size() == 1 + 2 * 10 + 1 + 1);
    CHECK(mixq::layout::hf_mamba{.layers = 2, .head_stored = false}.tensor_names().size() == 22);
    const auto names = fixture_layout.tensor_names();
    CHECK(std::find(names.begin(), names.end(), "layers.2.moe.moe.experts.3.w2.weight") != names.end());
    CHECK(std::find(names.begin(), names.end(), "layers.0.moe.norm.weight") == names.end());
}
