// Tests include/mixq/search/search.hpp (and kl.hpp, search_report.hpp) on the bundled model with few tokens.
#include <cmath>
#include <mixq/quality.hpp>
#include <mixq/search/search_report.hpp>
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/sizes.hpp"

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
    o.reference_choice = false;  // the knapsack's table is written (its own test below lets the references compete)
    return o;
}
// Calibration and eval windows of the whole searches (fewer under the sanitizers).
const std::size_t calib_windows = mixq::test::sized(10, 4), eval_windows = mixq::test::sized(20, 8);
// The quality budget: on fewer windows the sensitivities are coarser, and 0.3 % takes more repair rounds
// than the search allows.
const double ppl_budget = mixq::test::sized(0.3, 0.5);
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

TEST_CASE("passes started from a layer's recorded inputs give the full passes' divergence exactly", "[search][kl]") {
    // A model lowered only from layer l on starts its passes at l, from the unlowered model's residual
    // stream: bit for bit the same KL and NLL change, with every layer kept and with every second one.
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const auto cfg = mixq::infer_config(w);
    const mixq::ssm_lm m(w, cfg);
    REQUIRE(cfg.n_layers == 4);
    const auto ref = mixq::search::make_reference(m, head_of("calib_tokens.npy", 3 * 128), 128, 3, 2);
    const auto all = mixq::search::record_layer_inputs(m, ref, 2);
    const auto per_layer = static_cast<std::uint64_t>(3 * 128 * cfg.d_model) * sizeof(float);
    const auto every_second = mixq::search::record_layer_inputs(m, ref, 2, 2 * per_layer);
    CHECK(all.stride == 1);
    CHECK(every_second.stride == 2);
    CHECK(every_second.start_for(3) == 2);
    CHECK(every_second.start_for(1) == 0);
    for (std::int64_t l = 0; l <= cfg.n_layers; ++l) {
        mixq::rule_table t("one layer int4");
        for (const auto& x : f.tensors())
            t.add(x.name, x.name.rfind("layers." + std::to_string(l) + ".ssm.in_proj", 0) == 0 || (l == cfg.n_layers && x.name == "embedding.weight")
                              ? mixq::precision::int4_g64 : mixq::precision::fp32);
        const auto c = mixq::convert(f, t);
        const auto wq = mixq::weights_of(c);
        const mixq::ssm_lm q(wq, cfg);
        const auto full = mixq::search::measure_divergence(q, ref, 2);
        if (l < cfg.n_layers) CHECK(full.kl > 1e-7);
        for (const auto* from : {&all, &every_second}) {
            const auto first = l == cfg.n_layers ? 0 : l;  // the tied embedding is read before layer 0
            const auto d = mixq::search::measure_divergence(q, ref, 2, from, first);
            CHECK(d.kl == full.kl);
            CHECK(d.delta_nll == full.delta_nll);
        }
    }
    CHECK_THROWS_AS(mixq::search::measure_divergence(m, ref, 3, &all, 2), mixq::error);  // inputs of another batch size
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
    const auto calib = head_of("calib_tokens.npy", calib_windows * 128), eval = head_of("eval_tokens.npy", eval_windows * 128);
    auto o = small({mixq::search::budget_kind::ratio, 5.0});
    std::vector<mixq::search::search_progress> seen;
    o.progress = [&](const mixq::search::search_progress& p) { seen.push_back(p); };
    mixq::search::searcher s(in, cfg, calib, eval, o);
    const auto r = s.run();
    // Progress: the four phases in order, each counting up to its total (the base, then the candidates
    // a layer at a time and the head; 1 + units x candidates; chosen + frontier points), one call per work item.
    const std::vector<std::pair<std::string, std::size_t>> phases{{"fp32 evaluation", 1}, {"candidate conversions", 2 + static_cast<std::size_t>(cfg.n_layers)},
                                                                   {"sensitivities", 1 + r.units.size() * 3}, {"measurements", 2}};
    std::size_t k = 0;
    for (const auto& [name, total] : phases)
        for (std::size_t done = 1; done <= total; ++done, ++k) {
            REQUIRE(k < seen.size());
            CHECK(seen[k].phase == name);
            CHECK(seen[k].done == done);
            CHECK(seen[k].total == total);
            CHECK(seen[k].seconds >= seen[k].phase_seconds);
        }
    CHECK(k == seen.size());
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

TEST_CASE("search under a size budget: the presets and uniform tables that fit compete on held-out calibration windows", "[search]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(in);
    const auto cfg = mixq::infer_config(w);
    const auto calib = head_of("calib_tokens.npy", calib_windows * 128);
    auto o = small({mixq::search::budget_kind::ratio, 5.0});
    o.reference_choice = true;
    o.frontier_points = 0;
    const auto run = [&](std::span<const std::int64_t> eval) { return mixq::search::searcher(in, cfg, calib, eval, o).run(); };
    const auto r = run(head_of("eval_tokens.npy", 4 * 128));
    CHECK(r.held_out_windows == static_cast<std::int64_t>(calib_windows) - 2);  // after the 2 sensitivity windows
    REQUIRE(r.selection.size() >= 2);  // at 5x the 4-bit uniform tables fit
    CHECK(r.selection.front().label == "searched");
    for (const auto& e : r.selection) {
        INFO(e.label);
        CHECK(static_cast<double>(e.bytes) <= r.budget_bytes);
        CHECK(e.kl > 0.0);
        CHECK(r.selection[r.selected].kl <= e.kl);  // the least divergent is written
    }
    // What was written is what was judged: its bytes, and its divergence measured again on those windows.
    CHECK(r.chosen.totals.mixed_bytes == r.selection[r.selected].bytes);
    const mixq::ssm_lm fp32_model(w, cfg);
    const auto held = mixq::search::make_reference(fp32_model, std::span<const std::int64_t>(calib).subspan(2 * 128), 128, r.held_out_windows);
    const auto written = mixq::weights_of(r.chosen);
    CHECK(mixq::search::measure_divergence(mixq::ssm_lm(written, cfg), held).kl == Approx(r.selection[r.selected].kl).epsilon(1e-9));
    CHECK(r.points.front().label == (r.selected == 0 ? std::string("searched (chosen)") : r.selection[r.selected].label + " (chosen)"));
    const auto text = mixq::search::report_text(r, "model.safetensors");
    CHECK(text.find("held-out calibration windows") != std::string::npos);
    CHECK(mixq::search::search_json(r)["selection"]["entries"].size() == r.selection.size());
    // The eval tokens never decide: other eval tokens, the same choice and the same table. (A second whole
    // search: the plain suite's alone, the sanitizers having run every path of it once above.)
    if (mixq::test::small_run) return;
    const auto all = head_of("eval_tokens.npy", 8 * 128);
    const auto other = run(std::vector<std::int64_t>(all.begin() + 4 * 128, all.end()));
    CHECK(other.selected == r.selected);
    CHECK(mixq::search::table_json(other) == mixq::search::table_json(r));
}

TEST_CASE("search under a quality budget: the measured perplexity holds it, impossible budgets are refused with the range", "[search]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(in);
    const auto cfg = mixq::infer_config(w);
    const auto calib = head_of("calib_tokens.npy", calib_windows * 128), eval = head_of("eval_tokens.npy", eval_windows * 128);
    {
        mixq::search::searcher s(in, cfg, calib, eval, small({mixq::search::budget_kind::ppl_increase, ppl_budget}));
        const auto r = s.run();
        CHECK(r.measured_perplexity <= r.fp32_perplexity * (1.0 + ppl_budget / 100.0));
        CHECK(r.points.front().perplexity == r.measured_perplexity);
        CHECK(r.chosen.totals.ratio() > 3.0);  // a quality budget is not met by doing nothing
        const auto j = mixq::search::search_json(r);
        CHECK(j["repair_rounds"] == r.repair_rounds);
        CHECK(j["units"].size() == r.units.size());
        // Every point carries the eval set's own uncertainty of its change, paired against fp32 per window.
        CHECK(r.points.size() == 2);  // chosen, 1 frontier point
        for (const auto& p : r.points) {
            const auto d = mixq::paired_change(r.fp32_eval, p.eval);
            CHECK(p.delta_percent == d.percent);
            CHECK(p.stderr_percent == d.stderr_percent);
            CHECK(p.stderr_percent > 0.0);  // both tables lower weights below fp16
        }
        CHECK(j["eval_windows"] == eval_windows);
        CHECK(j["against_references"].empty());  // no presets or uniform tables measured
        CHECK(mixq::search::report_text(r, "m").find("against the best preset") == std::string::npos);
    }
    {
        mixq::search::searcher s(in, cfg, calib, eval, small({mixq::search::budget_kind::ratio, 50.0}));
        // The library names its own option; mixq-search prints it as --target-ratio (tests/cli/test_search_cli.cpp).
        bool thrown = false;
        try {
            (void)s.run();
        } catch (const mixq::error& e) {
            thrown = true;
            CHECK_THAT(e.what(), Catch::Contains("search_options::target (ratio) 50: impossible") && Catch::Contains("ratio ranges from 2.000x to"));
            CHECK(e.option() == "search_options::target (ratio)");
            CHECK(e.code() == mixq::errc::bad_input);
        }
        CHECK(thrown);
    }
    {
        auto o = small({mixq::search::budget_kind::ppl_increase, 0.0});
        o.candidates = {mixq::precision::int4_g128};
        mixq::search::searcher s(in, cfg, calib, eval, o);
        CHECK_THROWS_WITH(s.run(), Catch::Contains("search_options::target (ppl_increase) 0: impossible") &&
                                       Catch::Contains("achievable increases are >="));
    }
    auto twice = small({mixq::search::budget_kind::ratio, 4.0});
    twice.candidates = {mixq::precision::int8, mixq::precision::int8};
    CHECK_THROWS_WITH(mixq::search::searcher(in, cfg, calib, eval, twice), Catch::Contains("int8 twice"));
}

TEST_CASE("reference comparisons pair each searched point with every preset or uniform table no larger than it", "[search]") {
    // Four windows of 11 tokens (10 scored each); the NLL sums are made up, so the expected changes are known.
    auto eval_of = [](std::vector<double> nll) {
        mixq::perplexity_result e;
        e.window = 11, e.windows = 4, e.tokens_scored = 40;
        double sum = 0.0;
        for (double v : nll) sum += v;
        e.mean_nll = sum / 40.0, e.perplexity = std::exp(e.mean_nll), e.window_nll = std::move(nll);
        return e;
    };
    mixq::search::search_result r;
    r.fp32_eval = eval_of({40.0, 41.0, 39.0, 40.0});
    auto add = [&](const char* kind, const char* label, std::uint64_t bytes, std::vector<double> nll) {
        mixq::search::measured_point p;
        p.kind = kind, p.label = label, p.bytes = bytes, p.eval = eval_of(std::move(nll));
        p.perplexity = p.eval.perplexity, p.ratio = 1000.0 / static_cast<double>(bytes);
        const auto d = mixq::paired_change(r.fp32_eval, p.eval);
        p.delta_percent = d.percent, p.stderr_percent = d.stderr_percent;
        r.points.push_back(std::move(p));
    };
    add("searched", "searched (chosen)", 100, {40.2, 41.1, 39.3, 40.0});
    add("uniform", "u small", 90, {40.5, 41.6, 39.2, 40.3});   // smaller and worse: the search beats it
    add("preset", "p equal", 100, {40.1, 41.0, 39.1, 40.0});   // same size and better: it dominates
    add("uniform", "u large", 120, {40.0, 41.0, 39.0, 40.0});  // larger: not a rival
    add("searched", "searched 2", 200, {40.0, 41.0, 39.0, 40.1});
    const auto cmp = mixq::search::reference_comparisons(r);
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& c : cmp) pairs.emplace_back(r.points[c.searched].label, r.points[c.reference].label);
    const std::vector<std::pair<std::string, std::string>> expected{{"searched (chosen)", "u small"}, {"searched (chosen)", "p equal"},
                                                                    {"searched 2", "u small"},        {"searched 2", "p equal"},
                                                                    {"searched 2", "u large"}};
    CHECK(pairs == expected);
    // searched (chosen) against "p equal": per-window differences 0.1, 0.1, 0.2, 0 nats over 10 tokens.
    const auto& c = cmp[1].change;
    const double mean = 0.4 / 40.0;
    const std::vector<double> d{0.01, 0.01, 0.02, 0.0};  // per token
    double ss = 0.0;
    for (double x : d) ss += (x - mean) * (x - mean);
    const double ratio = r.points[0].perplexity / r.points[2].perplexity;
    CHECK(c.percent == Approx(100.0 * std::expm1(mean)).epsilon(1e-9));
    CHECK(c.percent == Approx(100.0 * (ratio - 1.0)).epsilon(1e-12));
    CHECK(c.stderr_percent == Approx(100.0 * ratio * std::sqrt(ss / 3.0 / 4.0)).epsilon(1e-9));
    CHECK(c.windows == 4);
    // The report names, per searched point, the best rival of equal or smaller size; search.json has every pair.
    const auto text = mixq::search::report_text(r, "m");
    CHECK(text.find("against the best preset or uniform table of equal or smaller size") != std::string::npos);
    CHECK(text.find("against p equal") != std::string::npos);
    CHECK(text.find("against u small") == std::string::npos);  // worse than p equal, so not the line's rival
    const auto j = mixq::search::search_json(r);
    REQUIRE(j["against_references"].size() == 5);
    CHECK(j["against_references"][1]["reference"] == "p equal");
    CHECK(j["against_references"][1]["change_percent"].get<double>() == c.percent);
}
