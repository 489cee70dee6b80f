// Tests include/mixq/model/fp32_product.hpp: the measurement picks one product, and both agree with double.
#include <mixq/model/fp32_product.hpp>
#include <mixq/model/linear.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/gemv_check.hpp"

TEST_CASE("fp32 weights: both products agree with a double-precision product, the choice is stable in a process", "[fp32_product]") {
    const auto first = mixq::chosen_fp32_product();
    CHECK(mixq::chosen_fp32_product() == first);
    const auto measured = mixq::detail::measure_fp32_product();
    CHECK((measured == mixq::fp32_product::blas || measured == mixq::fp32_product::mixq));
    const std::int64_t T = 37, N = 129, K = 70;
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 31, 0.2f, 0.0);
    const auto x = mixq::test::random_weights(static_cast<std::size_t>(T * K), 32, 1.0f, 0.0);
    const mixq::stored_matrix m{"w", mixq::dtype::f32, N, K, std::as_bytes(std::span(w)), {}};
    std::vector<float> a(static_cast<std::size_t>(T * N)), b(a.size());
    mixq::linear(x.data(), T, m, a.data());
    mixq::dequant_gemm(x.data(), T, m, b.data());
    auto at = [](const std::vector<float>& y) { return [&y](std::int64_t t, std::int64_t n) { return y[static_cast<std::size_t>(t * 129 + n)]; }; };
    auto dq = [&](std::int64_t n, std::int64_t k) { return w[static_cast<std::size_t>(n * K + k)]; };
    mixq::test::check_gemv_against_double(at(a), x, N, K, T, dq);
    mixq::test::check_gemv_against_double(at(b), x, N, K, T, dq);
}
