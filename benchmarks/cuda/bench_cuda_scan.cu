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
using mixq::bench::device_pool;
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
        const float dt = mixq::cuda::detail::effective_dt(__half2float(p.delta[row + t]), p.delta_bias[c], p.delta_softplus);
        const float u = __half2float(p.u[row + t]);
        float y = 0;
#pragma unroll
        for (int n = 0; n < N; ++n) {
            const std::size_t bc = (static_cast<std::size_t>(b) * N + n) * p.L + t;
            s[n] = expf(dt * p.A[c * N + n]) * s[n] + dt * __half2float(p.B[bc]) * u;
            y += s[n] * __half2float(p.C[bc]);
        }
        y += p.D[c] * u;
        p.y[row + t] = __float2half(y * mixq::cuda::detail::silu(__half2float(p.z[row + t])));
    }
#pragma unroll
    for (int n = 0; n < N; ++n) p.final_state[static_cast<std::size_t>(i) * N + n] = s[n];
}

// All buffers of one prefill shape, with every option on (D, z, delta_bias, softplus, final state).
struct scan_buffers {
    device_pool mem;
    mixq::cuda::selective_scan_args<T> a;
    std::size_t min_bytes = 0;
    scan_buffers(int batch, int d_inner, int d_state, int L) {
        const std::size_t seq = std::size_t(batch) * d_inner * L, bc = std::size_t(batch) * d_state * L;
        a.batch = batch, a.d_inner = d_inner, a.d_state = d_state, a.L = L;
        a.u = mem.alloc<T>(seq, 0x31);      // 0x3131 as fp16: ~0.16
        a.delta = mem.alloc<T>(seq, 0x20);  // small positive
        a.z = mem.alloc<T>(seq, 0x31);
        a.y = mem.alloc<T>(seq, 0);
        a.B = mem.alloc<T>(bc, 0x31);
        a.C = mem.alloc<T>(bc, 0x31);
        a.A = mem.alloc<float>(std::size_t(d_inner) * d_state, 0xbf);  // negative
        a.D = mem.alloc<float>(d_inner, 0x3f);
        a.delta_bias = mem.alloc<float>(d_inner, 0);
        a.delta_softplus = true;
        a.final_state = mem.alloc<float>(std::size_t(batch) * d_inner * d_state, 0);
        min_bytes = sizeof(T) * (4 * seq + 2 * bc) + sizeof(float) * (std::size_t(d_inner) * (d_state + 2) + std::size_t(batch) * d_inner * d_state);
    }
};

// Args {d_inner, d_state, batch, L, i}: scan_shapes[i], or the architecture's tuning for i = -1.
void scan(benchmark::State& state) {
    const int d_inner = static_cast<int>(state.range(0)), d_state = static_cast<int>(state.range(1));
    const int batch = static_cast<int>(state.range(2)), L = static_cast<int>(state.range(3));
    const auto t = state.range(4) >= 0 ? mixq::cuda::scan_shapes[state.range(4)] : mixq::cuda::default_scan_tuning(L);
    scan_buffers buf(batch, d_inner, d_state, L);
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::selective_scan(buf.a, nullptr, t)); });
        state.SetIterationTime(ms / 1e3);
    }
    const long n = static_cast<long>(batch) * d_inner;
    const double seq_ms = median_ms(
        [&] {
            if (d_state == 8) sequential_scan<8><<<static_cast<unsigned>((n + 127) / 128), 128>>>(buf.a);
            else sequential_scan<16><<<static_cast<unsigned>((n + 127) / 128), 128>>>(buf.a);
        },
        5);
    state.counters["GB/s"] = static_cast<double>(buf.min_bytes) / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * static_cast<double>(buf.min_bytes) / (ms * 1e6) / copy_gbps();
    state.counters["x_vs_sequential"] = seq_ms / ms;
    state.counters["threads"] = t.threads;
    state.counters["items"] = t.items_per_thread;
}

