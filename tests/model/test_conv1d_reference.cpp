// Tests include/mixq/model/conv1d_reference.hpp: a double-precision direct sum, chunked prefill, and decode steps.
#include <cmath>
#include <mixq/model/conv1d_reference.hpp>
#include <mixq/model/selective_scan.hpp>
#include <xtensor/xview.hpp>

#include "support/catch.hpp"
#include "support/naive_scan.hpp"

using mixq::test::random_tensor;

TEST_CASE("conv1d reference matches a double-precision causal sum", "[ssm][conv1d]") {
    std::uint32_t seed = 300;
    for (std::size_t width : {1, 2, 4})
        for (std::size_t L : {1, 2, 3, 5, 130})
            for (bool silu : {false, true})
                for (bool with_bias : {false, true})
                    for (bool with_init : {false, true}) {
                        const std::size_t batch = 2, di = 3;
                        const auto x = random_tensor<3>({batch, di, L}, ++seed, 1.0f);
                        const auto w = random_tensor<2>({di, width}, ++seed, 0.5f);
                        const auto bias = random_tensor<1>({di}, ++seed, 0.5f);
                        const auto init = random_tensor<3>({batch, di, width - 1}, ++seed, 1.0f);
                        INFO("width=" << width << " L=" << L << " silu=" << silu << " bias=" << with_bias << " init=" << with_init);
                        const auto r = mixq::ssm::causal_conv1d_reference(x, w, with_bias ? &bias : nullptr, silu, with_init ? &init : nullptr);
                        auto input = [&](std::size_t b, std::size_t c, long t) -> double {
                            if (t >= 0) return x(b, c, static_cast<std::size_t>(t));
                            return with_init ? init(b, c, static_cast<std::size_t>(static_cast<long>(width) - 1 + t)) : 0.0;
                        };
                        for (std::size_t b = 0; b < batch; ++b)
                            for (std::size_t c = 0; c < di; ++c) {
                                for (std::size_t t = 0; t < L; ++t) {
                                    double acc = with_bias ? bias(c) : 0.0, mag = std::fabs(acc);
                                    for (std::size_t k = 0; k < width; ++k) {
                                        const double term = w(c, k) * input(b, c, static_cast<long>(t + k) - static_cast<long>(width - 1));
                                        acc += term;
                                        mag += std::fabs(term);
                                    }
                                    const double want = silu ? acc / (1 + std::exp(-acc)) : acc;
                                    REQUIRE(std::fabs(r.out(b, c, t) - want) <= 1e-6 * (mag + 1e-30));
                                }
                                for (std::size_t j = 0; j + 1 < width; ++j)  // the last width - 1 inputs, oldest first
                                    REQUIRE(r.state(b, c, j) == input(b, c, static_cast<long>(L + j) - static_cast<long>(width - 1)));
                            }
                    }
}

TEST_CASE("conv1d reference: chunked prefill and decode steps give the same bits as one prefill", "[ssm][conv1d]") {
    const std::size_t batch = 3, di = 5, width = 4, L = 37;
    const auto x = random_tensor<3>({batch, di, L}, 41, 1.0f);
    const auto w = random_tensor<2>({di, width}, 42, 0.5f);
    const auto bias = random_tensor<1>({di}, 43, 0.5f);
    const auto whole = mixq::ssm::causal_conv1d_reference(x, w, &bias, true);

    const xt::xtensor<float, 3> x1 = xt::view(x, xt::all(), xt::all(), xt::range(0, 2));  // shorter than the window
    const xt::xtensor<float, 3> x2 = xt::view(x, xt::all(), xt::all(), xt::range(2, 20));
    const auto first = mixq::ssm::causal_conv1d_reference(x1, w, &bias, true);
    const auto second = mixq::ssm::causal_conv1d_reference(x2, w, &bias, true, &first.state);
    REQUIRE((first.out == xt::xtensor<float, 3>(xt::view(whole.out, xt::all(), xt::all(), xt::range(0, 2)))));
    REQUIRE((second.out == xt::xtensor<float, 3>(xt::view(whole.out, xt::all(), xt::all(), xt::range(2, 20)))));

    xt::xtensor<float, 3> state = second.state;
    for (std::size_t t = 20; t < L; ++t) {
        const xt::xtensor<float, 2> xt_ = xt::view(x, xt::all(), xt::all(), t);
        const auto y = mixq::ssm::causal_conv1d_update_reference(state, xt_, w, &bias, true);
        REQUIRE((y == xt::xtensor<float, 2>(xt::view(whole.out, xt::all(), xt::all(), t))));
    }
    REQUIRE((state == whole.state));
}

TEST_CASE("conv1d reference agrees with the forward's token-major conv", "[ssm][conv1d]") {
    const std::size_t di = 7, width = 4, L = 20;
    const auto x = random_tensor<3>({1, di, L}, 51, 1.0f);
    const auto w = random_tensor<2>({di, width}, 52, 0.5f);
    const auto bias = random_tensor<1>({di}, 53, 0.5f);
    const auto ref = mixq::ssm::causal_conv1d_reference(x, w, &bias, true);
    std::vector<float> xs(L * di);
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t c = 0; c < di; ++c) xs[t * di + c] = x(0, c, t);
    mixq::causal_conv1d_silu(xs.data(), L, di, w.data(), bias.data(), width);
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t c = 0; c < di; ++c) REQUIRE(std::fabs(xs[t * di + c] - ref.out(0, c, t)) <= 1e-6f * std::max(1.0f, std::fabs(ref.out(0, c, t))));
}

TEST_CASE("conv1d reference refuses a state of the wrong width", "[ssm][conv1d]") {
    xt::xtensor<float, 3> state = xt::zeros<float>({1ul, 2ul, 2ul});
    const xt::xtensor<float, 2> x = xt::ones<float>({1ul, 2ul}), w = xt::ones<float>({2ul, 4ul});
    REQUIRE_THROWS_WITH(mixq::ssm::causal_conv1d_update_reference(state, x, w, nullptr, false),
                        "causal_conv1d_update_reference: state has shape [1, 2, 2], expected [1, 2, 3]");
}
