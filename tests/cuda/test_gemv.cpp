// GPU tests of include/mixq/cuda/gemv.cuh against the host reference (quant/gemv_reference.hpp).
#include <cmath>
#include <mixq/core/half.hpp>
#include <mixq/quant/gemv_reference.hpp>

#include "gemv_wrappers.hpp"
#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/within_bound.hpp"

namespace {
using mixq::test::gpu::act;
using mixq::test::gpu::gemv_config;

// x rounded to what the activation type can hold, so host and device multiply the same numbers.
std::vector<float> activations(std::size_t n, std::uint32_t seed, act a) {
    auto x = mixq::test::random_weights(n, seed, 1.0f, 0.0);
    for (auto& v : x) v = a == act::f16 ? mixq::round_to_half(v) : a == act::bf16 ? mixq::round_to_bf16(v) : v;
    return x;
}
// fp32 accumulation bound (order differs between host and device) plus the output's own rounding.
void compare(const std::vector<float>& got, const xt::xtensor<float, 2>& ref, const std::vector<double>& magnitude, act a, int K) {
    REQUIRE(got.size() == ref.size());
    const auto misses = mixq::test::misses_of(
        got.size(), [&](std::size_t i) { return got[i]; }, [&](std::size_t i) { return ref.data()[i]; },
        [&](std::size_t i) { return 2e-7 * (K + 64) * magnitude[i] + mixq::test::gpu::stored_rounding(a, ref.data()[i]) + 1e-30; });
    INFO(misses.describe() << " (index = batch row * N + output row)");
    REQUIRE(misses.count == 0);
}
// Σ_k |x[b, k] · w[n, k]| for every (b, n), from |w|: the scale of the fp32 accumulation error.
std::vector<double> magnitudes(const std::vector<float>& x, const std::vector<float>& abs_w, int N, int K, int batch) {
    std::vector<double> mag(static_cast<std::size_t>(batch) * N);
    for (int b = 0; b < batch; ++b)
        for (int n = 0; n < N; ++n) {
            const float* xr = x.data() + static_cast<std::size_t>(b) * K;
            const float* wr = abs_w.data() + static_cast<std::size_t>(n) * K;
            double s[4] = {};  // four chains: this runs over 10^9 products per test case at most
            int k = 0;
            for (; k + 4 <= K; k += 4)
                for (int j = 0; j < 4; ++j) s[j] += std::fabs(static_cast<double>(xr[k + j])) * wr[k + j];
            for (; k < K; ++k) s[0] += std::fabs(static_cast<double>(xr[k])) * wr[k];
            mag[static_cast<std::size_t>(b) * N + n] = (s[0] + s[1]) + (s[2] + s[3]);
        }
    return mag;
}
struct shape {
    int N, K;
};
// Odd K: rows at any byte (peeled heads, element loads of x, int4 chunks straddling groups). K = 2080 and
// 4096: 16-byte aligned rows and activations (16-byte x loads); 2080 ends in a partial int4 group. K a
// multiple of 64 (64, 192, 1088, 4096) with fp16 / bf16 activations: the tensor-core kernel, with row
// counts that leave its 32-row blocks partly empty and K steps that do not divide among its warps; 192 and
// 1088 end in a partial group of 128.
const shape shapes[] = {{1, 1},  {3, 7},       {3, 4095},   {1, 4097},  {5, 2080},
                        {3, 64}, {17, 1088},   {33, 4096},  {50280, 7}, {50280, 192}, {50280, 4097}};
// Every kernel: one row per warp (1 and 8 warps per block), several rows per warp, and the tensor-core
// kernel with 1, 3 and 8 warps splitting K (where it does not apply, the call takes one of the others).
const gemv_config configs[] = {{1, 9, 9, 1}, {8, 9, 9, 1}, {1, 1, 9, 1}, {8, 1, 9, 1}, {4, 9, 1, 1}, {4, 9, 1, 3}, {4, 9, 1, 8}};
}  // namespace

