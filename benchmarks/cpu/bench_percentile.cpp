// Per-channel percentile calibration (mixq: the top few values for a high percentile) against selection
// with nth_element, a full sort, and one max pass per row (the floor of reading the rows), in one binary.
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

// Baseline: the previous way, two selections (nth_element, then the minimum above it).
double selected_percentile(std::span<const float> row, double p, std::vector<float>& s) {
    const auto at = mixq::percentile_at(static_cast<std::int64_t>(row.size()), p);
    s.resize(row.size());
    std::transform(row.begin(), row.end(), s.begin(), [](float x) { return std::fabs(x); });
    auto nth = s.begin() + at.prev;
    std::nth_element(s.begin(), nth, s.end());
    const float b = at.next == at.prev ? *nth : *std::min_element(nth + 1, s.end());
    return mixq::percentile_lerp(*nth, b, at.gamma);
}

// Floor: the largest |w| of the row, one pass in 16 lanes (so that it vectorizes).
double row_max(std::span<const float> row, double, std::vector<float>&) {
    float m[16]{};
    std::size_t i = 0;
    for (; i + 16 <= row.size(); i += 16)
        for (std::size_t j = 0; j < 16; ++j) m[j] = std::max(m[j], std::fabs(row[i + j]));
    for (; i < row.size(); ++i) m[0] = std::max(m[0], std::fabs(row[i]));
    return *std::max_element(m, m + 16);
}

enum class how { mixq, select, sort, max };

template <how H>
void per_channel(benchmark::State& state) {
    const auto rows = state.range(0), cols = state.range(1);
    const auto w = weights(rows, cols);
    std::vector<float> scratch, out(static_cast<std::size_t>(rows));
    for (auto _ : state) {
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto row = std::span<const float>(w).subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols));
            double v = 0;
            if constexpr (H == how::mixq) v = mixq::abs_percentile(row, 99.99, scratch);
            if constexpr (H == how::select) v = selected_percentile(row, 99.99, scratch);
            if constexpr (H == how::sort) v = sorted_percentile(row, 99.99, scratch);
            if constexpr (H == how::max) v = row_max(row, 99.99, scratch);
            out[static_cast<std::size_t>(r)] = static_cast<float>(v);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * rows * cols * static_cast<std::int64_t>(sizeof(float)));
}
}  // namespace

BENCHMARK(per_channel<how::mixq>)->Name("percentile_mixq")->Args({8000, 128})->Args({50280, 2560})->Unit(benchmark::kMillisecond);
BENCHMARK(per_channel<how::select>)->Name("percentile_nth_element")->Args({8000, 128})->Args({50280, 2560})->Unit(benchmark::kMillisecond);
BENCHMARK(per_channel<how::sort>)->Name("percentile_full_sort")->Args({8000, 128})->Args({50280, 2560})->Unit(benchmark::kMillisecond);
BENCHMARK(per_channel<how::max>)->Name("row_max_floor")->Args({8000, 128})->Args({50280, 2560})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
