// Tests include/mixq/model/selective_scan.hpp against a sequential double-precision scan: awkward lengths, d_state 8 and 16.
#include <cmath>
#include <mixq/model/selective_scan.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("selective scan matches a double-precision recurrence", "[selective_scan]") {
    std::uint32_t seed = 500;
    for (std::int64_t L : {1, 2, 127, 128, 2049})
        for (std::int64_t N : {8, 16})
            for (bool with_d : {false, true}) {
                const std::int64_t di = 37;  // not a multiple of any SIMD width
                INFO("L=" << L << " N=" << N << " D=" << with_d);
                const auto u = mixq::test::random_weights(static_cast<std::size_t>(L * di), ++seed, 1.0f, 0.0);
                auto dt = mixq::test::random_weights(static_cast<std::size_t>(L * di), ++seed, 0.5f, 0.0);
                for (auto& v : dt) v = std::log1p(std::exp(v - 2.0f));  // positive, like softplus outputs
                const auto BC = mixq::test::random_weights(static_cast<std::size_t>(L * 2 * N), ++seed, 1.0f, 0.0);
                auto A_log = mixq::test::random_weights(static_cast<std::size_t>(di * N), ++seed, 0.5f, 0.0);
                const auto D = mixq::test::random_weights(static_cast<std::size_t>(di), ++seed, 1.0f, 0.0);
                std::vector<float> A_t(static_cast<std::size_t>(N * di));
                for (std::int64_t c = 0; c < di; ++c)
                    for (std::int64_t n = 0; n < N; ++n) A_t[static_cast<std::size_t>(n * di + c)] = -std::exp(A_log[static_cast<std::size_t>(c * N + n)]);
                std::vector<float> y(static_cast<std::size_t>(L * di)), state(static_cast<std::size_t>(N * di), 0.0f);
                mixq::selective_scan(u.data(), dt.data(), BC.data(), BC.data() + N, 2 * N, A_t.data(), with_d ? D.data() : nullptr,
                                     y.data(), state.data(), L, di, N);
                std::vector<double> s(static_cast<std::size_t>(di * N), 0.0);
                double max_err = 0, max_y = 0;
                for (std::int64_t t = 0; t < L; ++t)
                    for (std::int64_t c = 0; c < di; ++c) {
                        const auto i = static_cast<std::size_t>(t * di + c);
                        double acc = with_d ? static_cast<double>(D[static_cast<std::size_t>(c)]) * u[i] : 0.0;
                        for (std::int64_t n = 0; n < N; ++n) {
                            auto& sv = s[static_cast<std::size_t>(c * N + n)];
                            const double a = A_t[static_cast<std::size_t>(n * di + c)];
                            sv = std::exp(static_cast<double>(dt[i]) * a) * sv + static_cast<double>(dt[i]) * BC[static_cast<std::size_t>(t * 2 * N + n)] * u[i];
                            acc += sv * BC[static_cast<std::size_t>(t * 2 * N + N + n)];
                        }
                        max_err = std::max(max_err, std::fabs(acc - y[i]));
                        max_y = std::max(max_y, std::fabs(acc));
                    }
                CHECK(max_err <= 1e-5 * std::max(1.0, max_y));
                for (std::int64_t c = 0; c < di; ++c)  // the final state is returned for decoding to continue
                    for (std::int64_t n = 0; n < N; ++n)
                        REQUIRE(std::fabs(state[static_cast<std::size_t>(n * di + c)] - s[static_cast<std::size_t>(c * N + n)]) <=
                                1e-5 * std::max(1.0, std::fabs(s[static_cast<std::size_t>(c * N + n)])));
            }
}

TEST_CASE("causal conv1d sees only the past", "[selective_scan]") {
    const std::int64_t L = 6, di = 3, K = 4;
    std::vector<float> xs(L * di, 0.0f);
    xs[3 * di + 1] = 1.0f;  // an impulse at t = 3, channel 1
    std::vector<float> w(di * K), b(di, 0.0f);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i + 1);
    mixq::causal_conv1d_silu(xs.data(), L, di, w.data(), b.data(), K);
    auto silu = [](double v) { return v / (1 + std::exp(-v)); };
    for (std::int64_t t = 0; t < L; ++t) {
        // out[t] = Σ_k w[k] x[t - 3 + k]: the impulse at 3 reaches t = 3..6 through w[3], w[2], w[1], ...
        const double pre = t >= 3 ? w[static_cast<std::size_t>(1 * K + (K - 1 - (t - 3)))] : 0.0;
        CHECK(xs[static_cast<std::size_t>(t * di + 1)] == Approx(silu(pre)).epsilon(1e-6));
        CHECK(xs[static_cast<std::size_t>(t * di + 0)] == 0.0f);
    }
}
