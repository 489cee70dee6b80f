// Tests include/mixq/model/dequant_gemv.hpp against a double-precision product, and linear()'s choice of it.
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/model/dequant_gemv.hpp>
#include <mixq/model/linear.hpp>
#include <mixq/quant/lowbit.hpp>
#include <mixq/quant/symmetric.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/gemv_check.hpp"

namespace {
struct gemv_shape {
    std::int64_t N, K;
};
// K = 1, 7, 4095, 4097 (tails of every SIMD width and of the conversion chunk); N = 1, 3, 50280.
const gemv_shape gemv_shapes[] = {{1, 1}, {3, 7}, {3, 4095}, {1, 4097}, {50280, 7}, {50280, 129}};

// A [batch, N] row-major result as the oracle reads it.
auto at(const std::vector<float>& y, std::int64_t N) {
    return [&y, N](std::int64_t b, std::int64_t n) { return y[static_cast<std::size_t>(b * N + n)]; };
}
}  // namespace

TEST_CASE("CPU int8 GEMV matches a double-precision product, batch 1..8, per-row and per-tensor scales", "[dequant_gemv]") {
    std::uint32_t seed = 900;
    for (const auto& [N, K] : gemv_shapes)
        for (std::int64_t batch = 1; batch <= 8; ++batch) {
            if (N * K > 100000 && batch != 1 && batch != 8) continue;  // keep the double product quick
            const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.2f, 0.01);
            const auto x = mixq::test::random_weights(static_cast<std::size_t>(batch * K), ++seed, 1.0f, 0.0);
            for (bool per_row : {true, false}) {
                INFO("N=" << N << " K=" << K << " batch=" << batch << " per_row=" << per_row);
                const auto q = per_row ? mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, N)
                                       : mixq::symmetric<mixq::int8, mixq::per_tensor, mixq::absmax>{}.quantize(w, N);
                std::vector<float> y(static_cast<std::size_t>(batch * N), NAN);
                mixq::gemv_int8(q.codes.data(), q.scales, x.data(), batch, N, K, y.data());
                mixq::test::check_gemv_against_double(at(y, N), x, N, K, batch, [&](auto n, auto k) { return q.dequantize(n, k); });
            }
        }
}

TEST_CASE("CPU int4 GEMV matches a double-precision product, groups 32, 64 and 128", "[dequant_gemv]") {
    std::uint32_t seed = 950;
    for (const auto& [N, K] : gemv_shapes)
        for (std::int64_t group : {32, 64, 128})
            for (std::int64_t batch : {1, 3, 8}) {
                INFO("N=" << N << " K=" << K << " group=" << group << " batch=" << batch);
                const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.2f, 0.01);
                const auto m = mixq::quantize_int4(w, N, K, group);
                const auto x = mixq::test::random_weights(static_cast<std::size_t>(batch * K), ++seed, 1.0f, 0.0);
                std::vector<float> y(static_cast<std::size_t>(batch * N), NAN);
                mixq::gemv_int4(m, x.data(), batch, y.data());
                mixq::test::check_gemv_against_double(at(y, N), x, N, K, batch, [&](auto n, auto k) { return m.dequantize(n, k); });
            }
}

TEST_CASE("CPU nf4 GEMV matches a double-precision product, every level decoded", "[dequant_gemv]") {
    std::uint32_t seed = 960;
    for (const auto& [N, K] : gemv_shapes)
        for (std::int64_t batch : {1, 2, 8}) {
            INFO("N=" << N << " K=" << K << " batch=" << batch);
            const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.2f, 0.01);
            const auto m = mixq::groupwise<mixq::nf4, mixq::per_group<64>, mixq::absmax>{}.quantize(w, N);
            const auto x = mixq::test::random_weights(static_cast<std::size_t>(batch * K), ++seed, 1.0f, 0.0);
            std::vector<float> y(static_cast<std::size_t>(batch * N), NAN);
            mixq::gemv_packed4(m.view(), x.data(), batch, y.data());
            mixq::test::check_gemv_against_double(at(y, N), x, N, K, batch, [&](auto n, auto k) { return m.dequantize(n, k); });
        }
    // All 16 nibbles in both halves of a byte, in the register path (K = 64) and the scalar tail (K = 33).
    for (std::int64_t K : {64, 33}) {
        mixq::packed4_matrix m{2, K, 64, {}, {0.5f, -1.25f}, mixq::codebook4::nf4};
        m.packed.resize(static_cast<std::size_t>(2 * m.row_bytes()));
        for (std::size_t i = 0; i < m.packed.size(); ++i) m.packed[i] = static_cast<std::uint8_t>((i * 37 + 11) & 0xff);
        if (K % 2) m.packed[static_cast<std::size_t>(m.row_bytes() - 1)] |= 0xf0;  // padding nibble set: must be ignored
        const auto x = mixq::test::random_weights(static_cast<std::size_t>(K), 977, 1.0f, 0.0);
        std::vector<float> y(2, NAN);
        mixq::gemv_packed4(m.view(), x.data(), 1, y.data());
        mixq::test::check_gemv_against_double(at(y, 2), x, 2, K, 1, [&](auto n, auto k) { return m.dequantize(n, k); });
    }
}