TEST_CASE("gpu: int8 GEMV equals the host reference on awkward shapes, batch 1..8, all activation types", "[gpu][gemv]") {
    std::uint32_t seed = 1;
    for (const auto [N, K] : shapes) {
        // One weight matrix per shape (random numbers are most of the host's time, which is the lent GPU's).
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(N) * K, ++seed, 0.2f, 0.01);
        std::vector<std::int8_t> codes(w.size());
        std::vector<float> scales(static_cast<std::size_t>(N)), abs_w(w.size());
        for (int n = 0; n < N; ++n) {
            const auto row = static_cast<std::size_t>(n) * K;
            float mx = 0;
            for (int k = 0; k < K; ++k) mx = std::max(mx, std::fabs(w[row + k]));
            const float scale = mx > 0 ? mx / 127 : 1;
            scales[static_cast<std::size_t>(n)] = scale;
            for (int k = 0; k < K; ++k) {
                // -128, which symmetric quantization never writes, in every 11th place: every code decodes.
                codes[row + k] = (row + k) % 11 == 5 ? std::int8_t{-128} : static_cast<std::int8_t>(std::nearbyint(w[row + k] / scale));
                abs_w[row + k] = std::fabs(codes[row + k] * scale);
            }
        }
        for (int batch = 1; batch <= 8; ++batch) {
            if (N * static_cast<long>(K) > 10'000'000 && batch != 1 && batch != 8) continue;  // keep the host side quick
            for (act a : {act::f32, act::f16, act::bf16}) {
                INFO("N=" << N << " K=" << K << " batch=" << batch << " act=" << static_cast<int>(a));
                const auto x = activations(static_cast<std::size_t>(batch) * K, ++seed, a);
                const auto ref = mixq::gemv_int8_reference(codes, scales, x, N, K, batch);
                const auto mag = magnitudes(x, abs_w, N, K, batch);
                for (const auto& c : configs) {
                    INFO("warps=" << c.warps_per_block << " multi_row_from_batch=" << c.multi_row_from_batch
                                  << " mma_from_batch=" << c.mma_from_batch << " mma_k_warps=" << c.mma_k_warps);
                    compare(mixq::test::gpu::gemv_int8(codes, scales, x, N, K, batch, a, c), ref, mag, a, K);
                }
            }
        }
    }
}

TEST_CASE("gpu: int4 GEMV (groups 64 and 128, fp32 and fp16 scales) equals the host reference", "[gpu][gemv]") {
    std::uint32_t seed = 100;
    for (const auto [N, K] : shapes) {
        const bool large = N * static_cast<long>(K) > 10'000'000;
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(N) * K, ++seed, 0.2f, 0.01);
        for (int group : {64, 128})
            for (bool half_scales : {false, true}) {
                // Keep the host side quick: the large shape runs groups 64 with fp16 scales and 128 with fp32
                // scales, fp32 activations, batch 1 and 8.
                if (large && (group == 64) != half_scales) continue;
                auto m = mixq::quantize_int4(w, N, K, group);
                // Codes -8 (never written by symmetric quantization) in every 7th byte, an odd K's padding
                // nibble included (the kernels must skip it): every code decodes.
                for (std::size_t i = 3; i < m.packed.size(); i += 7) m.packed[i] = 0x88;
                if (half_scales)
                    for (auto& s : m.scales) s = mixq::round_to_half(s);  // the device reads fp16 scales
                std::vector<float> abs_w(static_cast<std::size_t>(N) * K);
                for (int n = 0; n < N; ++n)
                    for (int k = 0; k < K; ++k) abs_w[static_cast<std::size_t>(n) * K + k] = std::fabs(m.dequantize(n, k));
                for (int batch : {1, 3, 8})
                    for (act a : {act::f32, act::f16, act::bf16}) {
                        if (large && (a != act::f32 || batch == 3)) continue;
                        const auto x = activations(static_cast<std::size_t>(batch) * K, ++seed, a);
                        INFO("N=" << N << " K=" << K << " group=" << group << " half_scales=" << half_scales << " batch=" << batch
                                  << " act=" << static_cast<int>(a));
                        const auto ref = mixq::gemv_int4_reference(m, x, batch);
                        const auto mag = magnitudes(x, abs_w, N, K, batch);
                        for (const auto& c : {gemv_config{4, 1, 9, 1}, gemv_config{4, 9, 9, 1}, gemv_config{4, 9, 1, 1}, gemv_config{4, 9, 1, 3}}) {
                            INFO("multi_row_from_batch=" << c.multi_row_from_batch << " mma_from_batch=" << c.mma_from_batch
                                                         << " mma_k_warps=" << c.mma_k_warps);
                            compare(mixq::test::gpu::gemv_int4(m.packed, m.scales, half_scales, group, x, N, K, batch, a, c), ref, mag, a, K);
                        }
                    }
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
    const gemv_config config{2, multi_row_from, 9, 1};
    const auto got = mixq::test::gpu::gemv_int4(m.packed, m.scales, false, 64, x, N, K, 2, act::f32, config);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(ref.data()[i]).epsilon(1e-4).margin(1e-5));
    std::vector<std::int8_t> codes(N * K, 3);
    const std::vector<float> scales(N, 0.5f);
    const auto y8 = mixq::test::gpu::gemv_int8(codes, scales, x, N, K, 2, act::f32, config);
    const auto r8 = mixq::gemv_int8_reference(codes, scales, x, N, K, 2);
    for (std::size_t i = 0; i < y8.size(); ++i) CHECK(y8[i] == Approx(r8.data()[i]).epsilon(1e-5).margin(1e-5));
}

