// Selective scan (prefill), causal conv1d and the decode step against the device's copy bandwidth and a
// one-thread-per-channel sequential scan, in one binary. fp16 activations, fp32 state (Mamba's usual setup).
// Counters: GB/s of the minimum traffic (inputs read once, outputs written once), % of copy bandwidth,
// speed-up over the sequential kernel; decode: tokens per second per sequence.
#include <benchmark/benchmark.h>
#include <cuda_fp16.h>

#include <mixq/cuda/causal_conv1d.cuh>
#include <mixq/cuda/selective_scan.cuh>
#include <vector>

#include "cuda_timing.cuh"

namespace {
using mixq::bench::check;
using mixq::bench::copy_gbps;
using mixq::bench::median_ms;
using T = __half;

// The baseline a first CUDA port would write: one thread per (sequence, channel) walks the sequence.
template <int N>
__global__ void sequential_scan(mixq::cuda::selective_scan_args<T> p) {
    const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= static_cast<long>(p.batch) * p.d_inner) return;
    const int b = static_cast<int>(i / p.d_inner), c = static_cast<int>(i % p.d_inner);
    float s[N] = {};
    const std::size_t row = static_cast<std::size_t>(i) * p.L;
    for (int t = 0; t < p.L; ++t) {
        const float dt = mixq::cuda::kernels::effective_dt(__half2float(p.delta[row + t]), p.delta_bias[c], p.delta_softplus);
        const float u = __half2float(p.u[row + t]);
        float y = 0;
#pragma unroll
        for (int n = 0; n < N; ++n) {
            const std::size_t bc = (static_cast<std::size_t>(b) * N + n) * p.L + t;
            s[n] = expf(dt * p.A[c * N + n]) * s[n] + dt * __half2float(p.B[bc]) * u;
            y += s[n] * __half2float(p.C[bc]);
        }
        y += p.D[c] * u;
        p.y[row + t] = __float2half(y * mixq::cuda::kernels::silu(__half2float(p.z[row + t])));
    }
#pragma unroll
    for (int n = 0; n < N; ++n) p.final_state[static_cast<std::size_t>(i) * N + n] = s[n];
}

template <class V>
V* device_alloc(std::size_t n, unsigned char fill) {
    V* p;
    check(cudaMalloc(&p, sizeof(V) * std::max<std::size_t>(n, 1)));
    check(cudaMemset(p, fill, sizeof(V) * n));
    return p;
}

// All buffers of one prefill shape, with every option on (D, z, delta_bias, softplus, final state).
struct scan_buffers {
    mixq::cuda::selective_scan_args<T> a;
    std::size_t min_bytes = 0;
    scan_buffers(int batch, int d_inner, int d_state, int L) {
        const std::size_t seq = std::size_t(batch) * d_inner * L, bc = std::size_t(batch) * d_state * L;
        a.batch = batch, a.d_inner = d_inner, a.d_state = d_state, a.L = L;
        a.u = device_alloc<T>(seq, 0x31);      // 0x3131 as fp16: ~0.16
        a.delta = device_alloc<T>(seq, 0x20);  // small positive
        a.z = device_alloc<T>(seq, 0x31);
        a.y = device_alloc<T>(seq, 0);
        a.B = device_alloc<T>(bc, 0x31);
        a.C = device_alloc<T>(bc, 0x31);
        a.A = device_alloc<float>(std::size_t(d_inner) * d_state, 0xbf);  // negative
        a.D = device_alloc<float>(d_inner, 0x3f);
        a.delta_bias = device_alloc<float>(d_inner, 0);
        a.delta_softplus = true;
        a.final_state = device_alloc<float>(std::size_t(batch) * d_inner * d_state, 0);
        min_bytes = sizeof(T) * (4 * seq + 2 * bc) + sizeof(float) * (std::size_t(d_inner) * (d_state + 2) + std::size_t(batch) * d_inner * d_state);
    }
    ~scan_buffers() {
        for (const void* p : {static_cast<const void*>(a.u), static_cast<const void*>(a.delta), static_cast<const void*>(a.z),
                              static_cast<const void*>(a.y), static_cast<const void*>(a.B), static_cast<const void*>(a.C),
                              static_cast<const void*>(a.A), static_cast<const void*>(a.D), static_cast<const void*>(a.delta_bias),
                              static_cast<const void*>(a.final_state)})
            cudaFree(const_cast<void*>(p));
    }
    scan_buffers(const scan_buffers&) = delete;
    scan_buffers& operator=(const scan_buffers&) = delete;
};

void scan(benchmark::State& state) {
    const int d_inner = static_cast<int>(state.range(0)), d_state = static_cast<int>(state.range(1));
    const int batch = static_cast<int>(state.range(2)), L = static_cast<int>(state.range(3));
    scan_buffers buf(batch, d_inner, d_state, L);
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::selective_scan(buf.a)); });
        state.SetIterationTime(ms / 1e3);
    }
    const long n = static_cast<long>(batch) * d_inner;
    const double seq_ms = median_ms(
        [&] {
            if (d_state == 8) sequential_scan<8><<<static_cast<unsigned>((n + 127) / 128), 128>>>(buf.a);
            else sequential_scan<16><<<static_cast<unsigned>((n + 127) / 128), 128>>>(buf.a);
        },
        5);
    const auto t = mixq::cuda::default_scan_tuning(L);
    state.counters["GB/s"] = static_cast<double>(buf.min_bytes) / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * static_cast<double>(buf.min_bytes) / (ms * 1e6) / copy_gbps();
    state.counters["x_vs_sequential"] = seq_ms / ms;
    state.counters["threads"] = t.threads;
    state.counters["items"] = t.items_per_thread;
}

