// Per-channel percentile calibration by selection vs the same computed with a full sort, in one binary.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <mixq/calib/percentile.hpp>
#include <random>
#include <vector>

namespace {
std::vector<float> weights(std::int64_t rows, std::int64_t cols) {
    std::mt19937 rng(42);
    std::normal_distribution<float> n(0.0f, 0.02f);
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (auto& x : w) x = n(rng);
    return w;
}

// Baseline: |row| copied and fully sorted, then the same linear interpolation.
double sorted_percentile(std::span<const float> row, double p, std::vector<float>& s) {
    s.resize(row.size());
    std::transform(row.begin(), row.end(), s.begin(), [](float x) { return std::fabs(x); });
    std::sort(s.begin(), s.end());
    const double idx = p / 100.0 * static_cast<double>(s.size() - 1);
    const auto lo = static_cast<std::size_t>(idx);
    const auto hi = std::min(lo + 1, s.size() - 1);
    return s[lo] + (static_cast<double>(s[hi]) - s[lo]) * (idx - static_cast<double>(lo));
}

template <bool Select>
void per_channel(benchmark::State& state) {
    const auto rows = state.range(0), cols = state.range(1);
    const auto w = weights(rows, cols);
    std::vector<float> scratch, out(static_cast<std::size_t>(rows));
    for (auto _ : state) {
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto row = std::span<const float>(w).subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols));
            out[static_cast<std::size_t>(r)] = static_cast<float>(
                Select ? mixq::abs_percentile(row, 99.99, scratch) : sorted_percentile(row, 99.99, scratch));
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * rows * cols * static_cast<std::int64_t>(sizeof(float)));
}
}  // namespace

BENCHMARK(per_channel<true>)->Name("percentile_select")->Args({8000, 128})->Args({50280, 2560})->Unit(benchmark::kMillisecond);
BENCHMARK(per_channel<false>)->Name("percentile_full_sort")->Args({8000, 128})->Args({50280, 2560})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
