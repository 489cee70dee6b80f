// Tests include/mixq/convert/convert.hpp and report.hpp end to end on the fixture, with numbers derived from shapes.
#include <cmath>
#include <mixq/mixq.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
// Parameter counts of the fixture by role, from the shapes in the fixture README (not from the code).
constexpr std::int64_t E = 8000 * 128, P = 128 * 128;
constexpr std::int64_t in_proj = 512 * 128, out_proj = 128 * 256, x_proj = 24 * 256, dt_w = 256 * 8;
constexpr std::int64_t ssm_layer = 256 + in_proj + 1024 + 256 + x_proj + dt_w + 256 + 2048 + 256 + out_proj;
constexpr std::int64_t moe_layer = 256 + 512 + 8 * 16384 + 2 * 16384;
constexpr std::int64_t norm_f = 256;
constexpr std::int64_t total = E + P + 4 * ssm_layer + 2 * moe_layer + norm_f;
static_assert(total == 1'812'224);

struct expected {
    const char* preset;
    std::int64_t int8, fp16, bf16, fp32;
    std::int64_t scale_rows;  // one fp32 scale per row of each int8 tensor
};
constexpr expected cases[] = {
    {"conservative", E + P, 4 * ssm_layer + norm_f, 0, 2 * moe_layer, 8000 + 128},
    {"conservative-moe", E + P, 4 * ssm_layer + norm_f + 2 * moe_layer, 0, 0, 8000 + 128},
    {"aggressive", E + P + 4 * (in_proj + out_proj), 4 * (ssm_layer - in_proj - out_proj) + norm_f + 2 * moe_layer, 0, 0,
     8000 + 128 + 4 * (512 + 128)},
    {"int8-linear", E + P + 4 * (in_proj + out_proj + x_proj + dt_w) + 2 * 10 * 16384,
     4 * (ssm_layer - in_proj - out_proj - x_proj - dt_w) + 2 * (256 + 512) + norm_f, 0, 0,
     8000 + 128 + 4 * (512 + 128 + 24 + 256) + 2 * 10 * 128},
    {"fp16", 0, total, 0, 0, 0},
    {"bf16", 0, 0, total, 0, 0},
};
}  // namespace

TEST_CASE("every preset converts the fixture with the numbers the shapes predict", "[convert]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    for (const auto& x : cases) {
        INFO(x.preset);
        REQUIRE(x.int8 + x.fp16 + x.bf16 + x.fp32 == total);
        const auto c = mixq::convert(in, mixq::presets::get(x.preset, mixq::presets::family::itera_lite));
        const auto m = mixq::metadata_json(c);
        const auto& s = m["compression_stats"];
        CHECK(s["unique_params"] == total);
        CHECK(s["int8_params"] == x.int8);
        CHECK(s["fp16_params"] == x.fp16);
        CHECK(s["bf16_params"] == x.bf16);
        CHECK(s["fp32_params"] == x.fp32);
        const std::uint64_t mixed = static_cast<std::uint64_t>(x.int8 + 4 * x.scale_rows + 2 * (x.fp16 + x.bf16) + 4 * x.fp32);
        CHECK(s["mixed_memory_bytes"] == mixed);
        CHECK(s["fp32_memory_bytes"] == static_cast<std::uint64_t>(4 * total));
        CHECK(s["compression_ratio"].get<double>() == Approx(4.0 * total / static_cast<double>(mixed)).epsilon(1e-6));
        CHECK(s["fp32_memory_mb"].get<double>() == Approx(4.0 * total / 1048576.0).epsilon(1e-6));
        CHECK(s["memory_saved_mb"].get<double>() == Approx((4.0 * total - static_cast<double>(mixed)) / 1048576.0).epsilon(1e-5));
        CHECK(m["aliases"]["lm_head.weight"] == "embedding.weight");  // tied head stored once in every preset
        CHECK(m["calibration_method"] == "percentile");
        CHECK(m["percentile"] == 99.99);
    }
}

