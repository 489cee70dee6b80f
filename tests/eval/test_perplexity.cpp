// Tests include/mixq/eval/perplexity.hpp against the fixture's PyTorch oracle: fp32 and every precision table.
#include <mixq/quality.hpp>
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/naive_ssm.hpp"

namespace {
nlohmann::json oracle() { return nlohmann::json::parse(mixq::test::read_bytes(mixq::test::fixture("oracle.json"))); }
const std::vector<std::int64_t>& eval_tokens() {
    static const auto t = mixq::io::read_npy_tokens(mixq::test::fixture("eval_tokens.npy"));
    return t;
}
double rel(double a, double b) { return std::fabs(a / b - 1.0); }
}  // namespace

TEST_CASE("fp32 perplexity of the fixture is within 0.01% of PyTorch's", "[perplexity][oracle]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    const auto r = mixq::evaluate_perplexity(model, eval_tokens(), {.threads = 2});
    const auto o = oracle();
    CHECK(r.window == o["window"]);
    CHECK(r.windows == 223);
    CHECK(r.tokens_scored == 223 * 127);
    INFO("mixq " << r.perplexity << " vs oracle " << o["perplexity"]["fp32"].get<double>());
    CHECK(rel(r.perplexity, o["perplexity"]["fp32"].get<double>()) < 1e-4);
}

TEST_CASE("every oracle table's converted model is within 0.05% of PyTorch's perplexity", "[perplexity][oracle]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto o = oracle();
    const auto fp32 = o["perplexity"]["fp32"].get<double>();
    std::size_t tables = 0;
    for (const auto& entry : std::filesystem::directory_iterator(mixq::test::fixture_dir() / "tables")) {
        const auto table = mixq::load_table_json(entry.path().string());
        INFO(table.name());
        REQUIRE(o["perplexity"].contains(table.name()));
        const auto c = mixq::convert(f, table);
        const auto w = mixq::weights_of(c);
        const mixq::ssm_lm model(w, mixq::infer_config(w));
        const auto r = mixq::evaluate_perplexity(model, eval_tokens(), {.threads = 2});
        const auto expected = o["perplexity"][table.name()].get<double>();
        INFO("mixq " << r.perplexity << " vs oracle " << expected);
        CHECK(rel(r.perplexity, expected) < 5e-4);
        // The change itself is what users read: it must have the oracle's sign and size.
        CHECK((r.perplexity - fp32) == Approx(expected - fp32).margin(0.01));
        ++tables;
    }
    CHECK(tables == 12);  // fp32-free tables: 7 int8 / fp16 / bf16, 5 below int8
}

TEST_CASE("a converted file evaluates exactly like the conversion in memory, with any thread count", "[perplexity]") {
    mixq::test::temp_dir dir;
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto c = mixq::convert(f, mixq::presets::get("int8-linear", mixq::presets::family::itera_lite));
    mixq::write_outputs(dir.path, c);
    const std::vector<std::int64_t> tokens(eval_tokens().begin(), eval_tokens().begin() + 20 * 128 + 5);
    const auto mem = mixq::weights_of(c);
    const auto out = mixq::io::safetensors_file::open(dir.file("model.safetensors"));
    const mixq::checkpoint_weights disk(out);
    const mixq::ssm_lm a(mem, mixq::infer_config(mem)), b(disk, mixq::infer_config(disk));
    const auto r1 = mixq::evaluate_perplexity(a, tokens, {.batch = 3, .threads = 1});
    const auto r2 = mixq::evaluate_perplexity(b, tokens, {.batch = 3, .threads = 2});
    CHECK(r1.windows == 20);
    CHECK(r1.perplexity == r2.perplexity);  // bit-identical: same numerics, deterministic reduction order
    const auto r3 = mixq::evaluate_perplexity(b, tokens, {.window = 64, .batch = 7, .threads = 2});
    CHECK(r3.windows == 40);
    CHECK(r3.tokens_scored == 40 * 63);
}

TEST_CASE("an HF-layout checkpoint evaluates and bad windows are refused", "[perplexity]") {
    const auto m = mixq::test::make_random_model(mixq::layout_kind::hf_mamba, 12);
    const auto w = m.weights();
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    std::vector<std::int64_t> tokens(300);
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::int64_t>((i * 7) % 41);
    const auto r = mixq::evaluate_perplexity(model, tokens, {.window = 50});
    CHECK(r.windows == 6);
    CHECK(std::isfinite(r.perplexity));
    CHECK(r.perplexity > 1.0);
    // perplexity of a window by hand from the naive logits
    double nll = 0;
    for (std::int64_t s = 0; s < 6; ++s) {
        const std::vector<std::int64_t> win(tokens.begin() + s * 50, tokens.begin() + (s + 1) * 50);
        const auto logits = mixq::test::naive_logits(m, win);
        for (std::size_t t = 0; t + 1 < win.size(); ++t) {
            double mx = -1e300, sum = 0;
            for (double v : logits[t]) mx = std::max(mx, v);
            for (double v : logits[t]) sum += std::exp(v - mx);
            nll += mx + std::log(sum) - logits[t][static_cast<std::size_t>(win[t + 1])];
        }
    }
    CHECK(r.perplexity == Approx(std::exp(nll / (6 * 49))).epsilon(1e-5));
    CHECK_THROWS_WITH(mixq::evaluate_perplexity(model, tokens, {.window = 1}), Catch::Contains("at least 2 tokens"));
    CHECK_THROWS_WITH(mixq::evaluate_perplexity(model, tokens, {.window = 301}), Catch::Contains("fewer than one window"));
}

