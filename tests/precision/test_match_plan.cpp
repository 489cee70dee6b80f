// Tests include/mixq/precision/match_plan.hpp: per-rule counts, unused and shadowed rules, unmatched tensors.
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/precision/match_plan.hpp>
#include <mixq/precision/table_json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("the seed's mistaken keys show up as unused rules and 100% unmatched", "[match_plan]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    // Job 192230's first table: keys from an old checkpoint layout.
    const auto table = mixq::parse_table_json(
        R"({"embeddings.token_embeddings.weight":"int8","embeddings.position_embeddings.weight":"int8"})", "seed");
    const auto plan = mixq::make_plan(table, f.tensors());
    CHECK(plan.unused_rules() == std::vector<std::size_t>{0, 1});
    CHECK(plan.unmatched().size() == f.tensors().size());
}

TEST_CASE("the seed's corrected table leaves exactly the MoE tensors unmatched", "[match_plan]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto table = mixq::load_table_json(mixq::test::fixture("tables/itera_conservative.json"));
    const auto plan = mixq::make_plan(table, f.tensors());
    CHECK(plan.unused_rules().empty());
    CHECK(plan.shadowed_rules().empty());
    std::int64_t unmatched = 0;
    for (const auto* e : plan.unmatched()) {
        CHECK(e->tensor->name.find(".moe.") != std::string::npos);
        CHECK(e->target == mixq::precision::fp32);
        unmatched += e->tensor->numel();
    }
    // per MoE layer: norm 2x128, gate 4x128, 4 experts x 2 x 128x128, shared ffn 2 x 128x128
    CHECK(unmatched == 2 * (256 + 512 + 8 * 16384 + 2 * 16384));
    CHECK(plan.usage[3].tensors_won == 44);  // layers.*.ssm.*: 11 tensors in each of 4 layers
    CHECK(plan.usage[0].params_won == 8000 * 128);
}

TEST_CASE("a rule that matches only tensors decided earlier is shadowed", "[match_plan]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto table = mixq::parse_table_json(R"([["layers.*","fp16"],["layers.*.ssm.A_log","fp32"],["nope.*","int8"]])", "t");
    const auto plan = mixq::make_plan(table, f.tensors());
    CHECK(plan.shadowed_rules() == std::vector<std::size_t>{1});
    CHECK(plan.unused_rules() == std::vector<std::size_t>{2});
    CHECK(plan.usage[1].tensors_matched == 4);
}
