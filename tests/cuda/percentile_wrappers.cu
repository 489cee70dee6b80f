// GPU test wrappers of the percentile calibrator and the fused int8 quantize: memory, conversions, launches.
#include <mixq/cuda/percentile.cuh>
#include <mixq/cuda/quantize.cuh>

#include "device_buffer.cuh"
#include "percentile_wrappers.hpp"

namespace mixq::test::gpu {

percentile_rows_out percentile_per_channel(const std::vector<float>& x, int rows, int cols, double p, act a, int threads,
                                           int max_cached_cols, int max_sorted_cols) {
    return by_type(a, [&](auto tag) {
        using T = decltype(tag);
        auto dx = upload<T>(x);
        device_buffer<float> clip(static_cast<std::size_t>(rows)), scales(static_cast<std::size_t>(rows));
        device_buffer<unsigned> bad(1);
        auto t = mixq::cuda::default_percentile_tuning();
        if (threads) t.threads = threads;
        if (max_cached_cols >= 0) t.max_cached_cols = max_cached_cols;
        if (max_sorted_cols >= 0) t.max_sorted_cols = max_sorted_cols;
        check(mixq::cuda::percentile_per_channel(dx.p, rows, cols, p, clip.p, scales.p, bad.p, nullptr, t), "percentile_per_channel launch");
        check(cudaDeviceSynchronize(), "percentile_per_channel");
        percentile_rows_out out{download(clip.p, static_cast<std::size_t>(rows)), download(scales.p, static_cast<std::size_t>(rows)), 0};
        check(cudaMemcpy(&out.first_bad_row, bad.p, sizeof(unsigned), cudaMemcpyDeviceToHost), "cudaMemcpy");
        return out;
    });
}

percentile_tensor_out percentile_per_tensor(const std::vector<float>& x, double p, act a) {
    return by_type(a, [&](auto tag) {
        using T = decltype(tag);
        auto dx = upload<T>(x);
        device_buffer<float> clip(1), scale(1);
        device_buffer<unsigned> bad(1);
        std::size_t bytes = 0;
        check(mixq::cuda::percentile_per_tensor(nullptr, bytes, dx.p, x.size(), p, clip.p, scale.p, bad.p), "percentile_per_tensor size");
        device_buffer<unsigned char> temp(bytes);
        check(mixq::cuda::percentile_per_tensor(temp.p, bytes, dx.p, x.size(), p, clip.p, scale.p, bad.p), "percentile_per_tensor launch");
        check(cudaDeviceSynchronize(), "percentile_per_tensor");
        percentile_tensor_out out;
        check(cudaMemcpy(&out.clip, clip.p, sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy");
        check(cudaMemcpy(&out.scale, scale.p, sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy");
        check(cudaMemcpy(&out.bad, bad.p, sizeof(unsigned), cudaMemcpyDeviceToHost), "cudaMemcpy");
        return out;
    });
}

quantize_out quantize_int8(const std::vector<float>& x, const std::vector<float>& scales, long long rows, long long cols, act a) {
    return by_type(a, [&](auto tag) {
        using T = decltype(tag);
        auto dx = upload<T>(x);
        auto ds = upload_raw(scales);
        device_buffer<std::int8_t> q(x.size());
        device_buffer<double> err(1);
        check(mixq::cuda::quantize_int8(dx.p, ds.p, rows, cols, q.p, err.p), "quantize_int8 launch");
        check(cudaDeviceSynchronize(), "quantize_int8");
        quantize_out out{std::vector<std::int8_t>(x.size()), 0.0};
        check(cudaMemcpy(out.q.data(), q.p, x.size(), cudaMemcpyDeviceToHost), "cudaMemcpy");
        check(cudaMemcpy(&out.max_abs_error, err.p, sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy");
        return out;
    });
}

}  // namespace mixq::test::gpu
