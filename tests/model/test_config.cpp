// Tests include/mixq/model/config.hpp: inference on the fixture, config.json checks, and clear layout errors.
#include <algorithm>
#include <mixq/model/config.hpp>
#include <mixq/model/layout_names.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/naive_ssm.hpp"

TEST_CASE("the fixture's configuration is inferred from names and shapes", "[config]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto c = mixq::infer_config(mixq::checkpoint_weights(f));
    CHECK(c.layout == mixq::layout_kind::itera_lite);
    CHECK(c.vocab == 8000);
    CHECK(c.d_model == 128);
    CHECK(c.n_layers == 4);
    CHECK(c.d_inner == 256);
    CHECK(c.d_state == 8);
    CHECK(c.dt_rank == 8);
    CHECK(c.d_conv == 4);
    CHECK(c.max_seq == 128);
    CHECK(c.moe == std::vector<bool>{false, true, true, false});
    CHECK(c.n_experts == 4);
    CHECK(c.ffn_width == 128);
    CHECK(c.tied_head);
}

TEST_CASE("config.json must agree with the shapes", "[config][bad_input]") {
    mixq::test::temp_dir dir;
    const auto m = mixq::test::make_random_model(mixq::layout_kind::hf_mamba, 1);
    const auto w = m.weights();
    mixq::test::write_bytes(dir.file("config.json"), R"({"hidden_size": 12, "state_size": 5, "num_hidden_layers": 2,
        "expand": 2, "conv_kernel": 4, "vocab_size": 41, "layer_norm_epsilon": 1e-6})");
    CHECK(mixq::infer_config(w, dir.file("config.json")).norm_eps == 1e-6);
    mixq::test::write_bytes(dir.file("config.json"), R"({"hidden_size": 768, "state_size": 5})");
    CHECK_THROWS_WITH(mixq::infer_config(w, dir.file("config.json")),
                      Catch::Contains("hidden_size = 768 but the tensor shapes give d_model = 12"));
    mixq::test::write_bytes(dir.file("config.json"), R"({"expand": 4})");
    CHECK_THROWS_WITH(mixq::infer_config(w, dir.file("config.json")), Catch::Contains("expand = 4"));
    mixq::test::write_bytes(dir.file("config.json"), "{oops");
    CHECK_THROWS_WITH(mixq::infer_config(w, dir.file("config.json")), Catch::Contains("not valid JSON"));
    CHECK_NOTHROW(mixq::infer_config(w, dir.file("absent.json")));
}

TEST_CASE("a missing or mis-shaped tensor is named, a foreign checkpoint fits neither layout", "[config][bad_input]") {
    auto m = mixq::test::make_random_model(mixq::layout_kind::itera_lite, 2);
    m.data.erase("layers.1.ssm.D");
    CHECK_THROWS_WITH(mixq::infer_config(m.weights()),
                      Catch::Contains("missing tensor 'layers.1.ssm.D' (expected shape [35]"));
    auto m2 = mixq::test::make_random_model(mixq::layout_kind::itera_lite, 2);
    m2.shapes["layers.1.moe.ffn.w2.weight"] = {8, 16};
    CHECK_THROWS_WITH(mixq::infer_config(m2.weights()),
                      Catch::Contains("tensor 'layers.1.moe.ffn.w2.weight' has shape [8, 16], expected [16, 8]"));
    std::vector<float> v(4);
    const mixq::checkpoint_weights gpt("gpt2", {{"wte.weight", mixq::dtype::f32, {2, 2}, std::as_bytes(std::span(v))}});
    CHECK_THROWS_WITH(mixq::infer_config(gpt), Catch::Contains("fits neither the Itera-Lite layout"));
}

TEST_CASE("layout tensor names of the Mamba-2 family agree with what the reader needs", "[config][mamba2]") {
    static_assert(mixq::layout::nemotron_h{}.tensor_names().size() == 1 + 6 + 3 * 8 + 4 + 2 * 2 + 2);
    const auto names = mixq::layout::nemotron_h{.pattern = "M*-"}.tensor_names();
    CHECK(std::find(names.begin(), names.end(), "backbone.layers.1.mixer.k_proj.weight") != names.end());
    CHECK(std::find(names.begin(), names.end(), "backbone.layers.2.mixer.down_proj.weight") != names.end());
    CHECK(mixq::layout::hf_mamba2{.layers = 2}.tensor_names().size() == 1 + 2 * 9 + 1);
}

TEST_CASE("window_or_default: the asked length, else the model's maximum length, else 128", "[config]") {
    mixq::model_config c;
    CHECK(c.window_or_default(0) == 128);   // no position limit (the Hugging Face layouts)
    CHECK(c.window_or_default(-1) == 128);
    CHECK(c.window_or_default(37) == 37);
    c.max_seq = 256;  // Itera-Lite's position embeddings
    CHECK(c.window_or_default(0) == 256);
    CHECK(c.window_or_default(100) == 100);
}