void conv1d(benchmark::State& state) {
    const int d_inner = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(2)), L = static_cast<int>(state.range(3));
    const std::size_t seq = std::size_t(batch) * d_inner * L;
    device_pool mem;
    mixq::cuda::conv1d_args<T> a;
    a.batch = batch, a.d_inner = d_inner, a.L = L, a.width = 4, a.silu = true;
    a.x = mem.alloc<T>(seq, 0x31);
    a.out = mem.alloc<T>(seq, 0);
    a.w = mem.alloc<float>(std::size_t(d_inner) * 4, 0x3e);
    a.bias = mem.alloc<float>(d_inner, 0);
    a.final_state = mem.alloc<float>(std::size_t(batch) * d_inner * 3, 0);
    double ms = 0;
    for (auto _ : state) {
        ms = median_ms([&] { check(mixq::cuda::causal_conv1d(a)); });
        state.SetIterationTime(ms / 1e3);
    }
    const double bytes = 2.0 * sizeof(T) * static_cast<double>(seq) + sizeof(float) * 5.0 * d_inner;
    state.counters["GB/s"] = bytes / (ms * 1e6);
    state.counters["pct_of_copy_bw"] = 100.0 * bytes / (ms * 1e6) / copy_gbps();
}

// One decode step of the SSM core: the conv update, then the state update (what each new token costs).
void decode(benchmark::State& state) {
    const int d_inner = static_cast<int>(state.range(0)), d_state = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
    const std::size_t rows = std::size_t(batch) * d_inner;
    device_pool mem;
    mixq::cuda::conv1d_update_args<T> c;
    c.batch = batch, c.d_inner = d_inner, c.width = 4;
    c.state = mem.alloc<float>(rows * 3, 0);
    c.x = mem.alloc<T>(rows, 0x31);
    c.w = mem.alloc<float>(std::size_t(d_inner) * 4, 0x3e);
    c.bias = mem.alloc<float>(d_inner, 0);
    T* conv_out = mem.alloc<T>(rows, 0);
    c.out = conv_out;
    mixq::cuda::state_update_args<T> s;
    s.batch = batch, s.d_inner = d_inner, s.d_state = d_state;
    s.state = mem.alloc<float>(rows * d_state, 0);
    s.x = conv_out;
    s.dt = mem.alloc<T>(rows, 0x20);
    s.A = mem.alloc<float>(std::size_t(d_inner) * d_state, 0xbf);
    s.B = mem.alloc<T>(std::size_t(batch) * d_state, 0x31);
    s.C = mem.alloc<T>(std::size_t(batch) * d_state, 0x31);
    s.D = mem.alloc<float>(d_inner, 0x3f);
    s.z = mem.alloc<T>(rows, 0x31);
    s.delta_bias = mem.alloc<float>(d_inner, 0);
    s.delta_softplus = true;
    s.y = mem.alloc<T>(rows, 0);
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
}

// {d_inner, d_state}: the fixture, Mamba-130M, 1.4B, 2.8B.
const std::pair<int, int> models[] = {{256, 8}, {1536, 16}, {4096, 16}, {5120, 16}};

void prefill_args(benchmark::internal::Benchmark* b) {
    for (const auto& [di, ds] : models)
        for (int batch : {1, 8})
            for (int L : {128, 2048, 8192}) b->Args({di, ds, batch, L, -1});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
// Every compiled block shape on Mamba-1.4B's channels, to set scan_policy_sm90 from measurements.
void shape_args(benchmark::internal::Benchmark* b) {
    for (int L : {128, 2048, 8192})
        for (int i = 0; i < static_cast<int>(std::size(mixq::cuda::scan_shapes)); ++i) b->Args({4096, 16, 1, L, i});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
void decode_args(benchmark::internal::Benchmark* b) {
    for (const auto& [di, ds] : models)
        for (int batch : {1, 64}) b->Args({di, ds, batch});
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}
}  // namespace

BENCHMARK(scan)->Name("selective_scan_f16")->Apply(prefill_args);
BENCHMARK(scan)->Name("selective_scan_f16_by_shape")->Apply(shape_args);
BENCHMARK(conv1d)->Name("causal_conv1d_f16")->Apply(prefill_args);
BENCHMARK(decode)->Name("decode_step_f16")->Apply(decode_args);

int main(int argc, char** argv) {
    if (!mixq::bench::have_device()) return 0;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