TEST_CASE("the conservative report names the seed's 17% unmatched MoE tensors loudly", "[convert]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto c = mixq::convert(in, mixq::presets::get("conservative", mixq::presets::family::itera_lite));
    const auto text = mixq::report_text(c);
    CHECK(text.find("WARNING: 26 tensor(s), 329,216 params, match no rule") != std::string::npos);
    CHECK(text.find("layers.2.moe.moe.experts.3.w1.weight") != std::string::npos);
    CHECK(text.find("tied: lm_head.weight has the same contents as embedding.weight") != std::string::npos);
    CHECK(c.totals.calibrated_tensors == 2);  // the seed's "calibration_layers": embedding + position embedding
    const auto j = mixq::report_json(c);
    CHECK(j["rules"][2]["tensors"] == 1);  // lm_head.weight still decided by its own rule
    CHECK(j["unmatched_tensors"].size() == 26);
}

TEST_CASE("statistics: int8 error bounded by the scales - fp16 error by half an ulp", "[convert]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto c = mixq::convert(in, mixq::presets::get("aggressive", mixq::presets::family::itera_lite));
    const auto st = mixq::statistics_json(c)["tensors"];
    REQUIRE(st.size() == 75);
    for (const auto& e : st) {
        INFO(e["name"].get<std::string>());
        if (e["precision"] == "int8" && e["alias_of"].is_null()) {
            const double smax = e["scale_range"][1].get<double>();
            CHECK(e["scale_range"][0].get<double>() > 0.0);
            // outliers beyond the 99.99th percentile may be clipped further than scale/2
            CHECK(e["rel_rms_error"].get<double>() < 0.02);
            CHECK(e["max_abs_error"].get<double>() > 0.0);
            CHECK(e["bytes_after"] == e["params"].get<std::int64_t>() + 4 * e["shape"][0].get<std::int64_t>());
            (void)smax;
        } else if (e["precision"] == "fp16") {
            CHECK(e["rel_rms_error"].get<double>() < 1e-3);
            CHECK(e["bytes_after"] == 2 * e["params"].get<std::int64_t>());
        }
        CHECK(e["rule"].is_string());
    }
}

TEST_CASE("max calibration records no percentile and uses absmax scales", "[convert]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    mixq::convert_options o;
    o.calibration = mixq::calibration_method::max;
    const auto c = mixq::convert(in, mixq::presets::get("conservative", mixq::presets::family::itera_lite), o);
    const auto m = mixq::metadata_json(c);
    CHECK(m["calibration_method"] == "max");
    CHECK(m["percentile"].is_null());
    const auto& emb = c.tensors[0].source->name == "embedding.weight" ? c.tensors[0] : c.tensors[1];
    const auto w = mixq::to_float(*emb.source);
    float row0 = 0;
    for (int k = 0; k < 128; ++k) row0 = std::max(row0, std::fabs(w[static_cast<std::size_t>(k)]));
    CHECK(emb.scales[0] == row0 / 127.0f);
}

TEST_CASE("strict mode turns unmatched tensors and unused rules into errors", "[convert][bad_input]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    mixq::convert_options o;
    o.strict = true;
    CHECK_THROWS_WITH(mixq::convert(in, mixq::presets::get("conservative", mixq::presets::family::itera_lite), o),
                      Catch::Contains("26 tensor(s) match no rule"));
    CHECK_NOTHROW(mixq::convert(in, mixq::presets::get("conservative-moe", mixq::presets::family::itera_lite), o));
    auto t = mixq::presets::get("conservative-moe", mixq::presets::family::itera_lite);
    t.add("embeddings.token_embeddings.weight", mixq::precision::int8);
    CHECK_THROWS_WITH(mixq::convert(in, t, o), Catch::Contains("embeddings.token_embeddings.weight") &&
                                                   Catch::Contains("matches no tensor"));
}

TEST_CASE("NaN in a tensor being quantized is refused by name, for every quantized precision", "[convert][bad_input]") {
    mixq::test::temp_dir dir;
    std::vector<float> w(6, 0.25f), b(3, 1.0f);
    w[4] = std::nanf("");
    mixq::io::write_safetensors(dir.file("nan.safetensors"),
                                {{"a.weight", mixq::dtype::f32, {2, 3}, std::as_bytes(std::span(w))},
                                 {"a.bias", mixq::dtype::f32, {3}, std::as_bytes(std::span(b))}});
    const auto in = mixq::io::safetensors_file::open(dir.file("nan.safetensors"));
    mixq::rule_table t;
    t.add("a.bias", mixq::precision::fp16);
    CHECK_NOTHROW(mixq::convert(in, t));  // the NaN tensor is not converted: untouched, no error
    t.add("*.weight", mixq::precision::int8);
    CHECK_THROWS_WITH(mixq::convert(in, t), Catch::Contains("'a.weight' contains NaN at flat index 4"));
    for (auto p : {mixq::precision::int4_g32, mixq::precision::nf4, mixq::precision::fp8_e4m3}) {
        mixq::rule_table t4;
        t4.add("*.weight", p);
        CHECK_THROWS_WITH(mixq::convert(in, t4), Catch::Contains("'a.weight' contains NaN at flat index 4"));
    }
}

