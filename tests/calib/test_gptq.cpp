// Tests include/mixq/calib/gptq.hpp: on correlated inputs GPTQ's output error is below round-to-nearest's;
// with H = I it is round-to-nearest; the Hessian accumulates XᵀX.
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/calib/gptq.hpp>
#include <mixq/quant/lowbit.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/layer_inputs.hpp"

using mixq::test::correlated_inputs;
using mixq::test::output_error;

TEST_CASE("the Hessian is XᵀX of the rows it was given, in double", "[gptq]") {
    const std::int64_t T = 37, K = 11;
    const auto x = correlated_inputs(T, K, 5);
    mixq::hessian H(K);
    mixq::accumulate(H, std::span(x).subspan(0, 20 * K), 20);
    mixq::accumulate(H, std::span(x).subspan(20 * K), T - 20);
    CHECK(H.samples == T);
    for (std::int64_t i = 0; i < K; ++i)
        for (std::int64_t j = 0; j < K; ++j) {
            double s = 0;
            for (std::int64_t t = 0; t < T; ++t) s += static_cast<double>(x[static_cast<std::size_t>(t * K + i)]) * x[static_cast<std::size_t>(t * K + j)];
            REQUIRE(H.at(i, j) == Approx(s).epsilon(1e-12));
        }
}

TEST_CASE("GPTQ lowers the layer's output error below round-to-nearest on correlated inputs", "[gptq]") {
    const std::int64_t T = 600, K = 131, N = 29;  // K: two full 64-groups and a short one
    const auto x = correlated_inputs(T, K, 7);
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 8, 0.05f, 0.0);
    mixq::hessian H(K);
    mixq::accumulate(H, x, T);
    using Q4 = mixq::groupwise<mixq::int4, mixq::per_group<64>, mixq::absmax>;
    const auto scales = Q4{}.scales(w, N);
    const auto groups = (K + 63) / 64;
    auto rt = [&](float v, std::int64_t r, std::int64_t c) {
        return mixq::int4_codec::roundtrip(v, scales[static_cast<std::size_t>(r * groups + c / 64)]);
    };
    std::vector<float> rtn(w.size());
    for (std::int64_t r = 0; r < N; ++r)
        for (std::int64_t c = 0; c < K; ++c) rtn[static_cast<std::size_t>(r * K + c)] = rt(w[static_cast<std::size_t>(r * K + c)], r, c);
    const double e_rtn = output_error(x, T, K, w, rtn, N);
    for (bool act_order : {false, true})
        for (std::int64_t block : {128, 16, 1}) {
            INFO("act_order " << act_order << " block " << block);
            const auto q = mixq::gptq_round(w, N, K, H, rt, {.damp = 0.01, .block = block, .act_order = act_order});
            for (std::size_t i = 0; i < q.size(); ++i)  // every value is one the format stores with its scale
                REQUIRE(rt(q[i], static_cast<std::int64_t>(i) / K, static_cast<std::int64_t>(i) % K) == q[i]);
            const double e = output_error(x, T, K, w, q, N);
            CHECK(e < 0.7 * e_rtn);
        }
    // The block size only reorders the same updates: results agree up to rounding of the updates.
    const auto a = mixq::gptq_round(w, N, K, H, rt, {.block = 128}), b = mixq::gptq_round(w, N, K, H, rt, {.block = 7});
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
    CHECK(differ <= a.size() / 200);
}

TEST_CASE("GPTQ with H = I is round-to-nearest", "[gptq]") {
    const std::int64_t K = 70, N = 9;
    mixq::hessian H(K);
    for (std::int64_t i = 0; i < K; ++i) H.h[static_cast<std::size_t>(i * K + i)] = 1.0;
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 9, 0.05f, 0.01);
    const auto s = mixq::float8_per_channel<mixq::absmax>{}.scales(w, N);
    auto rt = [&](float v, std::int64_t r, std::int64_t) { return mixq::fp8_e4m3_codec::roundtrip(v, s[static_cast<std::size_t>(r)]); };
    const auto q = mixq::gptq_round(w, N, K, H, rt);
    for (std::size_t i = 0; i < q.size(); ++i) REQUIRE(q[i] == rt(w[i], static_cast<std::int64_t>(i) / K, 0));
}

TEST_CASE("GPTQ: an input never seen keeps its column at round-to-nearest, shape mismatches are refused", "[gptq]") {
    const std::int64_t T = 50, K = 8, N = 3;
    auto x = correlated_inputs(T, K, 11);
    for (std::int64_t t = 0; t < T; ++t) x[static_cast<std::size_t>(t * K + 2)] = 0.0f;  // column 2: always zero
    mixq::hessian H(K);
    mixq::accumulate(H, x, T);
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 12, 0.05f, 0.0);
    auto rt = [](float v, std::int64_t, std::int64_t) { return mixq::int8_codec::roundtrip(v, 0.001f); };
    const auto q = mixq::gptq_round(w, N, K, H, rt);
    for (const float v : q) REQUIRE(std::isfinite(v));
    CHECK_THROWS_WITH(mixq::gptq_round(w, N, K + 1, mixq::hessian(K), rt, {}, "tensor 't'"), Catch::Contains("tensor 't'"));
    CHECK(mixq::describe(mixq::gptq_options{}) == "damp 0.01, block 128, act order off");
}
