// Tests include/mixq/eval/paired_change.hpp and the per-window NLL it pairs, on the fixture model.
#include <mixq/quality.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/sizes.hpp"

namespace {
std::vector<std::int64_t> eval_prefix(std::size_t windows, std::size_t extra) {
    const auto t = mixq::io::read_npy_tokens(mixq::test::fixture("eval_tokens.npy"));
    return {t.begin(), t.begin() + static_cast<std::ptrdiff_t>(windows * 128 + extra)};
}
}  // namespace

TEST_CASE("per-window NLL: each window alone gives it, and the windows sum to the total", "[perplexity][paired]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    const auto tokens = eval_prefix(23, 77);  // 23 windows and a dropped remainder; batches of 5 split them unevenly
    const auto r = mixq::evaluate_perplexity(model, tokens, {.batch = 5, .threads = 2});
    REQUIRE(r.window_nll.size() == 23);
    long double sum = 0;
    for (double v : r.window_nll) sum += v;
    CHECK(static_cast<double>(sum / r.tokens_scored) == Approx(r.mean_nll).epsilon(1e-12));
    for (std::size_t s : {0, 4, 5, 22}) {  // first, last of a batch, first of the next, last
        const std::vector<std::int64_t> one(tokens.begin() + static_cast<std::ptrdiff_t>(s * 128),
                                            tokens.begin() + static_cast<std::ptrdiff_t>((s + 1) * 128));
        const auto alone = mixq::evaluate_perplexity(model, one, {.batch = 1, .threads = 1});
        INFO("window " << s);
        // A batch of 1 rounds the fp32 products differently from a batch of 5: ~1e-8 apart, no more.
        CHECK(r.window_nll[s] == Approx(alone.mean_nll * 127).epsilon(1e-7));
    }
}

TEST_CASE("paired change: zero against itself, the textbook standard error of a real change, mismatches refused", "[perplexity][paired]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights orig(f);
    const auto cfg = mixq::infer_config(orig);
    const mixq::ssm_lm fp32(orig, cfg);
    const auto c = mixq::convert(f, mixq::load_table_json((mixq::test::fixture_dir() / "tables" / "itera_int4_g128_linear.json").string()));
    const auto cw = mixq::weights_of(c);
    const mixq::ssm_lm low(cw, cfg);
    const std::size_t n = mixq::test::sized(16, 6);  // windows
    const auto tokens = eval_prefix(n, 0);
    const auto a = mixq::evaluate_perplexity(fp32, tokens, {.threads = 2});
    const auto b = mixq::evaluate_perplexity(low, tokens, {.threads = 2});

    const auto self = mixq::paired_change(a, a);
    CHECK(self.percent == 0.0);
    CHECK(self.stderr_percent == 0.0);
    CHECK(self.windows == n);

    // The same statistic from the windows evaluated one at a time, in long double: the sample standard
    // deviation of the per-token NLL change over the windows, over sqrt(n), times d exp / d nll.
    // Alone, each window's NLL differs from its batched one by the batch rounding the test above bounds
    // (1e-7 of it); that moves the sample deviation of the d's by at most the norm of those errors (the
    // deviation is a norm of the centred vector, and centring does not lengthen it), so the comparison
    // allows that much: tighter than the rounding fails on CPUs whose kernels round differently.
    std::vector<long double> d;
    long double rounding = 0;
    for (std::size_t s = 0; s < n; ++s) {
        const std::vector<std::int64_t> one(tokens.begin() + static_cast<std::ptrdiff_t>(s * 128),
                                            tokens.begin() + static_cast<std::ptrdiff_t>((s + 1) * 128));
        const double nl = mixq::evaluate_perplexity(low, one).mean_nll, nf = mixq::evaluate_perplexity(fp32, one).mean_nll;
        d.push_back(static_cast<long double>(nl) - static_cast<long double>(nf));
        rounding += std::pow(1e-7L * (nl + nf), 2);
    }
    long double mean = 0, ss = 0;
    for (auto x : d) mean += x / n;
    for (auto x : d) ss += (x - mean) * (x - mean);
    const double se = static_cast<double>(std::sqrt(ss / (n - 1) / n));
    const double se_slack = static_cast<double>(std::sqrt(rounding / (n - 1) / n));
    const auto ch = mixq::paired_change(a, b);
    CHECK(ch.percent == Approx(100.0 * (b.perplexity / a.perplexity - 1.0)).epsilon(1e-12));
    CHECK(ch.percent == Approx(100.0 * std::expm1(static_cast<double>(mean))).margin(1e-5));  // batch rounding, as above
    const double want_se = 100.0 * std::exp(static_cast<double>(mean)) * se;
    CHECK(ch.stderr_percent == Approx(want_se).margin(100.0 * std::exp(static_cast<double>(mean)) * se_slack + 1e-6 * want_se));
    CHECK(se_slack < 1e-3 * se);  // the allowance is far below the statistic it checks
    // A real 4-bit change is uncertain, but far from unmeasurable on these windows.
    CHECK(ch.stderr_percent > 0.001);
    CHECK(ch.stderr_percent < 1.0);
    // Swapping the two flips the change; the per-window spread is the same, scaled by the other ratio.
    const auto back = mixq::paired_change(b, a);
    const double r = a.perplexity / b.perplexity;
    CHECK(back.percent == Approx(100.0 * (r - 1.0)).epsilon(1e-12));
    CHECK(back.stderr_percent == Approx(ch.stderr_percent * r * r).epsilon(1e-9));

    const auto other = mixq::evaluate_perplexity(low, tokens, {.window = 64, .threads = 2});
    CHECK_THROWS_WITH(mixq::paired_change(a, other), Catch::Contains("not of the same windows"));
}
