// int8 / int4 dequant-GEMV against the device's copy bandwidth and cuBLAS fp16 GEMV, in one binary.
// Times are medians of CUDA-event measurements; counters: GB/s of weight + activation traffic,
// % of copy bandwidth, and the speed-up over cuBLAS fp16 (cublasGemmEx with n = batch) on the same shape.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_fp16.h>

#include <mixq/cuda/gemv.cuh>
#include <vector>

#include "cuda_timing.cuh"

namespace {
using mixq::bench::check;
using mixq::bench::copy_gbps;
using mixq::bench::median_ms;

// cuBLAS fp16 GEMV as a GEMM with n = batch: y[N, batch] = W[N, K] · x[K, batch] (column-major views).
double cublas_fp16_ms(int N, int K, int batch) {
    static cublasHandle_t h = [] { cublasHandle_t x; cublasCreate(&x); return x; }();
    __half *W, *x, *y;
    check(cudaMalloc(&W, sizeof(__half) * std::size_t(N) * K));
    check(cudaMalloc(&x, sizeof(__half) * std::size_t(K) * batch));
    check(cudaMalloc(&y, sizeof(__half) * std::size_t(N) * batch));
    cudaMemset(W, 0x11, sizeof(__half) * std::size_t(N) * K);
    cudaMemset(x, 0x11, sizeof(__half) * std::size_t(K) * batch);
    const float one = 1.0f, zero = 0.0f;
    const double ms = median_ms([&] {
        cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, batch, K, &one, W, CUDA_R_16F, K, x, CUDA_R_16F, K, &zero, y, CUDA_R_16F, N,
                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    });
    cudaFree(W);
    cudaFree(x);
    cudaFree(y);
    return ms;
}

// Args {N, K, batch, warps_per_block, multi_row_from_batch, mma_from_batch, mma_k_warps}; 0 warps: the
// architecture's tuning.
template <bool Int4>
void gemv(benchmark::State& state) {
    const int N = static_cast<int>(state.range(0)), K = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
    const auto tuning = state.range(3) ? mixq::cuda::gemv_tuning{static_cast<int>(state.range(3)), static_cast<int>(state.range(4)),
                                                                 static_cast<int>(state.range(5)), static_cast<int>(state.range(6))}
                                       : mixq::cuda::default_gemv_tuning();
    const std::size_t wbytes = Int4 ? std::size_t(N) * ((K + 1) / 2) : std::size_t(N) * K;
    const int groups = (K + 127) / 128;
    void* W;
    float* scales;
    __half *x, *y;
    check(cudaMalloc(&W, wbytes));
    check(cudaMalloc(&scales, sizeof(float) * std::size_t(N) * groups));
    check(cudaMalloc(&x, sizeof(__half) * std::size_t(K) * batch));
    check(cudaMalloc(&y, sizeof(__half) * std::size_t(N) * batch));
    cudaMemset(W, 0x35, wbytes);
    cudaMemset(scales, 0x3c, sizeof(float) * std::size_t(N) * groups);  // 0.0115 each: timed on non-zero data
    cudaMemset(x, 0x11, sizeof(__half) * std::size_t(K) * batch);
    auto launch = [&] {
        if constexpr (Int4)
            check(mixq::cuda::gemv_int4<__half, __half, float>(static_cast<const std::uint8_t*>(W), scales, 128, x, y, N, K, batch, nullptr,
                                                               tuning));
        else
            check(mixq::cuda::gemv_int8<__half, __half>(static_cast<const std::int8_t*>(W), scales, x, y, N, K, batch, nullptr, tuning));
    };
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms(launch);
        state.SetIterationTime(ms / 1e3);
    }
    const double bytes = static_cast<double>(wbytes) + sizeof(float) * N * (Int4 ? groups : 1) + 2.0 * (K + N) * batch;
    state.counters["GB/s"] = bytes / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * bytes / (ms * 1e6) / copy_gbps();
    state.counters["x_vs_cublas_fp16"] = cublas_fp16_ms(N, K, batch) / ms;
    cudaFree(W);
    cudaFree(scales);
    cudaFree(x);
    cudaFree(y);
}

// {N, K}: the fixture's layers; Mamba-130M / 1.4B / 2.8B in_proj (d -> 4d), out_proj (2d -> d),
// x_proj (dt_rank + 2 d_state rows), lm_head (50280 x d); and a 16384 x 16384 square.
const std::vector<std::pair<int, int>> shapes{
    {512, 128},   {128, 256},   {24, 256},    {8000, 128},                                       // itera-lite-tiny
    {3072, 768},  {768, 1536},  {80, 1536},   {50280, 768},                                      // 130M
    {8192, 2048}, {2048, 4096}, {160, 4096},  {50280, 2048},                                     // 1.4B
    {10240, 2560}, {2560, 5120}, {192, 5120}, {50280, 2560},                                     // 2.8B
    {16384, 16384}};

void args(benchmark::internal::Benchmark* b) {
    for (const auto& [N, K] : shapes)
        for (int batch : {1, 8}) b->Args({N, K, batch, 0, 0, 0, 0});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
// To set gemv_tuning_sm90 from measurements, on a large, a wide and a small-K shape at batch 1, 4 and 8:
// the CUDA-core kernels by warps per block, one or several rows per warp (multi_row_from_batch 9 or 1) ...
const std::pair<int, int> tuning_shapes[] = {{16384, 16384}, {50280, 2560}, {3072, 768}};
void warps_args(benchmark::internal::Benchmark* b) {
    for (const auto& [N, K] : tuning_shapes)
        for (int batch : {1, 4, 8})
            for (int warps : {2, 4, 8, 16})
                for (int multi_row_from : {9, 1}) b->Args({N, K, batch, warps, multi_row_from, 9, 1});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
// ... and the tensor-core kernel (fp16 activations) by the warps splitting K.
void mma_args(benchmark::internal::Benchmark* b) {
    for (const auto& [N, K] : tuning_shapes)
        for (int batch : {1, 4, 8})
            for (int k_warps : {1, 2, 4, 8, 16}) b->Args({N, K, batch, 4, 9, 1, k_warps});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
}  // namespace

BENCHMARK(gemv<false>)->Name("int8_gemv")->Apply(args);
BENCHMARK(gemv<true>)->Name("int4_g128_gemv")->Apply(args);
BENCHMARK(gemv<false>)->Name("int8_gemv_by_warps")->Apply(warps_args);
BENCHMARK(gemv<true>)->Name("int4_g128_gemv_by_warps")->Apply(warps_args);
BENCHMARK(gemv<false>)->Name("int8_gemv_mma_by_k_warps")->Apply(mma_args);
BENCHMARK(gemv<true>)->Name("int4_g128_gemv_mma_by_k_warps")->Apply(mma_args);

int main(int argc, char** argv) {
    if (!mixq::bench::have_device()) return 0;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
