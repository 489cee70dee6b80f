// Tests include/mixq/convert/hessians.hpp: one Hessian per observed layer input, XᵀX of what the forward fed it.
#include <mixq/quality.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/naive_ssm.hpp"

TEST_CASE("Hessians of the fixture's layers: shapes, sample counts, and XᵀX of the observed inputs", "[hessians]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    std::vector<std::int64_t> tokens(5 * 128 + 17);
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::int64_t>((i * 131 + 7) % 8000);
    const auto hs = mixq::collect_hessians(model, tokens, 0, {}, 2);
    CHECK(hs.size() == 4 * 4 + 2 * (1 + 2 * 5) + 1);  // in/x/dt/out_proj per layer, gate + 5 ffn pairs per MoE layer, head
    const auto& head = hs.at("lm_head.weight");
    CHECK(head.k == 128);
    CHECK(head.samples == 5 * 128);
    CHECK(hs.at("layers.0.ssm.out_proj.weight").k == 256);
    CHECK(hs.at("layers.0.ssm.dt_proj.weight").k == 8);
    // The head's input, recomputed by observing one forward pass, gives the same XᵀX.
    mixq::hessian again(128);
    std::vector<float> logits(static_cast<std::size_t>(5 * 128 * 8000));
    for (std::int64_t w0 = 0; w0 < 5; w0 += 2) {  // the same passes (2, 2, 1 windows), so the same fp32 inputs
        const std::int64_t nw = std::min<std::int64_t>(2, 5 - w0);
        const mixq::input_observer obs = [&](const std::string& name, std::span<const float> x) {
            if (name != "lm_head.weight") return;
            for (std::int64_t s = 0; s < nw; ++s)  // window by window, as collect_hessians adds them
                mixq::accumulate(again, x.subspan(static_cast<std::size_t>(s * 128 * 128), 128 * 128), 128);
        };
        model.forward(tokens.data() + w0 * 128, nw, 128, logits.data(), &obs);
    }
    for (std::int64_t i = 0; i < 128; ++i)
        for (std::int64_t j = i; j < 128; ++j) REQUIRE(head.at(i, j) == again.at(i, j));
    for (std::int64_t i = 0; i < 128; ++i) REQUIRE(head.at(i, i) > 0.0);

    const auto only = mixq::collect_hessians(model, tokens, 0, {"layers.2.ssm.in_proj.weight"});
    CHECK(only.size() == 1);
    CHECK_THROWS_WITH(mixq::collect_hessians(model, std::vector<std::int64_t>(100, 1)), Catch::Contains("fewer than one window"));
}

TEST_CASE("gptq_layers: the tensors a table lowers, and the tied head that feeds the embedding", "[hessians]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    mixq::convert_options o;
    o.gptq_lowbit = true;
    auto names = mixq::gptq_layers(mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json")), f, o);
    CHECK(names.size() == 30);  // 29 tensors stored plus the tied head
    CHECK(std::find(names.begin(), names.end(), "lm_head.weight") != names.end());
    CHECK(std::find(names.begin(), names.end(), "layers.0.ssm.x_proj.weight") == names.end());  // fp16 in that table
    o.gptq_lowbit = false;
    CHECK(mixq::gptq_layers(mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json")), f, o).empty());
}

TEST_CASE("a tied head absent from the file: the embedding is rounded with the head's Hessian", "[hessians][gptq]") {
    const auto m = mixq::test::make_random_model(mixq::layout_kind::hf_mamba, 21);
    mixq::test::temp_dir dir;
    m.write(dir.file("hf.safetensors"));
    const auto f = mixq::io::safetensors_file::open(dir.file("hf.safetensors"));
    REQUIRE(f.find("lm_head.weight") == nullptr);
    mixq::rule_table t;
    t.add("backbone.embeddings.weight", mixq::precision::int4_g32);
    mixq::convert_options o;
    o.gptq_lowbit = true;
    const auto names = mixq::gptq_layers(t, f, o);
    REQUIRE(names == std::vector<std::string>{"backbone.embeddings.weight", "lm_head.weight"});
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    std::vector<std::int64_t> tokens(64);
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::int64_t>(i * 5 % 41);
    const auto hs = mixq::collect_hessians(model, tokens, 32, names);
    REQUIRE(hs.size() == 1);  // only the head's product exists
    o.hessians = &hs;
    o.round = mixq::gptq_rounder();
    const auto c = mixq::convert(f, t, o);
    CHECK(c.totals.gptq_tensors == 1);
}
