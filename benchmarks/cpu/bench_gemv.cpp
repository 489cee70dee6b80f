// The CPU int8 / int4 / nf4 / fp8 / ggml-block dequant-GEMV (batch 1..8, one thread) against OpenBLAS on the fp32 version
// of the same matrix in the same run: cblas_sgemv for batch 1, cblas_sgemm with n = batch above. Counters: GB/s of weight
// traffic and the speed-up over OpenBLAS (x_vs_openblas_fp32).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <chrono>
#include <mixq/calib/absmax.hpp>
#include <mixq/model/dequant_gemv.hpp>
#include <mixq/quant/lowbit.hpp>
#include <mixq/quant/symmetric.hpp>

#include "bench_data.hpp"

namespace {
using mixq::bench::randn;

// Median seconds of `reps` calls of f.
template <class F>
double median_s(F f, int reps) {
    std::vector<double> t(static_cast<std::size_t>(reps));
    f();
    for (auto& s : t) {
        const auto a = std::chrono::steady_clock::now();
        f();
        s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    }
    std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
    return t[static_cast<std::size_t>(reps / 2)];
}

double openblas_fp32_s(const std::vector<float>& w, const std::vector<float>& x, std::int64_t N, std::int64_t K, std::int64_t batch, int reps) {
    std::vector<float> y(static_cast<std::size_t>(batch * N));
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(1);
#endif
    return median_s(
        [&] {
            if (batch == 1)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(N), static_cast<int>(K), 1.0f, w.data(), static_cast<int>(K), x.data(), 1,
                            0.0f, y.data(), 1);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(batch), static_cast<int>(N), static_cast<int>(K), 1.0f,
                            x.data(), static_cast<int>(K), w.data(), static_cast<int>(K), 0.0f, y.data(), static_cast<int>(N));
            benchmark::DoNotOptimize(y.data());
        },
        reps);
}

enum class fmt { int8, int4_g128, int4_g64, nf4, fp8 };

template <fmt F>
void gemv(benchmark::State& state) {
    const auto N = state.range(0), K = state.range(1), batch = state.range(2);
    const int reps = N * K > 100'000'000 ? 5 : 21;
    const auto w = randn(static_cast<std::size_t>(N * K), 1), x = randn(static_cast<std::size_t>(batch * K), 2);
    std::vector<float> y(static_cast<std::size_t>(batch * N));
    double s = 0, bytes = 0;
    auto time = [&](auto call) {
        for (auto _ : state) {
            s = median_s([&] { call(); benchmark::DoNotOptimize(y.data()); }, reps);
            state.SetIterationTime(s);
        }
    };
    if constexpr (F == fmt::int4_g128 || F == fmt::int4_g64 || F == fmt::nf4) {
        const auto m = F == fmt::int4_g128 ? mixq::quantize_int4(w, N, K, 128)
                       : F == fmt::int4_g64 ? mixq::quantize_int4(w, N, K, 64)
                                            : mixq::groupwise<mixq::nf4, mixq::per_group<64>, mixq::absmax>{}.quantize(w, N);
        bytes = static_cast<double>(m.packed.size()) + 4.0 * static_cast<double>(m.scales.size());
        time([&] { mixq::gemv_packed4(m.view(), x.data(), batch, y.data()); });
    } else if constexpr (F == fmt::fp8) {
        const auto m = mixq::float8_per_channel<mixq::absmax>{}.quantize(w, N);
        bytes = static_cast<double>(m.codes.size()) + 4.0 * static_cast<double>(N);
        time([&] { mixq::gemv_fp8(m.codes.data(), m.scales, x.data(), batch, N, K, y.data()); });
    } else {
        const auto q = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, N);
        bytes = static_cast<double>(q.codes.size()) + 4.0 * static_cast<double>(N);
        time([&] { mixq::gemv_int8(q.codes.data(), q.scales, x.data(), batch, N, K, y.data()); });
    }
    state.counters["GB/s"] = bytes / s / 1e9;
    state.counters["x_vs_openblas_fp32"] = openblas_fp32_s(w, x, N, K, batch, reps) / s;
}

// ggml's block types read in place (gemv_blocks: each row chunk decoded by the type's decoder into L1).
template <mixq::gguf::ggml_type G>
void gemv_ggml(benchmark::State& state) {
    const auto N = state.range(0), K = state.range(1), batch = state.range(2);
    const int reps = N * K > 100'000'000 ? 5 : 21;
    const auto w = randn(static_cast<std::size_t>(N * K), 1), x = randn(static_cast<std::size_t>(batch * K), 2);
    const auto& ti = mixq::gguf::info(G);
    const auto q = mixq::bench::ggml_blocks(G, w, N, K);  // the baseline multiplies q.values in fp32
    std::vector<float> y(static_cast<std::size_t>(batch * N));
    const mixq::block_rows b{ti.dequantize, ti.block, ti.block_bytes};
    double s = 0;
    for (auto _ : state) {
        s = median_s([&] { mixq::gemv_blocks(b, q.bytes.data(), x.data(), batch, N, K, y.data()); benchmark::DoNotOptimize(y.data()); }, reps);
        state.SetIterationTime(s);
    }
    state.counters["GB/s"] = static_cast<double>(q.bytes.size()) / s / 1e9;
    state.counters["x_vs_openblas_fp32"] = openblas_fp32_s(q.values, x, N, K, batch, reps) / s;
}

// {N, K, batch}: 16384 x 16384 (fp32 1 GiB, int8 256 MiB: beyond the 300 MiB L3 this VM reports) and
// 4096 x 4096 (fp32 64 MiB), batch 1, 4, 8.
void args(benchmark::internal::Benchmark* b) {
    for (auto [N, K] : {std::pair{16384, 16384}, {4096, 4096}})
        for (int batch : {1, 4, 8}) b->Args({N, K, batch});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
}
}  // namespace

BENCHMARK(gemv<fmt::int8>)->Name("cpu_int8_gemv")->Apply(args);
BENCHMARK(gemv<fmt::int4_g128>)->Name("cpu_int4_g128_gemv")->Apply(args);
BENCHMARK(gemv<fmt::int4_g64>)->Name("cpu_int4_g64_gemv")->Apply(args);
BENCHMARK(gemv<fmt::nf4>)->Name("cpu_nf4_gemv")->Apply(args);
BENCHMARK(gemv<fmt::fp8>)->Name("cpu_fp8_e4m3_gemv")->Apply(args);
using gt = mixq::gguf::ggml_type;
BENCHMARK(gemv_ggml<gt::q8_0>)->Name("cpu_ggml_q8_0_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q4_0>)->Name("cpu_ggml_q4_0_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q5_0>)->Name("cpu_ggml_q5_0_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::iq4_nl>)->Name("cpu_ggml_iq4_nl_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q2_k>)->Name("cpu_ggml_q2_k_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q3_k>)->Name("cpu_ggml_q3_k_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q4_k>)->Name("cpu_ggml_q4_k_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q5_k>)->Name("cpu_ggml_q5_k_gemv")->Apply(args);
BENCHMARK(gemv_ggml<gt::q6_k>)->Name("cpu_ggml_q6_k_gemv")->Apply(args);
BENCHMARK_MAIN();