TEST_CASE("an HF-layout checkpoint picks the HF presets and a tied head absent from the file is fine", "[convert]") {
    mixq::test::temp_dir dir;
    std::vector<std::vector<float>> store;
    std::vector<mixq::io::tensor_out> out;
    std::uint32_t seed = 1;
    for (const auto& name : mixq::layout::hf_mamba{.layers = 2, .head_stored = false}.tensor_names()) {
        store.push_back(mixq::test::random_weights(12, ++seed));
        out.push_back({name, mixq::dtype::f32, {3, 4}, std::as_bytes(std::span(store.back()))});
    }
    mixq::io::write_safetensors(dir.file("hf.safetensors"), out);
    const auto in = mixq::io::safetensors_file::open(dir.file("hf.safetensors"));
    REQUIRE(mixq::presets::detect_family(in.tensors()) == mixq::presets::family::hf_mamba);
    const auto c = mixq::convert(in, mixq::presets::get("conservative", mixq::presets::family::hf_mamba));
    CHECK(c.plan.unmatched().empty());
    CHECK(c.plan.unused_rules() == std::vector<std::size_t>{1});  // lm_head.weight: tied and not stored
    CHECK(c.totals.params.at(mixq::precision::int8) == 12);
    CHECK(c.totals.params.at(mixq::precision::fp16) == 12 * 21);
}

TEST_CASE("a large tensor quantized in row blocks on several threads equals one pass over it", "[convert][blocks]") {
    // 2,100 x 2,050 = 4.3 M values: above the block size, with rows that do not split evenly and groups of
    // 32 / 64 / 128 that do not divide the columns.
    const std::int64_t rows = 2100, cols = 2050;
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(rows * cols), 77u);
    REQUIRE(rows * cols > mixq::detail::block_elems);
    mixq::test::temp_dir d;
    mixq::io::write_safetensors(d.file("big.safetensors"), {{"big.weight", mixq::dtype::f32, {rows, cols}, std::as_bytes(std::span(w))}});
    const auto in = mixq::io::safetensors_file::open(d.file("big.safetensors"));
    for (const auto p : {mixq::precision::int8, mixq::precision::int4_g32, mixq::precision::int4_g128, mixq::precision::nf4,
                         mixq::precision::fp8_e4m3}) {
        INFO(mixq::to_string(p));
        mixq::rule_table table("t");
        table.add("*", p);
        mixq::convert_options o;
        o.lowbit = mixq::lowbit_calibration::mse;
        const auto c = mixq::convert(in, table, o);
        mixq::conversion one = mixq::begin_conversion(in, table, o);
        mixq::conversion_cursor cur(o);
        auto& x = mixq::prepare_next(one, cur);
        if (p == mixq::precision::int8) mixq::detail::quantize_int8(x, w, cur.q8, nullptr, o.round);  // the whole tensor at once
        else mixq::detail::quantize_lowbit(x, w, o, nullptr);
        const auto& b = c.tensors.front();
        CHECK(b.data == x.data);
        CHECK(b.scales == x.scales);
        CHECK(b.scale_shape == x.scale_shape);
        CHECK(b.stored_shape == x.stored_shape);
        CHECK(b.scheme == x.scheme);
        CHECK(b.scale_min == x.scale_min);
        CHECK(b.scale_max == x.scale_max);
        CHECK(b.error->max_abs_error == x.error->max_abs_error);
        CHECK(b.error->rel_rms_error == Approx(x.error->rel_rms_error).epsilon(1e-12));
        mixq::conversion threaded = mixq::begin_conversion(in, table, o);
        mixq::conversion_cursor cur2(o);
        auto& y = mixq::prepare_next(threaded, cur2);
        std::vector<float> scratch;
        mixq::fill_tensor(threaded, y, cur2.q8, scratch, 3);
        CHECK(y.data == b.data);
        CHECK(y.error->rel_rms_error == b.error->rel_rms_error);
    }
}

