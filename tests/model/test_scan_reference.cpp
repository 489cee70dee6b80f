// Tests include/mixq/model/scan_reference.hpp against a sequential double-precision scan, every option on and off.
#include <cmath>
#include <mixq/model/scan_reference.hpp>
#include <mixq/model/selective_scan.hpp>
#include <xtensor/xview.hpp>

#include "support/catch.hpp"
#include "support/naive_scan.hpp"

namespace {
using mixq::test::scan_inputs;

struct option_set {
    const char* name;
    bool D, z, bias, softplus, init;
};
constexpr option_set option_sets[] = {
    {"none", false, false, false, false, false},      {"D", true, false, false, false, false},
    {"z", false, true, false, false, false},          {"bias+softplus", false, false, true, true, false},
    {"softplus", false, false, false, true, false},   {"initial state", false, false, false, false, true},
    {"all", true, true, true, true, true},
};

mixq::ssm::scan_result run(const scan_inputs& in, const option_set& o) {
    const mixq::ssm::channel_options opt{o.D ? &in.D : nullptr, o.bias ? &in.delta_bias : nullptr, o.softplus};
    return mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, opt, o.z ? &in.z : nullptr,
                                               o.init ? &in.initial_state : nullptr);
}
}  // namespace

// fp32 rounding of each step (exp, two products, the sum over d_state) relative to Σ|terms|: measured worst
// ratio on these inputs is 2.3e-7 (L = 8191); the bound leaves room for another libm's exp.
constexpr double kScanRelTol = 4e-6;

TEST_CASE("scan reference matches a double-precision sequential scan", "[ssm][scan]") {
    std::uint32_t seed = 7000;
    for (std::size_t L : {1, 2, 127, 128, 2049, 8191})
        for (std::size_t N : {8, 16})
            for (const auto& o : option_sets) {
                const auto in = mixq::test::random_scan_inputs(2, 3, N, L, seed += 16, o.softplus);
                INFO("L=" << L << " d_state=" << N << " options=" << o.name);
                const auto got = run(in, o);
                const auto want = mixq::test::naive_scan(in, o.D, o.z, o.bias, o.softplus, o.init);
                double worst = 0;
                for (std::size_t i = 0; i < want.y.size(); ++i)
                    worst = std::max(worst, std::fabs(got.y.data()[i] - want.y[i]) / (want.magnitude[i] + 1e-30));
                CHECK(worst <= kScanRelTol);
                double worst_state = 0;
                for (std::size_t i = 0; i < want.state.size(); ++i)
                    worst_state = std::max(worst_state, std::fabs(got.state.data()[i] - want.state[i]) / (want.state_magnitude[i] + 1e-30));
                CHECK(worst_state <= kScanRelTol);
            }
}

TEST_CASE("scan reference: decode steps token by token give the prefill's outputs and final state", "[ssm][scan]") {
    const auto in = mixq::test::random_scan_inputs(3, 5, 16, 67, 7777, true);
    const mixq::ssm::channel_options opt{&in.D, &in.delta_bias, true};
    const auto prefill = mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, opt, &in.z, &in.initial_state);
    xt::xtensor<float, 3> state = in.initial_state;
    for (std::size_t t = 0; t < in.L; ++t) {
        const xt::xtensor<float, 2> x = xt::view(in.u, xt::all(), xt::all(), t), dt = xt::view(in.delta, xt::all(), xt::all(), t),
                                    B = xt::view(in.B, xt::all(), xt::all(), t), C = xt::view(in.C, xt::all(), xt::all(), t),
                                    z = xt::view(in.z, xt::all(), xt::all(), t);
        const auto y = mixq::ssm::selective_state_update_reference(state, x, dt, in.A, B, C, opt, &z);
        // Same operations in the same order: equal bits.
        REQUIRE((y == xt::xtensor<float, 2>(xt::view(prefill.y, xt::all(), xt::all(), t))));
    }
    REQUIRE((state == prefill.state));
}

