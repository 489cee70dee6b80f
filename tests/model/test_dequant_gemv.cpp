// Tests include/mixq/model/dequant_gemv.hpp against a double-precision product, and linear()'s choice of it.
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/model/dequant_gemv.hpp>
#include <mixq/model/linear.hpp>
#include <mixq/quant/symmetric.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/gemv_check.hpp"

namespace {
struct shape {
    std::int64_t N, K;
};
// K = 1, 7, 4095, 4097 (tails of every SIMD width and of the conversion chunk); N = 1, 3, 50280.
const shape shapes[] = {{1, 1}, {3, 7}, {3, 4095}, {1, 4097}, {50280, 7}, {50280, 129}};

// A [batch, N] row-major result as the oracle reads it.
auto at(const std::vector<float>& y, std::int64_t N) {
    return [&y, N](std::int64_t b, std::int64_t n) { return y[static_cast<std::size_t>(b * N + n)]; };
}
}  // namespace

TEST_CASE("CPU int8 GEMV matches a double-precision product, batch 1..8, per-row and per-tensor scales", "[dequant_gemv]") {
    std::uint32_t seed = 900;
    for (const auto& [N, K] : shapes)
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

TEST_CASE("CPU int4 GEMV matches a double-precision product, groups 64 and 128", "[dequant_gemv]") {
    std::uint32_t seed = 950;
    for (const auto& [N, K] : shapes)
        for (std::int64_t group : {64, 128})
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
