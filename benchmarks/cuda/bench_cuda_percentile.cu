// GPU percentile calibration against full CUB sorts of the same keys, in one binary: per channel against
// cub::DeviceSegmentedRadixSort, per tensor against cub::DeviceRadixSort (the sorts alone are timed, on
// keys prepared beforehand, so the ratio understates the calibrator's advantage). fp32 inputs.
#include <benchmark/benchmark.h>

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>
#include <mixq/cuda/percentile.cuh>
#include <mixq/cuda/quantize.cuh>
#include <vector>

#include "cuda_timing.cuh"

namespace {
using mixq::bench::check;
using mixq::bench::copy_gbps;
using mixq::bench::device_pool;
using mixq::bench::median_ms;

// Normal(0, 0.05) weights with 0.1 % outliers (x 40), generated on the device from a counter hash
// (splitmix64, Box-Muller): 10^8 values in milliseconds instead of seconds of host time per benchmark.
__device__ __forceinline__ unsigned long long splitmix64(unsigned long long z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
__global__ void fill_weights(float* x, long long n) {
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x) {
        const unsigned long long h = splitmix64(static_cast<unsigned long long>(i));
        const float u1 = (static_cast<float>(h >> 40) + 1.0f) * 0x1p-24f;             // (0, 1]
        const float u2 = static_cast<float>((h >> 16) & 0xffffffull) * 0x1p-24f;      // [0, 1)
        const bool outlier = (h & 0xffffull) < 66;                                      // 0.1 %
        x[i] = (outlier ? 2.0f : 0.05f) * sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
    }
}
float* device_weights(device_pool& mem, std::size_t n) {
    float* d = mem.alloc<float>(n);
    fill_weights<<<1024, 256>>>(d, static_cast<long long>(n));
    check(cudaDeviceSynchronize());
    return d;
}
__global__ void abs_keys(const float* x, unsigned* k, long long n) {
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x)
        k[i] = __float_as_uint(fabsf(x[i]));
}
__global__ void row_offsets(int* o, int rows, int cols) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i <= rows) o[i] = i * cols;
}

void per_channel(benchmark::State& state) {
    const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1)), threads = static_cast<int>(state.range(2));
    const bool cache = state.range(3) != 0, sort = state.range(4) != 0;
    const std::size_t n = static_cast<std::size_t>(rows) * cols;
    device_pool mem;
    float* x = device_weights(mem, n);
    float *clip = mem.alloc<float>(rows), *scales = mem.alloc<float>(rows);
    auto* bad = mem.alloc<unsigned>(1);
    // sort: the whole-row block sort (threads and cache then do not apply); else the selection.
    const mixq::cuda::percentile_tuning t{threads, cache ? 1 << 30 : 0, sort ? mixq::cuda::percentile_tuning::sorted_cols_limit : 0};
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::percentile_per_channel(x, rows, cols, 99.99, clip, scales, bad, nullptr, t)); }, 20);
        state.SetIterationTime(ms / 1e3);
    }
    // Baseline: a full segmented sort of the same |x| keys (one segment per row).
    unsigned *keys = mem.alloc<unsigned>(n), *sorted = mem.alloc<unsigned>(n);
    int* offsets = mem.alloc<int>(static_cast<std::size_t>(rows) + 1);
    abs_keys<<<1024, 256>>>(x, keys, static_cast<long long>(n));
    row_offsets<<<(rows + 256) / 256, 256>>>(offsets, rows, cols);
    std::size_t bytes = 0;
    check(cub::DeviceSegmentedRadixSort::SortKeys(nullptr, bytes, keys, sorted, static_cast<int>(n), rows, offsets, offsets + 1));
    void* temp = mem.alloc<unsigned char>(bytes);
    const double sort_ms = median_ms(
        [&] { check(cub::DeviceSegmentedRadixSort::SortKeys(temp, bytes, keys, sorted, static_cast<int>(n), rows, offsets, offsets + 1)); }, 10);
    state.counters["GB/s"] = static_cast<double>(n * sizeof(float)) / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * static_cast<double>(n * sizeof(float)) / (ms * 1e6) / copy_gbps();
    state.counters["x_vs_segmented_sort"] = sort_ms / ms;
}

