// Tests include/mixq/precision/presets.hpp: the Itera-Lite presets are the oracle's tables; HF presets fit HF names.
#include <mixq/model/layout_names.hpp>
#include <mixq/precision/match_plan.hpp>
#include <mixq/precision/presets.hpp>
#include <mixq/precision/table_json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("Itera-Lite presets equal the fixture's oracle tables rule for rule", "[presets]") {
    const std::pair<const char*, const char*> pairs[] = {
        {"conservative", "itera_conservative"}, {"conservative-moe", "itera_conservative_moe_fp16"},
        {"aggressive", "itera_aggressive"},     {"int8-linear", "itera_int8_linear"},
        {"fp16", "itera_fp16_all"},             {"bf16", "itera_bf16_all"},
    };
    for (const auto& [preset, file] : pairs) {
        INFO(preset);
        const auto p = mixq::presets::get(preset, mixq::presets::family::itera_lite);
        const auto t = mixq::load_table_json(mixq::test::fixture(std::string("tables/") + file + ".json"));
        REQUIRE(p.size() == t.size());
        for (std::size_t i = 0; i < p.size(); ++i) {
            CHECK(p.rules()[i].pattern == t.rules()[i].pattern);
            CHECK(p.rules()[i].precision == t.rules()[i].precision);
        }
    }
}

TEST_CASE("HF presets decide every tensor of a Mamba layout and use no Itera name", "[presets]") {
    const auto names = mixq::layout::hf_mamba{.layers = 3}.tensor_names();
    std::vector<mixq::tensor_view> views;
    for (const auto& n : names) views.push_back({n, mixq::dtype::f32, {1}, {}});
    CHECK(mixq::presets::detect_family(views) == mixq::presets::family::hf_mamba);
    for (auto name : mixq::presets::names) {
        INFO(name);
        const auto plan = mixq::make_plan(mixq::presets::get(name, mixq::presets::family::hf_mamba), views);
        CHECK(plan.unmatched().empty());
        CHECK(plan.unused_rules().empty());
    }
    const auto agg = mixq::presets::get("aggressive", mixq::presets::family::hf_mamba);
    CHECK(agg.rules()[*agg.decide_index("backbone.layers.2.mixer.in_proj.weight")].precision == mixq::precision::int8);
    CHECK(agg.rules()[*agg.decide_index("backbone.layers.2.mixer.A_log")].precision == mixq::precision::fp16);
}

TEST_CASE("an unknown preset lists the known ones", "[presets][bad_input]") {
    try {
        (void)mixq::presets::get("turbo", mixq::presets::family::itera_lite);
        FAIL("expected an error");
    } catch (const mixq::error& e) {
        CHECK(std::string(e.what()).find("unknown preset 'turbo'") != std::string::npos);
        CHECK(std::string(e.what()).find("int8-linear") != std::string::npos);
    }
}

TEST_CASE("Mamba-2 family presets decide every tensor of Mamba2 and Nemotron-H layouts and keep the SSM core in fp32", "[presets][mamba2]") {
    using mixq::precision;
    const std::vector<std::vector<std::string>> layouts{mixq::layout::hf_mamba2{.layers = 3, .head_stored = true}.tensor_names(),
                                                        mixq::layout::nemotron_h{}.tensor_names(),
                                                        mixq::layout::nemotron_h{.pattern = "M*-", .prefix = "model."}.tensor_names()};
    for (const auto& names : layouts) {
        std::vector<mixq::tensor_view> views;
        for (const auto& n : names) views.push_back({n, mixq::dtype::f32, {1}, {}});
        REQUIRE(mixq::presets::detect_family(views) == mixq::presets::family::mamba2);
        for (auto name : mixq::presets::names) {
            INFO(names[1] << " " << name);
            const auto table = mixq::presets::get(name, mixq::presets::family::mamba2);
            const auto plan = mixq::make_plan(table, views);
            CHECK(plan.unmatched().empty());
            for (const auto& e : plan.entries) {
                const auto& n = e.tensor->name;
                const bool core = n.ends_with("A_log") || n.ends_with(".D") || n.ends_with("dt_bias") || n.find("conv1d") != std::string::npos;
                const bool projection = n.ends_with("_proj.weight");
                if (name != "fp16" && name != "bf16" && core) CHECK(e.target == precision::fp32);
                if (name == "aggressive" || name == "int8-linear") CHECK((projection ? e.target == precision::int8 : true));
                if (name == "conservative" && projection) CHECK(e.target == precision::fp16);
            }
        }
    }
}