void conv1d(benchmark::State& state) {
    const int d_inner = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(2)), L = static_cast<int>(state.range(3));
    const std::size_t seq = std::size_t(batch) * d_inner * L;
    mixq::cuda::conv1d_args<T> a;
    a.batch = batch, a.d_inner = d_inner, a.L = L, a.width = 4, a.silu = true;
    a.x = device_alloc<T>(seq, 0x31);
    a.out = device_alloc<T>(seq, 0);
    a.w = device_alloc<float>(std::size_t(d_inner) * 4, 0x3e);
    a.bias = device_alloc<float>(d_inner, 0);
    a.final_state = device_alloc<float>(std::size_t(batch) * d_inner * 3, 0);
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::causal_conv1d(a)); });
        state.SetIterationTime(ms / 1e3);
    }
    const double bytes = 2.0 * sizeof(T) * static_cast<double>(seq) + sizeof(float) * 5.0 * d_inner;
    state.counters["GB/s"] = bytes / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * bytes / (ms * 1e6) / copy_gbps();
    for (const void* p : {static_cast<const void*>(a.x), static_cast<const void*>(a.out), static_cast<const void*>(a.w),
                          static_cast<const void*>(a.bias), static_cast<const void*>(a.final_state)})
        cudaFree(const_cast<void*>(p));
}

// One decode step of the SSM core: the conv update, then the state update (what each new token costs).
void decode(benchmark::State& state) {
    const int d_inner = static_cast<int>(state.range(0)), d_state = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
    const std::size_t rows = std::size_t(batch) * d_inner;
    mixq::cuda::conv1d_update_args<T> c;
    c.batch = batch, c.d_inner = d_inner, c.width = 4;
    c.state = device_alloc<float>(rows * 3, 0);
    c.x = device_alloc<T>(rows, 0x31);
    c.w = device_alloc<float>(std::size_t(d_inner) * 4, 0x3e);
    c.bias = device_alloc<float>(d_inner, 0);
    T* conv_out = device_alloc<T>(rows, 0);
    c.out = conv_out;
    mixq::cuda::state_update_args<T> s;
    s.batch = batch, s.d_inner = d_inner, s.d_state = d_state;
    s.state = device_alloc<float>(rows * d_state, 0);
    s.x = conv_out;
    s.dt = device_alloc<T>(rows, 0x20);
    s.A = device_alloc<float>(std::size_t(d_inner) * d_state, 0xbf);
    s.B = device_alloc<T>(std::size_t(batch) * d_state, 0x31);
    s.C = device_alloc<T>(std::size_t(batch) * d_state, 0x31);
    s.D = device_alloc<float>(d_inner, 0x3f);
    s.z = device_alloc<T>(rows, 0x31);
    s.delta_bias = device_alloc<float>(d_inner, 0);
    s.delta_softplus = true;
    s.y = device_alloc<T>(rows, 0);
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] {
            check(mixq::cuda::causal_conv1d_update(c));
            check(mixq::cuda::selective_state_update(s));
        });
        state.SetIterationTime(ms / 1e3);
    }
    const double bytes = static_cast<double>(rows) * (sizeof(float) * (2.0 * 3 + 2.0 * d_state) + sizeof(T) * 6.0);
    state.counters["tokens_per_s_per_seq"] = 1e3 / ms;
    state.counters["pct_of_copy_bw"] = 100.0 * bytes / (ms * 1e6) / copy_gbps();
    for (const void* p : {static_cast<const void*>(c.state), static_cast<const void*>(c.x), static_cast<const void*>(c.w),
                          static_cast<const void*>(c.bias), static_cast<const void*>(conv_out), static_cast<const void*>(s.state),
                          static_cast<const void*>(s.dt), static_cast<const void*>(s.A), static_cast<const void*>(s.B),
                          static_cast<const void*>(s.C), static_cast<const void*>(s.D), static_cast<const void*>(s.z),
                          static_cast<const void*>(s.delta_bias), static_cast<const void*>(s.y)})
        cudaFree(const_cast<void*>(p));
}

// {d_inner, d_state}: the fixture, Mamba-130M, 1.4B, 2.8B.
const std::pair<int, int> models[] = {{256, 8}, {1536, 16}, {4096, 16}, {5120, 16}};

void prefill_args(benchmark::internal::Benchmark* b) {
    for (const auto& [di, ds] : models)
        for (int batch : {1, 8})
            for (int L : {128, 2048, 8192}) b->Args({di, ds, batch, L});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
void decode_args(benchmark::internal::Benchmark* b) {
    for (const auto& [di, ds] : models)
        for (int batch : {1, 64}) b->Args({di, ds, batch});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
}  // namespace

BENCHMARK(scan)->Name("selective_scan_f16")->Apply(prefill_args);
BENCHMARK(conv1d)->Name("causal_conv1d_f16")->Apply(prefill_args);
BENCHMARK(decode)->Name("decode_step_f16")->Apply(decode_args);

int main(int argc, char** argv) {
    if (!mixq::bench::have_device()) return 0;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
