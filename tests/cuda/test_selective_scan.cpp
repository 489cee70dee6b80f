// GPU tests of include/mixq/cuda/selective_scan.cuh and causal_conv1d.cuh against the host references
// (model/scan_reference.hpp, model/conv1d_reference.hpp), and of decode steps against the prefill.
#include <cmath>
#include <mixq/core/half.hpp>
#include <mixq/model/conv1d_reference.hpp>
#include <mixq/model/scan_reference.hpp>

#include "ssm_wrappers.hpp"
#include "support/catch.hpp"
#include "support/naive_scan.hpp"
#include "support/within_bound.hpp"

namespace {
using mixq::test::gpu::act;
namespace gpu = mixq::test::gpu;

const char* act_name(act a) { return a == act::f32 ? "f32" : a == act::f16 ? "f16" : "bf16"; }
float representable(float v, act a) { return a == act::f16 ? mixq::round_to_half(v) : a == act::bf16 ? mixq::round_to_bf16(v) : v; }
using gpu::stored_rounding;

// Device inputs are stored in `a`: round them on the host too, so both sides start from the same numbers.
void round_inputs(mixq::test::scan_inputs& in, act a) {
    for (auto* t : {&in.u, &in.delta, &in.B, &in.C, &in.z})
        for (auto& v : *t) v = representable(v, a);
}
template <class E>
std::vector<float> flat(const E& e) {
    return {e.data(), e.data() + e.size()};
}

struct options {
    bool D, z, bias, softplus, init;
};

gpu::scan_call make_call(const mixq::test::scan_inputs& in, const options& o) {
    gpu::scan_call c;
    c.batch = static_cast<int>(in.batch), c.d_inner = static_cast<int>(in.d_inner), c.d_state = static_cast<int>(in.d_state);
    c.L = static_cast<int>(in.L);
    c.u = flat(in.u), c.delta = flat(in.delta), c.A = flat(in.A), c.B = flat(in.B), c.C = flat(in.C);
    if (o.D) c.D = flat(in.D);
    if (o.z) c.z = flat(in.z);
    if (o.bias) c.delta_bias = flat(in.delta_bias);
    if (o.init) c.initial_state = flat(in.initial_state);
    c.delta_softplus = o.softplus;
    return c;
}

// exp2f(x · log2 e) differs from exp(x) by a few ulps times |x|; the scan's association differs from the
// sequential order. Both are fp32 rounding, bounded relative to Σ|terms| (the magnitude of the double oracle).
constexpr double kDeviceRelTol = 3e-5;

void compare_scan(const gpu::ssm_out& got, const mixq::test::scan_inputs& in, const options& o, act a) {
    const mixq::ssm::channel_options opt{o.D ? &in.D : nullptr, o.bias ? &in.delta_bias : nullptr, o.softplus};
    const auto ref = mixq::ssm::selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, opt, o.z ? &in.z : nullptr,
                                                         o.init ? &in.initial_state : nullptr);
    const auto mag = mixq::test::naive_scan(in, o.D, o.z, o.bias, o.softplus, o.init);
    REQUIRE(got.y.size() == ref.y.size());
    const auto y = mixq::test::misses_of(
        got.y.size(), [&](std::size_t i) { return got.y[i]; }, [&](std::size_t i) { return ref.y.data()[i]; },
        [&](std::size_t i) { return kDeviceRelTol * mag.magnitude[i] + stored_rounding(a, ref.y.data()[i]) + 1e-30; });
    INFO("y: " << y.describe());
    REQUIRE(y.count == 0);
    REQUIRE(got.state.size() == ref.state.size());
    const auto state = mixq::test::misses_of(
        got.state.size(), [&](std::size_t i) { return got.state[i]; }, [&](std::size_t i) { return ref.state.data()[i]; },
        [&](std::size_t i) { return kDeviceRelTol * mag.state_magnitude[i] + 1e-30; });
    INFO("final state: " << state.describe());
    REQUIRE(state.count == 0);
}
}  // namespace

