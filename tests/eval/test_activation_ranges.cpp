// Tests include/mixq/eval/activation_ranges.hpp: every linear input of the fixture is observed, ranges are sane.
#include <mixq/quality.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/naive_ssm.hpp"

TEST_CASE("activation calibration records every linear input of the fixture", "[activation_ranges]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    const auto tokens = mixq::io::read_npy_tokens(mixq::test::fixture("calib_tokens.npy"));
    const std::vector<std::int64_t> some(tokens.begin(), tokens.begin() + 4 * 128 + 3);
    const auto a = mixq::calibrate_activations(model, some, mixq::activation_method::percentile, 99.9);
    CHECK(a.windows == 4);
    CHECK(a.tokens == 512);
    CHECK(a.method == "percentile:99.9");
    // 4 per SSM layer, (gate + 4 experts x 2 + ffn x 2) per MoE layer, and the head
    CHECK(a.ranges.size() == 4 * 4 + 2 * 11 + 1);
    for (const auto& [name, r] : a.ranges) {
        INFO(name);
        CHECK(r.samples > 0);
        CHECK(r.amax > 0.0f);
        CHECK(r.amax <= r.max);
    }
    const auto& in = a.ranges.at("layers.0.ssm.in_proj.weight");
    CHECK(in.samples == 512u * 128u);  // T x d_model
    CHECK(a.ranges.count("lm_head.weight") == 1);
    const auto mx = mixq::calibrate_activations(model, some, mixq::activation_method::max);
    CHECK(mx.ranges.at("lm_head.weight").amax == mx.ranges.at("lm_head.weight").max);
    for (auto m : {mixq::activation_method::mse, mixq::activation_method::entropy})
        for (const auto& [name, r] : mixq::calibrate_activations(model, some, m).ranges) CHECK(r.amax <= r.max * 1.0001f);
    CHECK(mixq::to_json(a)["layers"]["layers.0.ssm.in_proj.weight"]["samples"] == 512 * 128);
}