TEST_CASE("int4_g64 on every linear weight: mse and GPTQ bring the oracle's +0.92 % to at most +0.5 %", "[perplexity][oracle][lowbit]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto table = mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json"));
    const auto fp32 = oracle()["perplexity"]["fp32"].get<double>();
    const mixq::checkpoint_weights orig(f);
    const mixq::ssm_lm model(orig, mixq::infer_config(orig));
    const auto calib = mixq::io::read_npy_tokens(mixq::test::fixture("calib_tokens.npy"));
    const auto opts = mixq::convert_options{};
    const auto hs = mixq::collect_hessians(model, calib, 0, mixq::gptq_layers(table, f, [] {
        mixq::convert_options o;
        o.gptq_lowbit = true;
        return o;
    }()));
    struct run {
        const char* what;
        mixq::lowbit_calibration cal;
        bool gptq;
        double at_most;  // percent
    };
    for (const auto& r : {run{"max (the oracle)", mixq::lowbit_calibration::max, false, 1.0}, run{"mse", mixq::lowbit_calibration::mse, false, 0.5},
                          run{"gptq", mixq::lowbit_calibration::max, true, 0.5}, run{"mse+gptq", mixq::lowbit_calibration::mse, true, 0.5}}) {
        auto o = opts;
        o.lowbit = r.cal;
        o.gptq_lowbit = r.gptq;
        o.hessians = &hs;
        o.round = mixq::gptq_rounder();
        const auto c = mixq::convert(f, table, o);
        CHECK(c.totals.gptq_tensors == (r.gptq ? 29u : 0u));
        const auto w = mixq::weights_of(c);
        const mixq::ssm_lm m(w, mixq::infer_config(w));
        const auto ppl = mixq::evaluate_perplexity(m, eval_tokens(), {.threads = 2}).perplexity;
        const double delta = 100.0 * (ppl / fp32 - 1.0);
        INFO(r.what << ": perplexity " << ppl << ", " << delta << " %");
        CHECK(delta <= r.at_most);
        CHECK(delta > -0.5);  // a quality cost, not a different model
    }
}

TEST_CASE("Mamba-2 and Nemotron-H fixtures: fp32 within 0.01 % and every oracle table within 0.05 % of PyTorch's", "[perplexity][oracle][mamba2]") {
    for (const std::string name : {"mamba2-fortunes", "nemotronh-fortunes"}) {
        INFO(name);
        const auto dir = mixq::test::fixture_dir().parent_path() / name;
        const auto o = nlohmann::json::parse(mixq::test::read_bytes((dir / "oracle.json").string()));
        const auto tokens = mixq::io::read_npy_tokens((dir / "eval_tokens.npy").string());
        const auto f = mixq::io::safetensors_file::open((dir / "model.safetensors").string());
        auto evaluate = [&](const mixq::checkpoint_weights& w) {
            const mixq::ssm_lm model(w, mixq::infer_config(w, dir / "config.json"));
            return mixq::evaluate_perplexity(model, tokens, {.threads = 2});
        };
        const auto fp32 = evaluate(mixq::checkpoint_weights(f));
        CHECK(fp32.tokens_scored == 223 * 127);
        CHECK(rel(fp32.perplexity, o["perplexity"]["fp32"].get<double>()) < 1e-4);
        std::size_t tables = 0;
        for (const auto& entry : std::filesystem::directory_iterator(dir / "tables")) {
            const auto table = mixq::load_table_json(entry.path().string());
            INFO(table.name());
            const auto expected = o["perplexity"].at(table.name()).get<double>();
            const auto r = evaluate(mixq::weights_of(mixq::convert(f, table)));
            INFO("mixq " << r.perplexity << " vs oracle " << expected);
            CHECK(rel(r.perplexity, expected) < 5e-4);
            CHECK((r.perplexity - fp32.perplexity) == Approx(expected - o["perplexity"]["fp32"].get<double>()).margin(0.01));
            ++tables;
        }
        CHECK(tables == 6);
    }
}

TEST_CASE("the 256-wide Mamba-1 fixture: fp32 within 0.01 % of PyTorch's, rows every K-quant holds", "[perplexity][oracle]") {
    const auto dir = mixq::test::fixture_dir().parent_path() / "hf-mamba-256-fortunes";
    const auto o = nlohmann::json::parse(mixq::test::read_bytes((dir / "oracle.json").string()));
    const auto f = mixq::io::safetensors_file::open((dir / "model.safetensors").string());
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w, dir / "config.json"));
    CHECK(model.config().d_model == 256);
    CHECK(model.config().tied_head);  // lm_head.weight absent: computed with the embedding table
    const auto r = mixq::evaluate_perplexity(model, mixq::io::read_npy_tokens((dir / "eval_tokens.npy").string()), {.threads = 2});
    CHECK(r.tokens_scored == 223 * 127);
    INFO("mixq " << r.perplexity << " vs PyTorch " << o["perplexity"]["fp32"].get<double>());
    CHECK(rel(r.perplexity, o["perplexity"]["fp32"].get<double>()) < 1e-4);
}
