// GPU tests of include/mixq/cuda/gemv.cuh against the host reference (quant/gemv_reference.hpp).
#include <cmath>
#include <mixq/core/half.hpp>
#include <mixq/quant/gemv_reference.hpp>

#include "gemv_wrappers.hpp"
#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
using mixq::test::gpu::act;

// x rounded to what the activation type can hold, so host and device multiply the same numbers.
std::vector<float> activations(std::size_t n, std::uint32_t seed, act a) {
    auto x = mixq::test::random_weights(n, seed, 1.0f, 0.0);
    for (auto& v : x) v = a == act::f16 ? mixq::round_to_half(v) : a == act::bf16 ? mixq::round_to_bf16(v) : v;
    return x;
}
// fp32 accumulation bound (order differs between host and device) plus the output's own rounding.
void compare(const std::vector<float>& got, const xt::xtensor<float, 2>& ref, const std::vector<double>& magnitude, act a, int K) {
    const double out_eps = a == act::f16 ? 1.0 / 2048 : a == act::bf16 ? 1.0 / 256 : 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double r = ref.data()[i];
        const double bound = 2e-7 * (K + 64) * magnitude[i] + out_eps * std::fabs(r) + 1e-30;
        REQUIRE(std::fabs(got[i] - r) <= bound);
    }
}
struct shape {
    int N, K;
};
// Odd K: rows at any byte (peeled heads, element loads of x, int4 chunks straddling groups). K = 2080 and
// 4096: 16-byte aligned rows and activations (16-byte x loads); 2080 ends in a partial int4 group.
const shape shapes[] = {{1, 1}, {3, 7}, {3, 4095}, {1, 4097}, {5, 2080}, {33, 4096}, {50280, 7}, {50280, 4097}};
}  // namespace

TEST_CASE("gpu: int8 GEMV equals the host reference on awkward shapes, batch 1..8, all activation types", "[gpu][gemv]") {
    std::uint32_t seed = 1;
    for (const auto [N, K] : shapes)
        for (int batch = 1; batch <= 8; ++batch) {
            if (N * static_cast<long>(K) > 10'000'000 && batch != 1 && batch != 8) continue;  // keep the host side quick
            const auto w = mixq::test::random_weights(static_cast<std::size_t>(N) * K, ++seed, 0.2f, 0.01);
            std::vector<std::int8_t> codes(w.size());
            std::vector<float> scales(static_cast<std::size_t>(N));
            for (int n = 0; n < N; ++n) {
                float mx = 0;
                for (int k = 0; k < K; ++k) mx = std::max(mx, std::fabs(w[static_cast<std::size_t>(n) * K + k]));
                scales[static_cast<std::size_t>(n)] = mx > 0 ? mx / 127 : 1;
                for (int k = 0; k < K; ++k)
                    codes[static_cast<std::size_t>(n) * K + k] =
                        static_cast<std::int8_t>(std::nearbyint(w[static_cast<std::size_t>(n) * K + k] / scales[static_cast<std::size_t>(n)]));
            }
            for (act a : {act::f32, act::f16, act::bf16}) {
                INFO("N=" << N << " K=" << K << " batch=" << batch << " act=" << static_cast<int>(a));
                const auto x = activations(static_cast<std::size_t>(batch) * K, ++seed, a);
                const auto ref = mixq::gemv_int8_reference(codes, scales, x, N, K, batch);
                std::vector<double> mag(static_cast<std::size_t>(batch) * N, 0.0);
                for (int b = 0; b < batch; ++b)
                    for (int n = 0; n < N; ++n)
                        for (int k = 0; k < K; ++k)
                            mag[static_cast<std::size_t>(b) * N + n] += std::fabs(x[static_cast<std::size_t>(b) * K + k] *
                                                                                  codes[static_cast<std::size_t>(n) * K + k] * scales[static_cast<std::size_t>(n)]);
                for (int warps : {1, 8})
                    for (int multi_row_from : {1, 9}) {  // several rows per warp where the rows allow; one row per warp
                        INFO("warps=" << warps << " multi_row_from_batch=" << multi_row_from);
                        compare(mixq::test::gpu::gemv_int8(codes, scales, x, N, K, batch, a, warps, multi_row_from), ref, mag, a, K);
                    }
            }
        }
}

