// mixq's dequantizing product (int8 / fp16 / fp32 weights) against OpenBLAS cblas_sgemm on fp32, same shapes, same run.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <mixq/calib/absmax.hpp>
#include <mixq/model/linear.hpp>
#include <mixq/quant/symmetric.hpp>

#include "bench_data.hpp"

namespace {
using mixq::bench::randn;

// Shapes of the fixture's evaluation (16 windows x 128 tokens): lm_head, in_proj, out_proj.
void args(benchmark::internal::Benchmark* b) {
    b->Args({2048, 8000, 128})->Args({2048, 512, 128})->Args({2048, 128, 256})->Unit(benchmark::kMillisecond);
}

void set_flops(benchmark::State& s, std::int64_t T, std::int64_t N, std::int64_t K) {
    s.counters["GFLOPS"] = benchmark::Counter(2.0 * static_cast<double>(T * N * K) * static_cast<double>(s.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}

void openblas_sgemm_fp32(benchmark::State& s) {
    const auto T = s.range(0), N = s.range(1), K = s.range(2);
    const auto x = randn(static_cast<std::size_t>(T * K), 1), w = randn(static_cast<std::size_t>(N * K), 2);
    std::vector<float> y(static_cast<std::size_t>(T * N));
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(1);
#endif
    for (auto _ : s) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(T), static_cast<int>(N), static_cast<int>(K), 1.0f,
                    x.data(), static_cast<int>(K), w.data(), static_cast<int>(K), 0.0f, y.data(), static_cast<int>(N));
        benchmark::DoNotOptimize(y.data());
    }
    set_flops(s, T, N, K);
}

template <mixq::dtype D>
void mixq_dequant_gemm(benchmark::State& s) {
    const auto T = s.range(0), N = s.range(1), K = s.range(2);
    const auto x = randn(static_cast<std::size_t>(T * K), 1), w = randn(static_cast<std::size_t>(N * K), 2);
    std::vector<std::byte> bytes;
    mixq::stored_matrix m{"w", D, N, K, {}, {}};
    if constexpr (D == mixq::dtype::i8) {
        const auto q = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, N);
        bytes.resize(q.codes.size());
        std::memcpy(bytes.data(), q.codes.data(), bytes.size());
        m.scales = q.scales;
    } else if constexpr (D == mixq::dtype::f16) {
        bytes.resize(w.size() * 2);
        for (std::size_t i = 0; i < w.size(); ++i) {
            const auto h = mixq::float_to_half_bits(w[i]);
            std::memcpy(bytes.data() + 2 * i, &h, 2);
        }
    } else {
        bytes.resize(w.size() * 4);
        std::memcpy(bytes.data(), w.data(), bytes.size());
    }
    m.bytes = bytes;
    std::vector<float> y(static_cast<std::size_t>(T * N));
    for (auto _ : s) {
        mixq::dequant_gemm(x.data(), T, m, y.data());
        benchmark::DoNotOptimize(y.data());
    }
    set_flops(s, T, N, K);
}
}  // namespace

BENCHMARK(openblas_sgemm_fp32)->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::dtype::f32>)->Name("mixq_gemm_fp32")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::dtype::f16>)->Name("mixq_gemm_fp16")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::dtype::i8>)->Name("mixq_gemm_int8")->Apply(args);
BENCHMARK_MAIN();
