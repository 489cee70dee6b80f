// Tests include/mixq/model/mamba2_config.hpp: both fixtures' configs, transformers' names, and every disagreement named.
#include <mixq/model/config.hpp>

#include "support/catch.hpp"
#include "support/naive_mamba2.hpp"

namespace {
std::filesystem::path data_dir(const std::string& model) { return mixq::test::fixture_dir().parent_path() / model; }

// The random model with one change to its config.json, read back; returns the error message ("" when it reads).
std::string read_error(const mixq::test::random_mamba2& r, const std::function<void(nlohmann::json&)>& edit = {}) {
    auto copy = r;
    if (edit) edit(copy.config);
    mixq::test::temp_dir dir;
    try {
        (void)mixq::test::read_config(copy, dir);
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        return e.what();
    }
    return "";
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

mixq::test::random_mamba2 hybrid() {
    mixq::test::mamba2_shape s;
    s.hybrid = true, s.pattern = "M*-M", s.tied = false;
    return mixq::test::make_random_mamba2(s, 41);
}
}  // namespace

TEST_CASE("the Mamba-2 fixture's config.json decides its family and sizes", "[config][mamba2]") {
    const auto f = mixq::io::safetensors_file::open((data_dir("mamba2-fortunes") / "model.safetensors").string());
    const auto c = mixq::infer_config(mixq::checkpoint_weights(f), data_dir("mamba2-fortunes") / "config.json");
    CHECK(c.layout == mixq::layout_kind::hf_mamba2);
    CHECK(c.n_layers == 4);
    CHECK(c.ssd.heads == 8);
    CHECK(c.ssd.head_dim == 32);
    CHECK(c.ssd.groups == 2);
    CHECK(c.d_state == 32);
    CHECK(c.conv_dim() == 384);
    CHECK(c.in_proj_rows() == 648);
    CHECK(c.tied_head);  // lm_head.weight is absent, as save_pretrained writes a tied head
    CHECK(c.ssd.dt_min == 0.0);
    CHECK(std::isinf(c.ssd.dt_max));  // the bare Infinity literal
    CHECK(c.kinds == std::vector<mixq::layer_kind>(4, mixq::layer_kind::mamba2));
}

TEST_CASE("the Nemotron-H fixture's pattern gives each layer its kind", "[config][mamba2]") {
    const auto f = mixq::io::safetensors_file::open((data_dir("nemotronh-fortunes") / "model.safetensors").string());
    const auto c = mixq::infer_config(mixq::checkpoint_weights(f), data_dir("nemotronh-fortunes") / "config.json");
    using enum mixq::layer_kind;
    CHECK(c.layout == mixq::layout_kind::nemotron_h);
    CHECK(c.kinds == std::vector<mixq::layer_kind>{mamba2, mlp, mamba2, attention, mamba2, mlp});
    CHECK(c.attn.heads == 4);
    CHECK(c.attn.kv_heads == 2);
    CHECK(c.attn.head_dim == 32);
    CHECK(c.mlp_width == 256);
    CHECK_FALSE(c.tied_head);
    CHECK(c.prefix == "backbone.");
}

TEST_CASE("Nemotron-H as transformers saves it (model.*) reads and computes the same", "[config][mamba2]") {
    mixq::test::mamba2_shape s;
    s.hybrid = true, s.pattern = "M*-", s.prefix = "model.", s.tied = false;
    const auto r = mixq::test::make_random_mamba2(s, 17);
    mixq::test::temp_dir dir;
    const auto c = mixq::test::read_config(r, dir);
    CHECK(c.prefix == "model.");
    CHECK(c.embedding() == "model.embeddings.weight");
    CHECK(mixq::test::logit_error(r, c, 2, 9, 3) < 1e-4);
}

TEST_CASE("a tied head stored as a copy of the embeddings is tied, and tie_word_embeddings false needs lm_head", "[config][mamba2]") {
    auto r = hybrid();
    auto tied = r;
    tied.m.data["lm_head.weight"] = tied.m.data.at("backbone.embeddings.weight");
    tied.config["tie_word_embeddings"] = true;
    mixq::test::temp_dir dir;
    CHECK(mixq::test::read_config(tied, dir).tied_head);
    CHECK_FALSE(mixq::test::read_config(r, dir).tied_head);
    r.m.data.erase("lm_head.weight");
    r.m.shapes.erase("lm_head.weight");
    CHECK(has(read_error(r), "tie_word_embeddings = false but the checkpoint has no 'lm_head.weight'"));
}

TEST_CASE("config / tensor disagreements are errors naming the field, the tensor and both shapes", "[config][mamba2][bad_input]") {
    const auto r = hybrid();
    CHECK(read_error(r).empty());
    // a config field that contradicts the tensors
    const auto heads = read_error(r, [](auto& j) { j["num_key_value_heads"] = 4; });
    CHECK(has(heads, "tensor 'backbone.layers.1.mixer.k_proj.weight' has shape [6, 12]"));
    CHECK(has(heads, "num_key_value_heads 4"));
    CHECK(has(heads, "gives [12, 12]"));
    const auto groups = read_error(r, [](auto& j) { j["ssm_state_size"] = 5; });
    CHECK(has(groups, "'backbone.layers.0.mixer.in_proj.weight' has shape [41, 12]"));
    CHECK(has(groups, "state 5"));
    CHECK(has(read_error(r, [](auto& j) { j["n_groups"] = 2; }), "mamba_num_heads = 3 is not a multiple of n_groups = 2"));
    // the pattern
    CHECK(has(read_error(r, [](auto& j) { j["hybrid_override_pattern"] = "M*-"; }), "has 3 letters but num_hidden_layers = 4"));
    CHECK(has(read_error(r, [](auto& j) { j["hybrid_override_pattern"] = "M*XM"; }), "the letter 'X' at layer 2"));
    CHECK(has(read_error(r, [](auto& j) { j["hybrid_override_pattern"] = "M*EM"; }), "mixture-of-experts"));
    CHECK(has(read_error(r, [](auto& j) { j.erase("hybrid_override_pattern"); }), "'hybrid_override_pattern' is missing"));
    // fewer layers in the config than in the file
    CHECK(has(read_error(r, [](auto& j) { j["num_hidden_layers"] = 3, j["hybrid_override_pattern"] = "M*-"; }),
              "has 'backbone.layers.3.norm.weight' but"));
    // values
    CHECK(has(read_error(r, [](auto& j) { j["time_step_limit"] = {1.0}; }), "time_step_limit"));
    CHECK(has(read_error(r, [](auto& j) { j["mlp_hidden_act"] = "silu"; }), "mlp_hidden_act = \"silu\" is not supported"));
    CHECK(has(read_error(r, [](auto& j) { j["use_bias"] = true; }), "use_bias = true"));
    CHECK(has(read_error(r, [](auto& j) { j["mamba_head_dim"] = -2; }), "'mamba_head_dim' = -2 is not a positive integer"));
    CHECK(has(read_error(r, [](auto& j) { j["model_type"] = "bamba"; }), "model_type 'bamba' is not supported yet"));
}

TEST_CASE("a missing or mis-shaped Mamba-2 family tensor is named", "[config][mamba2][bad_input]") {
    auto r = hybrid();
    r.m.data.erase("backbone.layers.1.mixer.k_proj.weight");
    r.m.shapes.erase("backbone.layers.1.mixer.k_proj.weight");
    CHECK(has(read_error(r), "missing tensor 'backbone.layers.1.mixer.k_proj.weight' (expected shape [6, 12] for the nemotron-h layout)"));
    auto q = hybrid();
    q.m.shapes["backbone.layers.0.mixer.A_log"] = {1, 3};
    CHECK(has(read_error(q), "tensor 'backbone.layers.0.mixer.A_log' has shape [1, 3]"));
}

TEST_CASE("a Mamba-2 checkpoint without its config.json is refused, not read as Mamba-1", "[config][mamba2][bad_input]") {
    mixq::test::mamba2_shape s;
    const auto r = mixq::test::make_random_mamba2(s, 3);
    CHECK_THROWS_WITH(mixq::infer_config(r.m.weights()), Catch::Contains("put config.json beside the checkpoint"));
    mixq::test::temp_dir dir;
    CHECK_THROWS_WITH(mixq::infer_config(r.m.weights(), dir.file("absent.json")), Catch::Contains("a Mamba-2 layout"));
}