TEST_CASE("scan reference: splitting a sequence and carrying the state changes nothing", "[ssm][scan]") {
    const auto in = mixq::test::random_scan_inputs(2, 4, 8, 300, 8100, false);
    const mixq::ssm::channel_options opt{&in.D, nullptr, false};
    const auto whole = mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, opt);
    auto part = [&](const xt::xtensor<float, 3>& t, std::size_t a, std::size_t b) -> xt::xtensor<float, 3> {
        return xt::view(t, xt::all(), xt::all(), xt::range(a, b));
    };
    const auto first = mixq::ssm::selective_scan_reference(part(in.u, 0, 100), part(in.delta, 0, 100), in.A, part(in.B, 0, 100),
                                                           part(in.C, 0, 100), opt);
    const auto second = mixq::ssm::selective_scan_reference(part(in.u, 100, 300), part(in.delta, 100, 300), in.A, part(in.B, 100, 300),
                                                            part(in.C, 100, 300), opt, nullptr, &first.state);
    REQUIRE((second.state == whole.state));
    REQUIRE((second.y == part(whole.y, 100, 300)));
}

TEST_CASE("scan reference agrees with the forward's token-major scan", "[ssm][scan]") {
    // model/selective_scan.hpp is the CPU forward's vectorised scan ([L, d_inner] per sequence, A transposed).
    const std::size_t di = 37, N = 16, L = 129;
    const auto in = mixq::test::random_scan_inputs(1, di, N, L, 9100, false);
    const mixq::ssm::channel_options opt{&in.D, nullptr, false};
    const auto ref = mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, opt);
    std::vector<float> u(L * di), dt(L * di), BC(L * 2 * N), A_t(N * di), y(L * di), state(N * di, 0.0f);
    for (std::size_t t = 0; t < L; ++t) {
        for (std::size_t c = 0; c < di; ++c) {
            u[t * di + c] = in.u(0, c, t);
            dt[t * di + c] = in.delta(0, c, t);
        }
        for (std::size_t n = 0; n < N; ++n) {
            BC[t * 2 * N + n] = in.B(0, n, t);
            BC[t * 2 * N + N + n] = in.C(0, n, t);
        }
    }
    for (std::size_t c = 0; c < di; ++c)
        for (std::size_t n = 0; n < N; ++n) A_t[n * di + c] = in.A(c, n);
    mixq::selective_scan(u.data(), dt.data(), BC.data(), BC.data() + N, 2 * N, A_t.data(), in.D.data(), y.data(), state.data(),
                         static_cast<std::int64_t>(L), static_cast<std::int64_t>(di), static_cast<std::int64_t>(N));
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t c = 0; c < di; ++c)  // vectorised exp and summation order differ: a few ulps
            REQUIRE(std::fabs(y[t * di + c] - ref.y(0, c, t)) <= 1e-5 * std::max(1.0f, std::fabs(ref.y(0, c, t))));
    for (std::size_t c = 0; c < di; ++c)
        for (std::size_t n = 0; n < N; ++n)
            REQUIRE(std::fabs(state[n * di + c] - ref.state(0, c, n)) <= 1e-5 * std::max(1.0f, std::fabs(ref.state(0, c, n))));
}

TEST_CASE("scan reference names the input whose shape is wrong", "[ssm][scan]") {
    const auto in = mixq::test::random_scan_inputs(1, 4, 8, 10, 9200, false);
    const xt::xtensor<float, 3> bad_B = xt::zeros<float>({1ul, 8ul, 9ul});
    try {
        (void)mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, bad_B, in.C);
        FAIL("no error");
    } catch (const mixq::error& e) {
        REQUIRE(std::string(e.what()) == "selective_scan_reference: B has shape [1, 8, 9], expected [1, 8, 10]");
    }
    const xt::xtensor<float, 1> bad_D = xt::ones<float>({3ul});
    REQUIRE_THROWS_WITH(mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, {&bad_D, nullptr, false}),
                        "selective_scan_reference: D has shape [3], expected [4]");
}
