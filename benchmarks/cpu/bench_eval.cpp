// Perplexity evaluation of the fixture's eval_tokens.npy (fp32 and conservative), 1 and 2 threads: tokens/s.
#include <benchmark/benchmark.h>

#include <mixq/quality.hpp>

namespace {
const std::string dir = MIXQ_FIXTURE_DIR;

void eval(benchmark::State& state, const char* preset) {
    const auto f = mixq::io::safetensors_file::open(dir + "/model.safetensors");
    const auto tokens = mixq::io::read_npy_tokens(dir + "/eval_tokens.npy");
    std::optional<mixq::conversion> c;
    if (std::string(preset) != "fp32") c = mixq::convert(f, mixq::presets::get(preset, mixq::presets::family::itera_lite));
    const auto w = c ? mixq::weights_of(*c) : mixq::checkpoint_weights(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    mixq::perplexity_result r;
    for (auto _ : state) r = mixq::evaluate_perplexity(model, tokens, {.threads = static_cast<int>(state.range(0))});
    state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(r.tokens_scored) * static_cast<double>(state.iterations()),
                                                        benchmark::Counter::kIsRate);
    state.counters["perplexity"] = r.perplexity;
}
}  // namespace

BENCHMARK_CAPTURE(eval, fp32, "fp32")->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(eval, conservative, "conservative")->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(eval, int8_linear, "int8-linear")->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);
BENCHMARK_MAIN();
