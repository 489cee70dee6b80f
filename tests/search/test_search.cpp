// Tests include/mixq/search/search.hpp (and kl.hpp, search_report.hpp) on the bundled model with few tokens.
#include <cmath>
#include <mixq/quality.hpp>
#include <mixq/search/search_report.hpp>
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
std::vector<std::int64_t> head_of(const char* file, std::size_t n) {
    auto t = mixq::io::read_npy_tokens(mixq::test::fixture(file));
    t.resize(std::min(n, t.size()));
    return t;
}
mixq::search::search_options small(mixq::search::budget b) {
    mixq::search::search_options o;
    o.candidates = {mixq::precision::fp16, mixq::precision::int8, mixq::precision::int4_g64};
    o.target = b;
    o.sensitivity_windows = 2;
    o.threads = 2;
    o.frontier_points = 1;
    o.reference_points = false;
    return o;
}
const mixq::search::unit& unit_named(const mixq::search::search_result& r, const std::string& n) {
    for (const auto& u : r.units)
        if (u.name == n) return u;
    FAIL("no unit " << n);
    return r.units.front();
}
}  // namespace

TEST_CASE("KL of a model against itself is zero, against a perturbed one positive", "[search][kl]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm m(w, mixq::infer_config(w));
    const auto tokens = head_of("calib_tokens.npy", 3 * 128);
    const auto ref = mixq::search::make_reference(m, tokens, 128, 3, 2);
    CHECK(ref.windows == 3);
    CHECK(std::fabs(mixq::search::mean_kl(m, ref)) < 1e-6);  // fp32 rounding of Σ p log p only
    const auto c = mixq::convert(f, mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json")));
    const auto wq = mixq::weights_of(c);
    const mixq::ssm_lm q(wq, mixq::infer_config(wq));
    CHECK(mixq::search::mean_kl(q, ref) > 1e-4);
}

TEST_CASE("search under a size budget: honours it, predicts the sum of its parts, zeroed paths measure zero", "[search]") {
    // layers.2's out_proj zeroed: nothing that layer's SSM computes reaches the output, so lowering its
    // in_proj / x_proj / dt_proj cannot change the logits at all.
    mixq::test::temp_dir dir;
    const auto src = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    std::vector<std::vector<float>> keep;
    std::vector<mixq::io::tensor_out> out;
    for (const auto& t : src.tensors()) {
        keep.push_back(mixq::to_float(t));
        if (t.name == "layers.2.ssm.out_proj.weight") std::fill(keep.back().begin(), keep.back().end(), 0.0f);
        out.push_back({t.name, mixq::dtype::f32, t.shape, std::as_bytes(std::span(keep.back()))});
    }
    mixq::io::write_safetensors(dir.file("zeroed.safetensors"), out);
    const auto in = mixq::io::safetensors_file::open(dir.file("zeroed.safetensors"));
    const mixq::checkpoint_weights w(in);
    const auto cfg = mixq::infer_config(w);
    const auto calib = head_of("calib_tokens.npy", 10 * 128), eval = head_of("eval_tokens.npy", 20 * 128);
    mixq::search::searcher s(in, cfg, calib, eval, small({mixq::search::budget_kind::ratio, 5.0}));
    const auto r = s.run();
    for (const char* n : {"layers.2.ssm.in_proj.weight", "layers.2.ssm.x_proj.weight", "layers.2.ssm.dt_proj.weight"})
        for (std::size_t p = 0; p < 3; ++p) {
            CHECK(unit_named(r, n).kl[p] == 0.0);
            CHECK(unit_named(r, n).nll[p] == 0.0);
        }
    CHECK(unit_named(r, "layers.0.ssm.in_proj.weight").kl[2] > 1e-5);  // int4 on a live path costs something
    // The budget holds, counting every byte written.
    CHECK(static_cast<double>(r.chosen.totals.mixed_bytes) <= r.budget_bytes);
    CHECK(r.chosen.totals.ratio() >= 5.0);
    std::uint64_t bytes = r.fixed_bytes;
    double cost = 0.0;
    for (const auto& u : r.units) bytes += u.bytes[u.chosen], cost += std::max(0.0, u.kl[u.chosen]);  // the default measure
    CHECK(bytes == r.chosen.totals.mixed_bytes);
    CHECK(r.predicted_perplexity == Approx(r.base_perplexity * std::exp(cost)).epsilon(1e-12));
    CHECK(r.points.size() == 2);
    // The embedding and its tied head are one unit and one choice.
    CHECK(unit_named(r, "embedding.weight").tensors.size() == 2);
    // The SSM core stayed fp16.
    for (const auto& x : r.chosen.tensors)
        if (x.source->name.find("A_log") != std::string::npos || x.source->name.find("norm") != std::string::npos) CHECK(x.target == mixq::precision::fp16);
}

TEST_CASE("search under a quality budget: the measured perplexity holds it, impossible budgets are refused with the range", "[search]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(in);
    const auto cfg = mixq::infer_config(w);
    const auto calib = head_of("calib_tokens.npy", 10 * 128), eval = head_of("eval_tokens.npy", 20 * 128);
    {
        auto o = small({mixq::search::budget_kind::ppl_increase, 0.3});
        o.reference_points = true;
        mixq::search::searcher s(in, cfg, calib, eval, o);
        const auto r = s.run();
        CHECK(r.measured_perplexity <= r.fp32_perplexity * 1.003);
        CHECK(r.points.front().perplexity == r.measured_perplexity);
        CHECK(r.chosen.totals.ratio() > 3.0);  // a quality budget is not met by doing nothing
        const auto j = mixq::search::search_json(r);
        CHECK(j["repair_rounds"] == r.repair_rounds);
        CHECK(j["units"].size() == r.units.size());
        // Every point carries the eval set's own uncertainty of its change, paired against fp32 per window.
        CHECK(r.points.size() == 2 + 6 + 6);  // chosen, 1 frontier point, 6 presets, 6 uniform tables
        for (const auto& p : r.points) {
            const auto d = mixq::paired_change(r.fp32_eval, p.eval);
            CHECK(p.delta_percent == d.percent);
            CHECK(p.stderr_percent == d.stderr_percent);
            if (p.label.find("int4") != std::string::npos) CHECK(p.stderr_percent > 0.0);
        }
        // Comparisons pair each searched point with every reference no larger than it, and only those.
        const auto cmp = mixq::search::reference_comparisons(r);
        std::size_t expected = 0;
        for (const auto& a : r.points)
            for (const auto& b : r.points) expected += a.kind == "searched" && b.kind != "searched" && b.bytes <= a.bytes;
        CHECK(cmp.size() == expected);
        CHECK(expected > 0);
        for (const auto& c : cmp) {
            const auto& a = r.points[c.searched];
            const auto& b = r.points[c.reference];
            CHECK(b.bytes <= a.bytes);
            CHECK(c.change.percent == Approx(100.0 * (a.perplexity / b.perplexity - 1.0)).epsilon(1e-12));
        }
        CHECK(j["against_references"].size() == cmp.size());
        CHECK(j["eval_windows"] == 20);
        CHECK(mixq::search::report_text(r, "m").find("against the best preset or uniform table of equal or smaller size") != std::string::npos);
    }
    {
        mixq::search::searcher s(in, cfg, calib, eval, small({mixq::search::budget_kind::ratio, 50.0}));
        CHECK_THROWS_WITH(s.run(), Catch::Contains("--target-ratio 50: impossible") && Catch::Contains("ratio ranges from 2.000x to"));
    }
    {
        auto o = small({mixq::search::budget_kind::ppl_increase, 0.0});
        o.candidates = {mixq::precision::int4_g128};
        mixq::search::searcher s(in, cfg, calib, eval, o);
        CHECK_THROWS_WITH(s.run(), Catch::Contains("--max-ppl-increase 0: impossible") && Catch::Contains("achievable increases are >="));
    }
    auto twice = small({mixq::search::budget_kind::ratio, 4.0});
    twice.candidates = {mixq::precision::int8, mixq::precision::int8};
    CHECK_THROWS_WITH(mixq::search::searcher(in, cfg, calib, eval, twice), Catch::Contains("int8 twice"));
}
