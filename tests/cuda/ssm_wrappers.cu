// GPU test wrappers of the SSM kernels: device memory, conversions and launches behind a plain C++ interface.
#include <mixq/cuda/causal_conv1d.cuh>
#include <mixq/cuda/selective_scan.cuh>

#include "device_buffer.cuh"
#include "ssm_wrappers.hpp"

namespace mixq::test::gpu {
namespace {

// Column t of a [rows, L] matrix.
std::vector<float> column(const std::vector<float>& m, int rows, int L, int t) {
    std::vector<float> c(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) c[static_cast<std::size_t>(r)] = m[static_cast<std::size_t>(r) * L + t];
    return c;
}

template <class T>
mixq::cuda::selective_scan_args<T> scan_args(const scan_call& c) {
    mixq::cuda::selective_scan_args<T> a;
    a.batch = c.batch;
    a.d_inner = c.d_inner;
    a.d_state = c.d_state;
    a.L = c.L;
    a.delta_softplus = c.delta_softplus;
    return a;
}
}  // namespace

std::vector<std::pair<int, int>> scan_block_shapes() {
    std::vector<std::pair<int, int>> r;
    for (const auto& s : mixq::cuda::scan_shapes) r.emplace_back(s.threads, s.items_per_thread);
    return r;
}

ssm_out selective_scan(const scan_call& c, act at) {
    return by_type(at, [&](auto tag) {
        using T = decltype(tag);
        auto u = upload<T>(c.u), delta = upload<T>(c.delta), B = upload<T>(c.B), C = upload<T>(c.C);
        auto A = upload<float>(c.A);
        const auto rows = static_cast<std::size_t>(c.batch) * c.d_inner;
        device_buffer<T> y(rows * c.L);
        device_buffer<float> state(rows * c.d_state);
        const optional_upload<float> D(c.D), bias(c.delta_bias), init(c.initial_state);
        const optional_upload<T> z(c.z);
        auto a = scan_args<T>(c);
        a.u = u.p, a.delta = delta.p, a.A = A.p, a.B = B.p, a.C = C.p, a.y = y.p, a.final_state = state.p;
        a.D = D.get(), a.z = z.get(), a.delta_bias = bias.get(), a.initial_state = init.get();
        if (c.threads)
            check(mixq::cuda::selective_scan(a, nullptr, mixq::cuda::scan_tuning{c.threads, c.items}), "selective_scan launch");
        else
            check(mixq::cuda::selective_scan(a), "selective_scan launch");
        check(cudaDeviceSynchronize(), "selective_scan");
        return ssm_out{download(y.p, rows * c.L), download(state.p, rows * c.d_state)};
    });
}

ssm_out selective_scan_by_decode(const scan_call& c, act at) {
    return by_type(at, [&](auto tag) {
        using T = decltype(tag);
        const int rows = c.batch * c.d_inner, bn = c.batch * c.d_state;
        auto A = upload<float>(c.A);
        const optional_upload<float> D(c.D), bias(c.delta_bias);
        auto state = upload<float>(c.initial_state.empty() ? std::vector<float>(static_cast<std::size_t>(rows) * c.d_state, 0.0f) : c.initial_state);
        device_buffer<T> y(static_cast<std::size_t>(rows));
        std::vector<float> ys(static_cast<std::size_t>(rows) * c.L);
        for (int t = 0; t < c.L; ++t) {
            auto x = upload<T>(column(c.u, rows, c.L, t)), dt = upload<T>(column(c.delta, rows, c.L, t));
            auto B = upload<T>(column(c.B, bn, c.L, t)), C = upload<T>(column(c.C, bn, c.L, t));
            const optional_upload<T> z(c.z.empty() ? std::vector<float>{} : column(c.z, rows, c.L, t));
            mixq::cuda::state_update_args<T> a;
            a.state = state.p, a.x = x.p, a.dt = dt.p, a.A = A.p, a.B = B.p, a.C = C.p, a.y = y.p;
            a.batch = c.batch, a.d_inner = c.d_inner, a.d_state = c.d_state;
            a.D = D.get(), a.z = z.get(), a.delta_bias = bias.get();
            a.delta_softplus = c.delta_softplus;
            check(mixq::cuda::selective_state_update(a), "selective_state_update launch");
            const auto yt = download(y.p, static_cast<std::size_t>(rows));
            for (int r = 0; r < rows; ++r) ys[static_cast<std::size_t>(r) * c.L + t] = yt[static_cast<std::size_t>(r)];
        }
        return ssm_out{ys, download(state.p, static_cast<std::size_t>(rows) * c.d_state)};
    });
}

const char* selective_scan_launch_error(const scan_call& c) {
    auto a = scan_args<float>(c);
    // Host addresses: only for arguments the library must refuse before launching anything.
    static float dummy_in = 0, dummy_out = 0;
    a.u = a.delta = a.B = a.C = a.A = &dummy_in;
    a.y = &dummy_out;
    const cudaError_t e = c.threads ? mixq::cuda::selective_scan(a, nullptr, mixq::cuda::scan_tuning{c.threads, c.items})
                                    : mixq::cuda::selective_scan(a);
    return cudaGetErrorName(e);
}

ssm_out causal_conv1d(const conv_call& c, act at) {
    return by_type(at, [&](auto tag) {
        using T = decltype(tag);
        const auto rows = static_cast<std::size_t>(c.batch) * c.d_inner;
        const auto state_len = rows * static_cast<std::size_t>(c.width - 1);
        auto x = upload<T>(c.x);
        auto w = upload<float>(c.w);
        const optional_upload<float> bias(c.bias), init(c.initial_state);
        device_buffer<float> final_state(state_len);
        device_buffer<T> out(rows * c.L);
        mixq::cuda::conv1d_args<T> a;
        a.x = x.p, a.w = w.p, a.out = out.p, a.batch = c.batch, a.d_inner = c.d_inner, a.L = c.L, a.width = c.width, a.silu = c.silu;
        a.bias = bias.get(), a.initial_state = init.get();
        a.final_state = c.in_place_state && init.present ? init.d.p : final_state.p;
        check(mixq::cuda::causal_conv1d(a), "causal_conv1d launch");
        check(cudaDeviceSynchronize(), "causal_conv1d");
        return ssm_out{download(out.p, rows * c.L), state_len ? download(a.final_state, state_len) : std::vector<float>{}};
    });
}

ssm_out causal_conv1d_by_decode(const conv_call& c, act at) {
    return by_type(at, [&](auto tag) {
        using T = decltype(tag);
        const int rows = c.batch * c.d_inner;
        const auto state_len = static_cast<std::size_t>(rows) * static_cast<std::size_t>(c.width - 1);
        auto w = upload<float>(c.w);
        const optional_upload<float> bias(c.bias);
        auto state = upload<float>(c.initial_state.empty() ? std::vector<float>(state_len, 0.0f) : c.initial_state);
        device_buffer<T> out(static_cast<std::size_t>(rows));
        std::vector<float> ys(static_cast<std::size_t>(rows) * c.L);
        for (int t = 0; t < c.L; ++t) {
            auto x = upload<T>(column(c.x, rows, c.L, t));
            mixq::cuda::conv1d_update_args<T> a;
            a.state = state.p, a.x = x.p, a.w = w.p, a.out = out.p, a.batch = c.batch, a.d_inner = c.d_inner, a.width = c.width;
            a.silu = c.silu;
            a.bias = bias.get();
            check(mixq::cuda::causal_conv1d_update(a), "causal_conv1d_update launch");
            const auto yt = download(out.p, static_cast<std::size_t>(rows));
            for (int r = 0; r < rows; ++r) ys[static_cast<std::size_t>(r) * c.L + t] = yt[static_cast<std::size_t>(r)];
        }
        return ssm_out{ys, state_len ? download(state.p, state_len) : std::vector<float>{}};
    });
}

}  // namespace mixq::test::gpu