TEST_CASE("gpu: int4 GEMV (groups 64 and 128, fp32 and fp16 scales) equals the host reference", "[gpu][gemv]") {
    std::uint32_t seed = 100;
    for (const auto [N, K] : shapes)
        for (int group : {64, 128})
            for (bool half_scales : {false, true})
                for (int batch : {1, 3, 8})
                    for (act a : {act::f32, act::f16, act::bf16}) {
                        // Keep the host side quick (it spends the lent GPU's time): the large shape runs fp32
                        // activations, batch 1 and 8, groups 64 with fp16 scales and 128 with fp32 scales.
                        if (N * static_cast<long>(K) > 10'000'000 && (a != act::f32 || batch == 3 || (group == 64) != half_scales)) continue;
                        const auto w = mixq::test::random_weights(static_cast<std::size_t>(N) * K, ++seed, 0.2f, 0.01);
                        auto m = mixq::quantize_int4(w, N, K, group);
                        if (half_scales)
                            for (auto& s : m.scales) s = mixq::round_to_half(s);  // the device reads fp16 scales
                        const auto x = activations(static_cast<std::size_t>(batch) * K, ++seed, a);
                        INFO("N=" << N << " K=" << K << " group=" << group << " half_scales=" << half_scales << " batch=" << batch
                                  << " act=" << static_cast<int>(a));
                        const auto ref = mixq::gemv_int4_reference(m, x, batch);
                        std::vector<double> mag(static_cast<std::size_t>(batch) * N, 0.0);
                        for (int b = 0; b < batch; ++b)
                            for (int n = 0; n < N; ++n)
                                for (int k = 0; k < K; ++k)
                                    mag[static_cast<std::size_t>(b) * N + n] += std::fabs(x[static_cast<std::size_t>(b) * K + k] * m.dequantize(n, k));
                        for (int multi_row_from : {1, 9}) {
                            INFO("multi_row_from_batch=" << multi_row_from);
                            compare(mixq::test::gpu::gemv_int4(m.packed, m.scales, half_scales, group, x, N, K, batch, a, 4, multi_row_from), ref,
                                    mag, a, K);
                        }
                    }
}

TEST_CASE("gpu small: a small int8 and int4 case for compute-sanitizer", "[gpu][small]") {
    const int N = 5;
    const int K = GENERATE(33, 96);  // rows at any byte; 16-byte aligned rows and activations
    INFO("K=" << K);
    const auto w = mixq::test::random_weights(N * K, 7, 0.2f, 0.0);
    const auto m = mixq::quantize_int4(w, N, K, 64);
    const auto x = activations(2 * K, 8, act::f32);
    const auto ref = mixq::gemv_int4_reference(m, x, 2);
    const int multi_row_from = GENERATE(1, 9);  // several rows per warp (where K allows), one row per warp
    INFO("multi_row_from_batch=" << multi_row_from);
    const auto got = mixq::test::gpu::gemv_int4(m.packed, m.scales, false, 64, x, N, K, 2, act::f32, 2, multi_row_from);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(ref.data()[i]).epsilon(1e-4).margin(1e-5));
    std::vector<std::int8_t> codes(N * K, 3);
    const std::vector<float> scales(N, 0.5f);
    const auto y8 = mixq::test::gpu::gemv_int8(codes, scales, x, N, K, 2, act::f32, 2, multi_row_from);
    const auto r8 = mixq::gemv_int8_reference(codes, scales, x, N, K, 2);
    for (std::size_t i = 0; i < y8.size(); ++i) CHECK(y8[i] == Approx(r8.data()[i]).epsilon(1e-5).margin(1e-5));
}