TEST_CASE("gpu: selective scan equals the host reference: all types, awkward lengths, batch 1..4", "[gpu][scan]") {
    std::uint32_t seed = 20000;
    const options all_off{false, false, false, false, false}, all_on{true, true, true, true, true};
    for (int L : {1, 2, 127, 128, 2049, 8191})
        for (int batch = 1; batch <= 4; ++batch)
            for (std::size_t N : {8, 16})
                for (const auto& o : {all_off, all_on})
                    for (act a : {act::f32, act::f16, act::bf16}) {
                        auto in = mixq::test::random_scan_inputs(static_cast<std::size_t>(batch), 5, N, static_cast<std::size_t>(L), seed += 16,
                                                                 o.softplus);
                        round_inputs(in, a);
                        INFO("L=" << L << " batch=" << batch << " d_state=" << N << " options=" << (o.D ? "on" : "off") << " type=" << act_name(a));
                        compare_scan(gpu::selective_scan(make_call(in, o), a), in, o, a);
                    }
}

TEST_CASE("gpu: selective scan: every compiled block shape, each option alone", "[gpu][scan]") {
    std::uint32_t seed = 30000;
    const options sets[] = {{true, false, false, false, false},
                            {false, true, false, false, false},
                            {false, false, true, true, false},
                            {false, false, false, true, false},
                            {false, false, false, false, true}};
    for (const auto& shape : gpu::scan_block_shapes())
        for (int L : {130, 2049})
            for (const auto& o : sets) {
                auto in = mixq::test::random_scan_inputs(2, 3, 16, static_cast<std::size_t>(L), seed += 16, o.softplus);
                auto call = make_call(in, o);
                call.threads = shape.first, call.items = shape.second;
                INFO("threads=" << shape.first << " items=" << shape.second << " L=" << L);
                compare_scan(gpu::selective_scan(call, act::f32), in, o, act::f32);
            }
}

TEST_CASE("gpu: decode steps token by token reach the prefill's outputs and final state", "[gpu][scan]") {
    std::uint32_t seed = 40000;
    for (act a : {act::f32, act::f16, act::bf16}) {
        auto in = mixq::test::random_scan_inputs(3, 7, 16, 67, seed += 16, true);
        round_inputs(in, a);
        const options o{true, true, true, true, true};
        const auto call = make_call(in, o);
        const auto prefill = gpu::selective_scan(call, a);
        const auto decode = gpu::selective_scan_by_decode(call, a);
        INFO("type=" << act_name(a));
        compare_scan(decode, in, o, a);  // the decode step is held to the same reference and bound
        const auto mag = mixq::test::naive_scan(in, true, true, true, true, true);
        const auto state = mixq::test::misses_of(
            prefill.state.size(), [&](std::size_t i) { return decode.state[i]; }, [&](std::size_t i) { return prefill.state[i]; },
            [&](std::size_t i) { return kDeviceRelTol * mag.state_magnitude[i] + 1e-30; });
        INFO("decode's final state against the prefill's: " << state.describe());
        REQUIRE(state.count == 0);
        const auto y = mixq::test::misses_of(
            prefill.y.size(), [&](std::size_t i) { return decode.y[i]; }, [&](std::size_t i) { return prefill.y[i]; },
            [&](std::size_t i) { return kDeviceRelTol * mag.magnitude[i] + 2 * stored_rounding(a, prefill.y[i]) + 1e-30; });
        INFO("decode's y against the prefill's: " << y.describe());
        REQUIRE(y.count == 0);
    }
}

TEST_CASE("gpu: the scan refuses what it cannot run", "[gpu][scan]") {
    gpu::scan_call c;
    c.batch = 1, c.d_inner = 4, c.d_state = 8, c.L = 10;
    c.threads = 48, c.items = 4;  // not a compiled block shape
    REQUIRE(std::string(gpu::selective_scan_launch_error(c)) == "cudaErrorInvalidValue");
    c.threads = 0, c.L = 0;
    REQUIRE(std::string(gpu::selective_scan_launch_error(c)) == "cudaErrorInvalidValue");
}

