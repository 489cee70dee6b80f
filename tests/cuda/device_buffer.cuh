// Helpers of the .cu test wrappers: owned device buffers, upload / download through fp32, type dispatch.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "device.hpp"

namespace mixq::test::gpu {

inline void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

template <class T>
struct device_buffer {
    T* p = nullptr;
    // Poisoned with 0xff bytes, NaN in every floating type: an output element a kernel fails to write
    // fails the comparison, where a reused allocation would still hold the previous call's right answer.
    // Uploads, written whole at once, skip it.
    explicit device_buffer(std::size_t n, bool poison = true) {
        const std::size_t bytes = std::max<std::size_t>(n, 1) * sizeof(T);
        check(cudaMalloc(&p, bytes), "cudaMalloc");
        if (poison) check(cudaMemset(p, 0xff, bytes), "cudaMemset");
    }
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
// fp32 values stored as T on the device.
template <class T>
device_buffer<T> upload(const std::vector<float>& v) {
    std::vector<T> h(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) h[i] = convert<T>(v[i]);
    device_buffer<T> d(h.size(), false);
    check(cudaMemcpy(d.p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d;
}
template <class T>
device_buffer<T> upload_raw(const std::vector<T>& v) {
    device_buffer<T> d(v.size(), false);
    check(cudaMemcpy(d.p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d;
}
// An optional kernel input: a device copy when present; get() is null when the vector is empty.
template <class T>
struct optional_upload {
    bool present;
    device_buffer<T> d;
    explicit optional_upload(const std::vector<float>& v) : present(!v.empty()), d(upload<T>(v)) {}
    T* get() const { return present ? d.p : nullptr; }
};
template <class T>
std::vector<float> download(const T* d, std::size_t n) {
    std::vector<T> h(n);
    check(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy");
    std::vector<float> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = back(h[i]);
    return out;
}
// f(T{}) for the device type of `a`.
template <class F>
auto by_type(act a, F f) {
    switch (a) {
        case act::f32: return f(float{});
        case act::f16: return f(__half{});
        case act::bf16: return f(__nv_bfloat16{});
    }
    throw std::runtime_error("unknown activation type");
}

}  // namespace mixq::test::gpu