void per_tensor(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    device_pool mem;
    float* x = device_weights(mem, n);
    float *clip = mem.alloc<float>(1), *scale = mem.alloc<float>(1);
    auto* bad = mem.alloc<unsigned>(1);
    std::size_t bytes = 0;
    check(mixq::cuda::percentile_per_tensor(nullptr, bytes, x, n, 99.99, clip, scale, bad));
    void* temp = mem.alloc<unsigned char>(bytes);
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::percentile_per_tensor(temp, bytes, x, n, 99.99, clip, scale, bad)); }, 20);
        state.SetIterationTime(ms / 1e3);
    }
    unsigned *keys = mem.alloc<unsigned>(n), *sorted = mem.alloc<unsigned>(n);
    abs_keys<<<1024, 256>>>(x, keys, static_cast<long long>(n));
    std::size_t sort_bytes = 0;
    check(cub::DeviceRadixSort::SortKeys(nullptr, sort_bytes, keys, sorted, n));
    void* sort_temp = mem.alloc<unsigned char>(sort_bytes);
    const double sort_ms = median_ms([&] { check(cub::DeviceRadixSort::SortKeys(sort_temp, sort_bytes, keys, sorted, n)); }, 10);
    state.counters["GB/s"] = static_cast<double>(n * sizeof(float)) / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * static_cast<double>(n * sizeof(float)) / (ms * 1e6) / copy_gbps();
    state.counters["x_vs_radix_sort"] = sort_ms / ms;
}

// The fused quantize of a 50280 x 2560 embedding with per-row scales: reads fp32, writes int8.
void quantize(benchmark::State& state) {
    const long long rows = state.range(0), cols = state.range(1);
    const auto n = static_cast<std::size_t>(rows * cols);
    device_pool mem;
    float* x = device_weights(mem, n);
    float* scales = mem.alloc<float>(static_cast<std::size_t>(rows));
    auto* q = mem.alloc<std::int8_t>(n);
    auto* err = mem.alloc<double>(1);
    std::vector<float> h(static_cast<std::size_t>(rows), 0.05f / 127);
    check(cudaMemcpy(scales, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice));
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::quantize_int8(x, scales, rows, cols, q, err)); }, 20);
        state.SetIterationTime(ms / 1e3);
    }
    const double traffic = static_cast<double>(n) * (sizeof(float) + 1);
    state.counters["GB/s"] = traffic / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * traffic / (ms * 1e6) / copy_gbps();
}
}  // namespace

// {rows, cols, threads, cache, sort}: the issue's two shapes (50280 x 2560; 8000 x 128, the fixture's
// embeddings), every block size, cache on / off; and the rows a block sort can take (up to 2048), sorted
// against selected, to set percentile_tuning::max_sorted_cols.
BENCHMARK(per_channel)
    ->Name("percentile_per_channel")
    ->ArgsProduct({{50280}, {2560}, {128, 256, 512}, {0, 1}, {0}})
    ->ArgsProduct({{8000}, {128}, {128, 256}, {1}, {0}})
    ->Args({8000, 128, 0, 0, 1})
    ->ArgsProduct({{50280}, {256, 512, 1024, 2048}, {256}, {1}, {0}})
    ->ArgsProduct({{50280}, {256, 512, 1024, 2048}, {0}, {0}, {1}})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(per_tensor)->Name("percentile_per_tensor")->Arg(100000000)->Arg(10000000)->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(quantize)->Name("quantize_int8_per_channel")->Args({50280, 2560})->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
    if (!mixq::bench::have_device()) return 0;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
