// The whole precision search on the bundled model (--target-ratio 6, default candidates, 2 threads), against
// its inner loop measured in the same run: one perplexity evaluation of the fp32 model on the same tokens.
#include <benchmark/benchmark.h>

#include <chrono>
#include <mixq/quality.hpp>
#include <mixq/search/search.hpp>

namespace {
const std::string dir = MIXQ_FIXTURE_DIR;

void search_ratio6(benchmark::State& state) {
    const auto f = mixq::io::safetensors_file::open(dir + "/model.safetensors");
    const auto calib = mixq::io::read_npy_tokens(dir + "/calib_tokens.npy"), eval = mixq::io::read_npy_tokens(dir + "/eval_tokens.npy");
    const mixq::checkpoint_weights w(f);
    const auto cfg = mixq::infer_config(w);
    const mixq::ssm_lm model(w, cfg);
    mixq::search::search_options o;
    o.target = {mixq::search::budget_kind::ratio, 6.0};
    o.threads = static_cast<int>(state.range(0));
    double seconds = 0, sensitivity = 0, ratio = 0;
    for (auto _ : state) {
        const auto a = std::chrono::steady_clock::now();
        mixq::search::searcher s(f, cfg, calib, eval, o);
        const auto r = s.run();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
        sensitivity = r.sensitivity_seconds;
        ratio = r.points.front().ratio;
        state.SetIterationTime(seconds);
    }
    const double one_eval = mixq::evaluate_perplexity(model, eval, {.threads = o.threads}).seconds;
    state.counters["evaluations_worth"] = seconds / one_eval;  // the search's cost in fp32 evaluations
    state.counters["sensitivity_s"] = sensitivity;
    state.counters["ratio"] = ratio;
}
}  // namespace

BENCHMARK(search_ratio6)->Arg(2)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_MAIN();
