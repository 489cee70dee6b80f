// Helpers shared by the CUDA benchmarks: CUDA-event medians, the device's copy bandwidth, a device check,
// and device allocations freed together.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace mixq::bench {

inline void check(cudaError_t e) {
    if (e != cudaSuccess) {
        std::fprintf(stderr, "CUDA: %s\n", cudaGetErrorString(e));
        std::exit(1);
    }
}

// Median milliseconds of `reps` launches of f, each timed with CUDA events after a warm-up.
template <class F>
double median_ms(F f, int reps = 50) {
    cudaEvent_t a, b;
    check(cudaEventCreate(&a));
    check(cudaEventCreate(&b));
    for (int i = 0; i < std::min(reps, 5); ++i) f();
    std::vector<float> t(static_cast<std::size_t>(reps));
    for (auto& ms : t) {
        cudaEventRecord(a);
        f();
        cudaEventRecord(b);
        check(cudaEventSynchronize(b));
        cudaEventElapsedTime(&ms, a, b);
    }
    check(cudaGetLastError());
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
    return t[static_cast<std::size_t>(reps / 2)];
}

// Device-to-device copy of 1 GiB: bytes read + written per second (the roofline of a memory-bound kernel).
inline double copy_gbps() {
    static const double gbps = [] {
        const std::size_t n = std::size_t{1} << 30;
        void *src, *dst;
        check(cudaMalloc(&src, n));
        check(cudaMalloc(&dst, n));
        const double ms = median_ms([&] { cudaMemcpy(dst, src, n, cudaMemcpyDeviceToDevice); }, 20);
        cudaFree(src);
        cudaFree(dst);
        return 2.0 * static_cast<double>(n) / (ms * 1e6);
    }();
    return gbps;
}

// Device allocations of one benchmark, each filled with a byte pattern, all freed when the pool goes.
class device_pool {
public:
    device_pool() = default;
    device_pool(const device_pool&) = delete;
    device_pool& operator=(const device_pool&) = delete;
    ~device_pool() {
        for (void* p : ptrs_) cudaFree(p);
    }
    template <class V>
    V* alloc(std::size_t n, unsigned char fill = 0) {
        V* p = nullptr;
        check(cudaMalloc(&p, sizeof(V) * std::max<std::size_t>(n, 1)));
        ptrs_.push_back(p);
        check(cudaMemset(p, fill, sizeof(V) * n));
        return p;
    }

private:
    std::vector<void*> ptrs_;
};

// False (after saying so) when there is no device: the benchmark binaries then exit 0 with nothing measured.
inline bool have_device() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        std::printf("no CUDA device: nothing to benchmark\n");
        return false;
    }
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, 0));
    std::printf("device: %s; copy bandwidth (read + write): %.1f GB/s\n", p.name, copy_gbps());
    return true;
}

}  // namespace mixq::bench
