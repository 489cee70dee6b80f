// GPU test wrappers: device memory, conversions and launches behind a plain C++ interface.
#include <mixq/cuda/gemv.cuh>

#include "device_buffer.cuh"
#include "gemv_wrappers.hpp"

namespace mixq::test::gpu {
namespace {
mixq::cuda::gemv_tuning tuning(const gemv_config& c) { return {c.warps_per_block, c.multi_row_from_batch, c.mma_from_batch, c.mma_k_warps}; }
}  // namespace

std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x,
                             int N, int K, int batch, act a, gemv_config config) {
    return by_type(a, [&](auto t) {
        using T = decltype(t);
        auto dW = upload_raw(W);
        auto ds = upload_raw(scales);
        auto dx = upload<T>(x);
        device_buffer<T> dy(static_cast<std::size_t>(batch) * N);
        check(mixq::cuda::gemv_int8<T, T>(dW.p, ds.p, dx.p, dy.p, N, K, batch, nullptr, tuning(config)), "gemv_int8 launch");
        check(cudaDeviceSynchronize(), "gemv_int8");
        return download(dy.p, static_cast<std::size_t>(batch) * N);
    });
}

std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool half_scales, int group,
                             const std::vector<float>& x, int N, int K, int batch, act a, gemv_config config) {
    return by_type(a, [&](auto t) {
        using T = decltype(t);
        auto dW = upload_raw(W);
        auto dx = upload<T>(x);
        device_buffer<T> dy(static_cast<std::size_t>(batch) * N);
        if (half_scales) {
            auto ds = upload<__half>(scales);
            check(mixq::cuda::gemv_int4<T, T, __half>(dW.p, ds.p, group, dx.p, dy.p, N, K, batch, nullptr, tuning(config)),
                  "gemv_int4 launch");
        } else {
            auto ds = upload_raw(scales);
            check(mixq::cuda::gemv_int4<T, T, float>(dW.p, ds.p, group, dx.p, dy.p, N, K, batch, nullptr, tuning(config)),
                  "gemv_int4 launch");
        }
        check(cudaDeviceSynchronize(), "gemv_int4");
        return download(dy.p, static_cast<std::size_t>(batch) * N);
    });
}

bool gemv_takes_mma_path(int K, int batch, act a, gemv_config config) {
    return by_type(a, [&](auto t) {
        using T = decltype(t);
        device_buffer<T> x(static_cast<std::size_t>(batch) * K);  // cudaMalloc: 256-byte aligned
        return mixq::cuda::detail::use_mma(batch, tuning(config), x.p, x.p, K);
    });
}

}  // namespace mixq::test::gpu
