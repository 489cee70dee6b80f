// mixq's dequantizing product (int4 / nf4 / fp8 / int8 / fp16 / fp32 weights, ggml blocks) against OpenBLAS cblas_sgemm on
// fp32, same shapes, same run: each row also times OpenBLAS itself and reports x_vs_openblas_fp32.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <mixq/calib/absmax.hpp>
#include <mixq/model/linear.hpp>
#include <chrono>
#include <mixq/quant/lowbit.hpp>
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

void sgemm(const std::vector<float>& x, const std::vector<float>& w, std::vector<float>& y, std::int64_t T, std::int64_t N, std::int64_t K) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(T), static_cast<int>(N), static_cast<int>(K), 1.0f,
                x.data(), static_cast<int>(K), w.data(), static_cast<int>(K), 0.0f, y.data(), static_cast<int>(N));
}

// Seconds per OpenBLAS fp32 product of the same shape (best of 5, one thread), for the in-run ratio.
double openblas_seconds(const std::vector<float>& x, const std::vector<float>& w, std::int64_t T, std::int64_t N, std::int64_t K) {
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(1);
#endif
    std::vector<float> y(static_cast<std::size_t>(T * N));
    double best = 1e30;
    for (int i = 0; i < 5; ++i) {
        const auto a = std::chrono::steady_clock::now();
        sgemm(x, w, y, T, N, K);
        benchmark::DoNotOptimize(y.data());
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    }
    return best;
}

void openblas_sgemm_fp32(benchmark::State& s) {
    const auto T = s.range(0), N = s.range(1), K = s.range(2);
    const auto x = randn(static_cast<std::size_t>(T * K), 1), w = randn(static_cast<std::size_t>(N * K), 2);
    std::vector<float> y(static_cast<std::size_t>(T * N));
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(1);
#endif
    for (auto _ : s) {
        sgemm(x, w, y, T, N, K);
        benchmark::DoNotOptimize(y.data());
    }
    set_flops(s, T, N, K);
}

// Best-of seconds of mixq's dequant_gemm over the benchmark's iterations, with its GFLOPS counter.
double time_dequant_gemm(benchmark::State& s, const std::vector<float>& x, std::int64_t T, const mixq::stored_matrix& m) {
    std::vector<float> y(static_cast<std::size_t>(T * m.rows));
    double best = 1e30;
    for (auto _ : s) {
        const auto a = std::chrono::steady_clock::now();
        mixq::dequant_gemm(x.data(), T, m, y.data());
        benchmark::DoNotOptimize(y.data());
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    }
    set_flops(s, T, m.rows, m.cols);
    return best;
}

template <mixq::precision P>
void mixq_dequant_gemm(benchmark::State& s) {
    const auto T = s.range(0), N = s.range(1), K = s.range(2);
    const auto x = randn(static_cast<std::size_t>(T * K), 1), w = randn(static_cast<std::size_t>(N * K), 2);
    std::vector<std::byte> bytes;
    constexpr auto D = P == mixq::precision::int8       ? mixq::dtype::i8
                       : P == mixq::precision::fp16     ? mixq::dtype::f16
                       : P == mixq::precision::fp8_e4m3 ? mixq::dtype::f8_e4m3
                       : mixq::is_packed4(P)            ? mixq::dtype::u8
                                                        : mixq::dtype::f32;
    mixq::stored_matrix m{"w", D, N, K, {}, {}};
    auto keep = [&](const std::vector<std::uint8_t>& v) {
        bytes.resize(v.size());
        std::memcpy(bytes.data(), v.data(), v.size());
    };
    if constexpr (mixq::is_packed4(P)) {
        const auto q = P == mixq::precision::nf4 ? mixq::groupwise<mixq::nf4, mixq::per_group<64>, mixq::absmax>{}.quantize(w, N)
                                                 : mixq::quantize_int4(w, N, K, mixq::group_size(P));
        keep(q.packed);
        m.scales = q.scales;
        m.group = q.group;
        m.book = q.book;
    } else if constexpr (P == mixq::precision::fp8_e4m3) {
        const auto q = mixq::float8_per_channel<mixq::absmax>{}.quantize(w, N);
        keep(q.codes);
        m.scales = q.scales;
    } else if constexpr (D == mixq::dtype::i8) {
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
    const double best = time_dequant_gemm(s, x, T, m);
    s.counters["x_vs_openblas_fp32"] = openblas_seconds(x, w, T, N, K) / best;  // both best-of, same shape
}

// Mamba-130M's in_proj and out_proj on a 512-token window: rows the K-quants hold (K a multiple of 256).
void args_130m(benchmark::internal::Benchmark* b) { b->Args({512, 3072, 768})->Args({512, 768, 1536})->Unit(benchmark::kMillisecond); }

// ggml's block types read in place: dequant_gemm decodes each panel's rows with the type's decoder.
template <mixq::gguf::ggml_type G>
void mixq_gemm_ggml(benchmark::State& s) {
    const auto T = s.range(0), N = s.range(1), K = s.range(2);
    const auto x = randn(static_cast<std::size_t>(T * K), 1), w = randn(static_cast<std::size_t>(N * K), 2);
    const auto& ti = mixq::gguf::info(G);
    const auto q = mixq::bench::ggml_blocks(G, w, N, K);
    mixq::stored_matrix m{"w", mixq::dtype::u8, N, K, q.bytes, {}};
    m.blocks = {ti.dequantize, ti.block, ti.block_bytes};
    const double best = time_dequant_gemm(s, x, T, m);
    s.counters["x_vs_openblas_fp32"] = openblas_seconds(x, q.values, T, N, K) / best;
}
}  // namespace

BENCHMARK(openblas_sgemm_fp32)->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::precision::fp32>)->Name("mixq_gemm_fp32")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::precision::fp16>)->Name("mixq_gemm_fp16")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::precision::int8>)->Name("mixq_gemm_int8")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::precision::int4_g64>)->Name("mixq_gemm_int4_g64")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::precision::nf4>)->Name("mixq_gemm_nf4")->Apply(args);
BENCHMARK(mixq_dequant_gemm<mixq::precision::fp8_e4m3>)->Name("mixq_gemm_fp8_e4m3")->Apply(args);
BENCHMARK(mixq_gemm_ggml<mixq::gguf::ggml_type::q8_0>)->Name("mixq_gemm_ggml_q8_0")->Apply(args_130m);
BENCHMARK(mixq_gemm_ggml<mixq::gguf::ggml_type::q4_0>)->Name("mixq_gemm_ggml_q4_0")->Apply(args_130m);
BENCHMARK(mixq_gemm_ggml<mixq::gguf::ggml_type::q4_k>)->Name("mixq_gemm_ggml_q4_k")->Apply(args_130m);
BENCHMARK(mixq_gemm_ggml<mixq::gguf::ggml_type::q6_k>)->Name("mixq_gemm_ggml_q6_k")->Apply(args_130m);
BENCHMARK_MAIN();