TEST_CASE("gpu small: the tensor-core int8 and int4 kernels with two warps splitting K, for compute-sanitizer", "[gpu][small]") {
    const int N = 5, K = 192;  // one block, 27 of its 32 rows past N; three K steps over two warps
    const act a = GENERATE(act::f16, act::bf16);
    INFO("act=" << static_cast<int>(a));
    const auto w = mixq::test::random_weights(N * K, 9, 0.2f, 0.0);
    auto m = mixq::quantize_int4(w, N, K, 128);
    for (std::size_t i = 0; i < m.packed.size(); ++i) m.packed[i] = static_cast<std::uint8_t>(i * 73);  // all 16 codes
    const auto x = activations(3 * K, 10, a);
    const gemv_config config{4, 9, 1, 2};
    REQUIRE(mixq::test::gpu::gemv_takes_mma_path(K, 3, a, config));
    const auto got = mixq::test::gpu::gemv_int4(m.packed, m.scales, false, 128, x, N, K, 3, a, config);
    const auto ref = mixq::gemv_int4_reference(m, x, 3);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(ref.data()[i]).epsilon(1e-2).margin(1e-3));
    std::vector<std::int8_t> codes(N * K);
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::int8_t>(static_cast<int>(i * 37 % 256) - 128);
    const std::vector<float> scales{0.5f, 0.25f, 1.0f, 0.125f, 2.0f};
    const auto y8 = mixq::test::gpu::gemv_int8(codes, scales, x, N, K, 3, a, config);
    const auto r8 = mixq::gemv_int8_reference(codes, scales, x, N, K, 3);
    for (std::size_t i = 0; i < y8.size(); ++i) CHECK(y8[i] == Approx(r8.data()[i]).epsilon(1e-2).margin(1e-3));
}

TEST_CASE("gpu: the tensor-core path is taken exactly for fp16 / bf16 activations, K % 64 == 0 and batch >= mma_from_batch", "[gpu][gemv]") {
    const gemv_config from4{4, 9, 4, 2};
    CHECK(mixq::test::gpu::gemv_takes_mma_path(4096, 4, act::f16, from4));
    CHECK(mixq::test::gpu::gemv_takes_mma_path(64, 8, act::bf16, from4));
    CHECK_FALSE(mixq::test::gpu::gemv_takes_mma_path(4096, 3, act::f16, from4));
    CHECK_FALSE(mixq::test::gpu::gemv_takes_mma_path(4096, 8, act::f32, from4));
    CHECK_FALSE(mixq::test::gpu::gemv_takes_mma_path(4095, 8, act::f16, from4));
    CHECK_FALSE(mixq::test::gpu::gemv_takes_mma_path(2080, 8, act::bf16, from4));
}