TEST_CASE("CPU fp8 e4m3 GEMV matches a double-precision product, every code decoded", "[dequant_gemv]") {
    std::uint32_t seed = 970;
    for (const auto& [N, K] : gemv_shapes)
        for (std::int64_t batch : {1, 5, 8}) {
            INFO("N=" << N << " K=" << K << " batch=" << batch);
            const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.2f, 0.01);
            const auto m = mixq::float8_per_channel<mixq::absmax>{}.quantize(w, N);
            const auto x = mixq::test::random_weights(static_cast<std::size_t>(batch * K), ++seed, 1.0f, 0.0);
            std::vector<float> y(static_cast<std::size_t>(batch * N), NAN);
            mixq::gemv_fp8(m.codes.data(), m.scales, x.data(), batch, N, K, y.data());
            mixq::test::check_gemv_against_double(at(y, N), x, N, K, batch, [&](auto n, auto k) { return m.dequantize(n, k); });
        }
    // Every finite code (subnormals and the extremes ±448 included), in 16-wide steps and a scalar tail.
    const std::int64_t N = 3, K = 86;  // 258 codes: all 256 once
    mixq::fp8_matrix m{N, K, {}, {1.0f, 0.001f, 37.0f}};
    for (std::int64_t i = 0; i < N * K; ++i) {
        auto b = static_cast<std::uint8_t>(i % 256);
        if ((b & 0x7f) == 0x7f) b = 0x00;  // no NaN codes
        m.codes.push_back(b);
    }
    const auto x = mixq::test::random_weights(static_cast<std::size_t>(K), 979, 1.0f, 0.0);
    std::vector<float> y(static_cast<std::size_t>(N), NAN);
    mixq::gemv_fp8(m.codes.data(), m.scales, x.data(), 1, N, K, y.data());
    mixq::test::check_gemv_against_double(at(y, N), x, N, K, 1, [&](auto n, auto k) { return m.dequantize(n, k); });
}

TEST_CASE("linear: 4-bit and fp8 weights take the GEMV for up to 8 rows and agree with the dequantizing GEMM", "[dequant_gemv]") {
    const std::int64_t N = 41, K = 515;
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 995, 0.2f, 0.01);
    const auto x = mixq::test::random_weights(static_cast<std::size_t>(9 * K), 996, 1.0f, 0.0);
    const auto i4 = mixq::groupwise<mixq::int4, mixq::per_group<32>, mixq::absmax>{}.quantize(w, N);
    const auto n4 = mixq::groupwise<mixq::nf4, mixq::per_group<64>, mixq::absmax>{}.quantize(w, N);
    const auto f8 = mixq::float8_per_channel<mixq::absmax>{}.quantize(w, N);
    auto bytes = [](const std::vector<std::uint8_t>& v) { return std::as_bytes(std::span(v)); };
    const mixq::stored_matrix ms[] = {
        {"int4", mixq::dtype::u8, N, K, bytes(i4.packed), i4.scales, 32, mixq::codebook4::int4},
        {"nf4", mixq::dtype::u8, N, K, bytes(n4.packed), n4.scales, 64, mixq::codebook4::nf4},
        {"fp8", mixq::dtype::f8_e4m3, N, K, bytes(f8.codes), f8.scales, 0, mixq::codebook4::int4},
    };
    for (const auto& m : ms) {
        INFO(m.name);
        auto dq = [&](std::int64_t n, std::int64_t k) {
            return m.name == "int4" ? i4.dequantize(n, k) : m.name == "nf4" ? n4.dequantize(n, k) : f8.dequantize(n, k);
        };
        std::vector<float> all(static_cast<std::size_t>(9 * N)), few(static_cast<std::size_t>(8 * N)), one(static_cast<std::size_t>(K));
        mixq::linear(x.data(), 9, m, all.data());  // 9 rows: the GEMM
        mixq::linear(x.data(), 8, m, few.data());  // 8 rows: the GEMV
        mixq::test::check_gemv_against_double(at(all, N), x, N, K, 9, dq);
        mixq::test::check_gemv_against_double(at(few, N), x, N, K, 8, dq);
        m.row(N - 1, one.data());  // an embedding lookup decodes just that row
        for (std::int64_t k = 0; k < K; ++k) REQUIRE(one[static_cast<std::size_t>(k)] == dq(N - 1, k));
    }
}

TEST_CASE("linear takes the GEMV for up to 8 rows of int8 and agrees with the GEMM path", "[dequant_gemv]") {
    const std::int64_t N = 37, K = 515;
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 990, 0.2f, 0.01);
    const auto q = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, N);
    std::vector<std::byte> bytes(q.codes.size());
    std::memcpy(bytes.data(), q.codes.data(), bytes.size());
    const mixq::stored_matrix m{"w", mixq::dtype::i8, N, K, bytes, q.scales};
    const auto x = mixq::test::random_weights(static_cast<std::size_t>(9 * K), 991, 1.0f, 0.0);
    std::vector<float> all(static_cast<std::size_t>(9 * N)), few(static_cast<std::size_t>(8 * N));
    mixq::linear(x.data(), 9, m, all.data());  // 9 rows: the GEMM
    mixq::linear(x.data(), 8, m, few.data());  // 8 rows: the GEMV
    for (std::int64_t b = 0; b < 8; ++b)
        for (std::int64_t n = 0; n < N; ++n) {  // both within fp32 accumulation error of the exact product
            double mag = 0;
            for (std::int64_t k = 0; k < K; ++k)
                mag += std::fabs(static_cast<double>(x[static_cast<std::size_t>(b * K + k)]) * q.dequantize(n, k));
            const auto i = static_cast<std::size_t>(b * N + n);
            REQUIRE(std::fabs(few[i] - all[i]) <= 4e-7 * static_cast<double>(K + 8) * mag);
        }
    REQUIRE_THROWS_WITH(mixq::gemv_int8(q.codes.data(), q.scales, x.data(), 9, N, K, all.data()),
                        "dequant GEMV: batch 9 is outside 1..8");
}