namespace {
void compare_conv(const gpu::ssm_out& got, const mixq::ssm::conv_result& ref, act a) {
    REQUIRE(got.y.size() == ref.out.size());
    const auto out = mixq::test::misses_of(
        got.y.size(), [&](std::size_t i) { return got.y[i]; }, [&](std::size_t i) { return ref.out.data()[i]; },
        [&](std::size_t i) {
            const double r = std::fabs(ref.out.data()[i]);
            return 1e-5 * std::max(1.0, r) + stored_rounding(a, r);
        });
    INFO("out: " << out.describe());
    REQUIRE(out.count == 0);
    REQUIRE(got.state.size() == ref.state.size());
    const auto state = mixq::test::misses_of(  // copies of inputs: equal
        got.state.size(), [&](std::size_t i) { return got.state[i]; }, [&](std::size_t i) { return ref.state.data()[i]; },
        [](std::size_t) { return 0.0; });
    INFO("final conv state: " << state.describe());
    REQUIRE(state.count == 0);
}
}  // namespace

TEST_CASE("gpu: causal conv1d equals the host reference, decode steps equal the prefill", "[gpu][conv1d]") {
    std::uint32_t seed = 50000;
    for (int width : {1, 2, 4})
        for (int L : {1, 2, 3, 130, 2049})
            for (bool with_init : {false, true})
                for (act a : {act::f32, act::f16, act::bf16}) {
                    const std::size_t batch = 2, di = 5;
                    auto x = mixq::test::random_tensor<3>({batch, di, static_cast<std::size_t>(L)}, ++seed, 1.0f);
                    for (auto& v : x) v = representable(v, a);
                    const auto w = mixq::test::random_tensor<2>({di, static_cast<std::size_t>(width)}, ++seed, 0.5f);
                    const auto bias = mixq::test::random_tensor<1>({di}, ++seed, 0.5f);
                    const auto init = mixq::test::random_tensor<3>({batch, di, static_cast<std::size_t>(width - 1)}, ++seed, 1.0f);
                    const auto ref = mixq::ssm::causal_conv1d_reference(x, w, &bias, true, with_init ? &init : nullptr);
                    gpu::conv_call c;
                    c.batch = static_cast<int>(batch), c.d_inner = static_cast<int>(di), c.L = L, c.width = width;
                    c.x = flat(x), c.w = flat(w), c.bias = flat(bias);
                    if (with_init) c.initial_state = flat(init);
                    INFO("width=" << width << " L=" << L << " init=" << with_init << " type=" << act_name(a));
                    compare_conv(gpu::causal_conv1d(c, a), ref, a);
                    c.in_place_state = true;
                    compare_conv(gpu::causal_conv1d(c, a), ref, a);
                    if (L <= 130) compare_conv(gpu::causal_conv1d_by_decode(c, a), ref, a);
                }
}

TEST_CASE("gpu small: scan, decode and conv on a small case for compute-sanitizer", "[gpu][small]") {
    // Several chunks of the smallest block shape, every option on: memcheck and racecheck see all paths.
    auto in = mixq::test::random_scan_inputs(2, 3, 8, 300, 60000, true);
    const options o{true, true, true, true, true};
    auto call = make_call(in, o);
    call.threads = 32, call.items = 4;
    compare_scan(gpu::selective_scan(call, act::f32), in, o, act::f32);
    call.threads = 32, call.items = 8;
    compare_scan(gpu::selective_scan(call, act::f16), in, o, act::f16);  // f16: the 16-byte path (8 items)
    call.L = 9;
    in = mixq::test::random_scan_inputs(2, 3, 8, 9, 60001, true);
    call = make_call(in, o);
    compare_scan(gpu::selective_scan_by_decode(call, act::f32), in, o, act::f32);

    const auto x = mixq::test::random_tensor<3>({2, 3, 9}, 60002, 1.0f);
    const auto w = mixq::test::random_tensor<2>({3, 4}, 60003, 0.5f);
    const auto init = mixq::test::random_tensor<3>({2, 3, 3}, 60004, 1.0f);
    gpu::conv_call c;
    c.batch = 2, c.d_inner = 3, c.L = 9, c.width = 4, c.x = flat(x), c.w = flat(w), c.initial_state = flat(init);
    const auto ref = mixq::ssm::causal_conv1d_reference(x, w, nullptr, true, &init);
    compare_conv(gpu::causal_conv1d(c, act::f32), ref, act::f32);
    compare_conv(gpu::causal_conv1d_by_decode(c, act::f32), ref, act::f32);
}
