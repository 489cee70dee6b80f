// GPU test wrappers: device memory, conversions and launches behind a plain C++ interface.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <mixq/cuda/gemv.cuh>
#include <stdexcept>

#include "gemv_wrappers.hpp"

namespace mixq::test::gpu {
namespace {
void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
template <class T>
struct device_buffer {
    T* p = nullptr;
    explicit device_buffer(std::size_t n) { check(cudaMalloc(&p, std::max<std::size_t>(n, 1) * sizeof(T)), "cudaMalloc"); }
    ~device_buffer() { cudaFree(p); }
    device_buffer(device_buffer&& o) noexcept : p(o.p) { o.p = nullptr; }
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;
    device_buffer& operator=(device_buffer&&) = delete;
};
template <class T>
T convert(float v) {
    if constexpr (std::is_same_v<T, float>) return v;
    else if constexpr (std::is_same_v<T, __half>) return __float2half_rn(v);
    else return __float2bfloat16_rn(v);
}
template <class T>
float back(T v) {
    if constexpr (std::is_same_v<T, float>) return v;
    else if constexpr (std::is_same_v<T, __half>) return __half2float(v);
    else return __bfloat162float(v);
}
template <class T>
device_buffer<T> upload(const std::vector<float>& v) {
    std::vector<T> h(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) h[i] = convert<T>(v[i]);
    device_buffer<T> d(h.size());
    check(cudaMemcpy(d.p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d;
}
template <class T>
device_buffer<T> upload_raw(const std::vector<T>& v) {
    device_buffer<T> d(v.size());
    check(cudaMemcpy(d.p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d;
}
template <class T>
std::vector<float> download(const device_buffer<T>& d, std::size_t n) {
    std::vector<T> h(n);
    check(cudaMemcpy(h.data(), d.p, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy");
    std::vector<float> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = back(h[i]);
    return out;
}
template <class F>
std::vector<float> by_type(act a, F f) {
    switch (a) {
        case act::f32: return f(float{});
        case act::f16: return f(__half{});
        case act::bf16: return f(__nv_bfloat16{});
    }
    throw std::runtime_error("unknown activation type");
}
}  // namespace

bool device_available(std::string& why) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        why = cudaGetErrorString(e);
        return false;
    }
    if (n == 0) {
        why = "cudaGetDeviceCount reports 0 devices";
        return false;
    }
    return true;
}

std::string device_name() {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, 0), "cudaGetDeviceProperties");
    return p.name;
}

std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x,
                             int N, int K, int batch, act a, int warps_per_block) {
    return by_type(a, [&](auto t) {
        using T = decltype(t);
        auto dW = upload_raw(W);
        auto ds = upload_raw(scales);
        auto dx = upload<T>(x);
        device_buffer<T> dy(static_cast<std::size_t>(batch) * N);
        check(mixq::cuda::gemv_int8<T, T>(dW.p, ds.p, dx.p, dy.p, N, K, batch, nullptr, {warps_per_block}), "gemv_int8 launch");
        check(cudaDeviceSynchronize(), "gemv_int8");
        return download(dy, static_cast<std::size_t>(batch) * N);
    });
}

std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool half_scales, int group,
                             const std::vector<float>& x, int N, int K, int batch, act a, int warps_per_block) {
    return by_type(a, [&](auto t) {
        using T = decltype(t);
        auto dW = upload_raw(W);
        auto dx = upload<T>(x);
        device_buffer<T> dy(static_cast<std::size_t>(batch) * N);
        if (half_scales) {
            auto ds = upload<__half>(scales);
            check(mixq::cuda::gemv_int4<T, T, __half>(dW.p, ds.p, group, dx.p, dy.p, N, K, batch, nullptr, {warps_per_block}),
                  "gemv_int4 launch");
        } else {
            auto ds = upload_raw(scales);
            check(mixq::cuda::gemv_int4<T, T, float>(dW.p, ds.p, group, dx.p, dy.p, N, K, batch, nullptr, {warps_per_block}),
                  "gemv_int4 launch");
        }
        check(cudaDeviceSynchronize(), "gemv_int4");
        return download(dy, static_cast<std::size_t>(batch) * N);
    });
}

}  // namespace mixq::test::gpu
