// Tests include/mixq/quant/gemv_reference.hpp and int4_pack.hpp against a double-precision product, awkward shapes.
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/quant/gemv_reference.hpp>
#include <mixq/quant/symmetric.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/gemv_check.hpp"

namespace {
struct shape {
    std::int64_t N, K, batch;
};
// K = 1, 7, 4095, 4097 and N = 1, 3, 50280, as the kernels will see them.
const shape shapes[] = {{1, 1, 8}, {3, 7, 5}, {3, 4095, 8}, {1, 4097, 3}, {50280, 7, 2}, {7, 4097, 1}};  // 50280 x 4097: GPU test

// The host reference's result as the oracle reads it.
auto at(const xt::xtensor<float, 2>& y) {
    return [&y](std::int64_t b, std::int64_t n) { return y(std::size_t(b), std::size_t(n)); };
}
}  // namespace

TEST_CASE("int8 host GEMV reference matches a double-precision product", "[gemv_reference]") {
    std::uint32_t seed = 10;
    for (const auto& [N, K, batch] : shapes) {
        INFO("N=" << N << " K=" << K << " batch=" << batch);
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.2f, 0.01);
        const auto q = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, N);
        const auto x = mixq::test::random_weights(static_cast<std::size_t>(batch * K), ++seed, 1.0f, 0.0);
        const auto y = mixq::gemv_int8_reference(q.codes, q.scales, x, N, K, batch);
        REQUIRE(y.shape()[0] == static_cast<std::size_t>(batch));
        mixq::test::check_gemv_against_double(at(y), x, N, K, batch, [&](auto n, auto k) { return q.dequantize(n, k); });
    }
}

TEST_CASE("int4 packing: low nibble first, codes in [-8, 7], error within scale/2, odd K padded", "[int4]") {
    const std::vector<float> w{0.7f, -0.7f, 0.1f, 0.0f, -0.35f};  // one row, K = 5 (odd)
    const auto m = mixq::quantize_int4(w, 1, 5, 64);
    REQUIRE(m.packed.size() == 3);
    CHECK(m.scales[0] == 0.1f);  // 0.7 / 7
    CHECK(m.code(0, 0) == 7);
    CHECK(m.code(0, 1) == -7);
    CHECK((m.packed[0] & 0xf) == 7);          // element 0 in the low nibble
    CHECK((m.packed[0] >> 4) == (-7 & 0xf));  // element 1 in the high nibble
    CHECK((m.packed[2] >> 4) == 0);           // padding nibble of the odd K
    std::uint32_t seed = 50;
    for (std::int64_t group : {32, 64, 128})
        for (auto [N, K] : {std::pair<std::int64_t, std::int64_t>{3, 7}, {2, 4097}, {5, 129}}) {
            const auto v = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.3f, 0.0);
            const auto q = mixq::quantize_int4(v, N, K, group);
            CHECK(q.groups() == (K + group - 1) / group);
            for (std::int64_t n = 0; n < N; ++n)
                for (std::int64_t k = 0; k < K; ++k) {
                    REQUIRE(q.code(n, k) >= -8);
                    REQUIRE(q.code(n, k) <= 7);
                    REQUIRE(std::fabs(q.dequantize(n, k) - v[static_cast<std::size_t>(n * K + k)]) <= 0.5f * q.scale(n, k) * (1 + 1e-5f));
                }
        }
    CHECK_THROWS_AS(mixq::quantize_int4(w, 1, 5, 16), mixq::error);
}

TEST_CASE("int4 host GEMV reference matches a double-precision product", "[gemv_reference]") {
    std::uint32_t seed = 70;
    for (const auto& [N, K, batch] : shapes) {
        if (N * K > 1'000'000) continue;  // the int4 reference reads nibbles one by one: keep it quick
        for (std::int64_t group : {32, 64, 128}) {
            INFO("N=" << N << " K=" << K << " group=" << group);
            const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), ++seed, 0.2f, 0.0);
            const auto m = mixq::quantize_int4(w, N, K, group);
            const auto x = mixq::test::random_weights(static_cast<std::size_t>(batch * K), ++seed, 1.0f, 0.0);
            const auto y = mixq::gemv_int4_reference(m, x, batch);
            mixq::test::check_gemv_against_double(at(y), x, N, K, batch, [&](auto n, auto k) { return m.dequantize(n, k); });
        }
    }
}