TEST_CASE("convert_options::reuse copies a tensor converted before instead of converting it again", "[convert]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto table = mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json"));
    mixq::convert_options o;
    o.lowbit = mixq::lowbit_calibration::mse;
    const auto before = mixq::convert(in, table, o);
    // A marked copy proves the bytes come from it, not from converting again.
    auto marked = before;
    std::size_t quantized = 0;
    for (auto& x : marked.tensors)
        if (x.quantized && !x.data.empty()) x.data.front() = static_cast<std::byte>(~std::to_integer<unsigned>(x.data.front())), ++quantized;
    REQUIRE(quantized > 10);
    std::size_t asked = 0;
    auto reusing = o;
    reusing.reuse = [&](const mixq::converted_tensor& planned) -> const mixq::converted_tensor* {
        ++asked;
        for (const auto& x : marked.tensors)
            if (x.source == planned.source && x.quantized) return &x;
        return nullptr;  // the 16-bit and fp32 ones are converted as usual
    };
    const auto after = mixq::convert(in, table, reusing);
    CHECK(asked > quantized);
    REQUIRE(after.tensors.size() == before.tensors.size());
    for (std::size_t i = 0; i < after.tensors.size(); ++i) {
        const auto &a = after.tensors[i], &m = marked.tensors[i], &b = before.tensors[i];
        INFO(a.source->name);
        CHECK(a.data == (a.quantized ? m.data : b.data));
        CHECK(a.scales == b.scales);
        CHECK(a.scheme == b.scheme);
        CHECK(a.stored_shape == b.stored_shape);
        CHECK(a.alias_of == b.alias_of);
    }
    CHECK(after.totals.mixed_bytes == before.totals.mixed_bytes);
    // A tensor of another precision (or another source) offered for reuse is a bug in the caller.
    auto wrong = o;
    wrong.reuse = [&](const mixq::converted_tensor& planned) -> const mixq::converted_tensor* {
        for (const auto& x : before.tensors)
            if (x.source == planned.source && x.target != planned.target) return &x;
        return nullptr;
    };
    mixq::rule_table int8("int8");
    for (const auto& x : in.tensors()) int8.add(x.name, mixq::precision::int8);
    CHECK_THROWS_WITH(mixq::convert(in, int8, wrong), Catch::Contains("reused from another tensor or precision"));
}

TEST_CASE("a table of exact names for a 24-layer model is reported one line per role and precision", "[convert][report]") {
    const auto names = mixq::layout::hf_mamba2{.layers = 24, .head_stored = true}.tensor_names();
    std::vector<mixq::tensor_view> views;
    for (const auto& n : names) views.push_back({n, mixq::dtype::f32, {2, 3}, {}});
    mixq::rule_table exact("searched");
    for (const auto& n : names) {  // as a searched table.json: every tensor by name, layer 7's in_proj set apart
        const bool low = n.ends_with("_proj.weight") && n.find(".7.") == std::string::npos;
        exact.add(n, n.ends_with("_proj.weight") ? (low ? mixq::precision::int4_g64 : mixq::precision::int8) : mixq::precision::fp16);
    }
    exact.add("*", mixq::precision::fp32);  // a glob keeps its own line
    const auto text = mixq::match_report_text(exact, mixq::make_plan(exact, views));
    INFO(text);
    CHECK(std::count(text.begin(), text.end(), '\n') < 20);
    CHECK(text.find("backbone.layers.N.mixer.in_proj.weight   int4_g64    23 tensors") != std::string::npos);
    CHECK(text.find("backbone.layers.7.mixer.in_proj.weight   int8         1 tensors") != std::string::npos);
    CHECK(text.find("(23 exact-name rules, from #") != std::string::npos);
    CHECK(text.find("backbone.layers.3.") == std::string::npos);  // no line per layer
    CHECK(text.find("  #220 *") != std::string::npos);
    CHECK(text.find("WARNING: rule #220 '*' is shadowed") != std::string::npos);
    // a small table keeps a line per rule
    mixq::rule_table small("small");
    small.add("backbone.layers.0.norm.weight", mixq::precision::fp16);
    small.add("backbone.layers.1.norm.weight", mixq::precision::fp16);
    const auto short_text = mixq::match_report_text(small, mixq::make_plan(small, views));
    CHECK(short_text.find("backbone.layers.1.norm.weight") != std::string::npos);
}
