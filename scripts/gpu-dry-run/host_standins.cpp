// Host stand-ins for the GPU test wrappers (tests/cuda/*_wrappers.hpp), for a dry run of the GPU tests
// without a device (scripts/gpu-tests-dry-run.sh): tooling, not a test, so it lives beside its script.
// The dry run checks the tests' random data, host references, error bounds and run time, so that the few
// minutes of a lent GPU are not spent on a test's own mistake. Each stand-in computes what the kernel is
// specified to compute, from the host references, rounded to the output type; the tensor-core GEMV's
// stand-in sums in that kernel's order (per 64-value step, four partial sums of 16, split over its warps),
// so the bounds are exercised with its association too.
#include <cmath>
#include <map>
#include <mixq/calib/percentile.hpp>
#include <mixq/core/half.hpp>
#include <mixq/model/conv1d_reference.hpp>
#include <mixq/model/scan_reference.hpp>
#include <mixq/quant/error_stats.hpp>
#include <mixq/quant/gemv_reference.hpp>
#include <mixq/format/int8.hpp>
#include <tuple>

#include "cuda/gemv_wrappers.hpp"
#include "cuda/percentile_wrappers.hpp"
#include "cuda/ssm_wrappers.hpp"

namespace mixq::test::gpu {
namespace {
float stored(float v, act a) { return a == act::f16 ? mixq::round_to_half(v) : a == act::bf16 ? mixq::round_to_bf16(v) : v; }
template <class E>
std::vector<float> stored(const E& e, act a) {
    std::vector<float> v(e.begin(), e.end());
    for (auto& x : v) x = stored(x, a);
    return v;
}
template <std::size_t D>
xt::xtensor<float, D> tensor(const std::vector<float>& v, std::array<std::size_t, D> shape) {
    xt::xtensor<float, D> t(shape);
    std::copy(v.begin(), v.end(), t.begin());
    return t;
}

// The tests call each wrapper with several tunings on the same inputs; the kernels' results do not depend
// on them except through the tensor-core path's association: computed once per inputs and path.
using memo_key = std::tuple<const void*, std::size_t, int, int, int, double>;
template <class F>
std::vector<float> memoized(const void* w, const std::vector<float>& x, act a, int mma_warps, int group, F compute) {
    static std::map<memo_key, std::vector<float>> memo;
    double digest = 0;  // x's buffer may be reused by the next case's activations: key on its contents too
    for (std::size_t i = 0; i < x.size(); ++i) digest += x[i] * static_cast<double>(i % 7 + 1);
    const memo_key key{w, x.size(), static_cast<int>(a), mma_warps, group, digest};
    if (const auto it = memo.find(key); it != memo.end()) return it->second;
    if (memo.size() > 64) memo.clear();
    return memo[key] = compute();
}

// The tensor-core kernels' order of summation (kernels/gemv_mma_kernels.cuh).
template <class Code, class StepScale>
std::vector<float> mma_order(int N, int K, int batch, const std::vector<float>& x, Code code, StepScale step_scale,
                             const std::vector<float>& row_scale, act a, int warps) {
    std::vector<float> y(static_cast<std::size_t>(batch) * N);
    std::vector<float> per_warp(static_cast<std::size_t>(warps));
    for (int b = 0; b < batch; ++b)
        for (int n = 0; n < N; ++n) {
            std::fill(per_warp.begin(), per_warp.end(), 0.0f);
            for (int k0 = 0; k0 < K; k0 += 64) {
                float step = 0;
                for (int j = 0; j < 64; j += 16) {
                    float mma = 0;
                    for (int i = 0; i < 16; ++i) mma += code(n, k0 + j + i) * x[static_cast<std::size_t>(b) * K + k0 + j + i];
                    step += mma;
                }
                float& acc = per_warp[static_cast<std::size_t>(k0 / 64 % warps)];
                acc = std::fma(step, step_scale(n, k0), acc);
            }
            float sum = 0;
            for (float v : per_warp) sum += v;
            y[static_cast<std::size_t>(b) * N + n] = stored(sum * row_scale[static_cast<std::size_t>(n)], a);
        }
    return y;
}
}  // namespace

bool device_available(std::string&) { return true; }
std::string device_name() { return "host stand-ins (dry run: no kernel runs)"; }

bool gemv_takes_mma_path(int K, int batch, act a, gemv_config c) { return a != act::f32 && K % 64 == 0 && batch >= c.mma_from_batch; }

std::vector<float> gemv_int8(const std::vector<std::int8_t>& W, const std::vector<float>& scales, const std::vector<float>& x, int N, int K,
                             int batch, act a, gemv_config c) {
    const int warps = gemv_takes_mma_path(K, batch, a, c) ? c.mma_k_warps : 0;
    return memoized(W.data(), x, a, warps, 0, [&] {
        if (!warps) return stored(mixq::gemv_int8_reference(W, scales, x, N, K, batch), a);
        return mma_order(
            N, K, batch, x, [&](int n, int k) { return static_cast<float>(W[static_cast<std::size_t>(n) * K + k]); }, [](int, int) { return 1.0f; },
            scales, a, warps);
    });
}

std::vector<float> gemv_int4(const std::vector<std::uint8_t>& W, const std::vector<float>& scales, bool, int group, const std::vector<float>& x,
                             int N, int K, int batch, act a, gemv_config c) {
    mixq::int4_matrix m;
    m.rows = N, m.cols = K, m.group = group, m.packed = W, m.scales = scales;
    const int warps = gemv_takes_mma_path(K, batch, a, c) ? c.mma_k_warps : 0;
    return memoized(W.data(), x, a, warps, group, [&] {
        if (!warps) return stored(mixq::gemv_int4_reference(m, x, batch), a);
        return mma_order(
            N, K, batch, x, [&](int n, int k) { return static_cast<float>(m.code(n, k)); }, [&](int n, int k) { return m.scale(n, k); },
            std::vector<float>(static_cast<std::size_t>(N), 1.0f), a, warps);
    });
}

std::vector<std::pair<int, int>> scan_block_shapes() { return {{32, 4}, {32, 8}, {32, 16}, {64, 16}, {128, 16}}; }

ssm_out selective_scan(const scan_call& c, act a) {
    const std::size_t b = c.batch, d = c.d_inner, n = c.d_state, L = c.L;
    xt::xtensor<float, 1> D, bias;
    xt::xtensor<float, 3> z, init;
    if (!c.D.empty()) D = tensor<1>(c.D, {d});
    if (!c.delta_bias.empty()) bias = tensor<1>(c.delta_bias, {d});
    if (!c.z.empty()) z = tensor<3>(c.z, {b, d, L});
    if (!c.initial_state.empty()) init = tensor<3>(c.initial_state, {b, d, n});
    const mixq::ssm::channel_options o{c.D.empty() ? nullptr : &D, c.delta_bias.empty() ? nullptr : &bias, c.delta_softplus};
    const auto r = mixq::ssm::selective_scan_reference(tensor<3>(c.u, {b, d, L}), tensor<3>(c.delta, {b, d, L}), tensor<2>(c.A, {d, n}),
                                                       tensor<3>(c.B, {b, n, L}), tensor<3>(c.C, {b, n, L}), o, c.z.empty() ? nullptr : &z,
                                                       c.initial_state.empty() ? nullptr : &init);
    return {stored(r.y, a), {r.state.begin(), r.state.end()}};
}
ssm_out selective_scan_by_decode(const scan_call& c, act a) { return selective_scan(c, a); }
const char* selective_scan_launch_error(const scan_call&) { return "cudaErrorInvalidValue"; }

ssm_out causal_conv1d(const conv_call& c, act a) {
    const std::size_t b = c.batch, d = c.d_inner, L = c.L, width = c.width;
    xt::xtensor<float, 1> bias;
    xt::xtensor<float, 3> init;
    if (!c.bias.empty()) bias = tensor<1>(c.bias, {d});
    if (!c.initial_state.empty()) init = tensor<3>(c.initial_state, {b, d, width - 1});
    const auto r = mixq::ssm::causal_conv1d_reference(tensor<3>(c.x, {b, d, L}), tensor<2>(c.w, {d, width}), c.bias.empty() ? nullptr : &bias,
                                                      c.silu, c.initial_state.empty() ? nullptr : &init);
    return {stored(r.out, a), {r.state.begin(), r.state.end()}};
}
ssm_out causal_conv1d_by_decode(const conv_call& c, act a) { return causal_conv1d(c, a); }

percentile_rows_out percentile_per_channel(const std::vector<float>& x, int rows, int cols, double p, act, int, int, int) {
    percentile_rows_out o;
    o.first_bad_row = 0xffffffffu;
    std::vector<float> scratch;
    for (int r = 0; r < rows; ++r) {
        const std::span<const float> row(x.data() + static_cast<std::size_t>(r) * cols, static_cast<std::size_t>(cols));
        if (!std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); })) {
            o.first_bad_row = std::min(o.first_bad_row, static_cast<unsigned>(r));
            o.clip.push_back(NAN);
            o.scales.push_back(NAN);
            continue;
        }
        const auto clip = static_cast<float>(mixq::abs_percentile(row, p, scratch));
        o.clip.push_back(clip);
        o.scales.push_back(mixq::int8_scale(clip));
    }
    return o;
}

percentile_tensor_out percentile_per_tensor(const std::vector<float>& x, double p, act) {
    percentile_tensor_out o;
    if (!std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); })) {
        o.bad = 1, o.clip = o.scale = NAN;
        return o;
    }
    std::vector<float> scratch;
    o.clip = static_cast<float>(mixq::abs_percentile(x, p, scratch));
    o.scale = mixq::int8_scale(o.clip);
    return o;
}

quantize_out quantize_int8(const std::vector<float>& x, const std::vector<float>& scales, long long, long long cols, act) {
    quantize_out o;
    o.q.resize(x.size());
    auto scale = [&](std::size_t i) { return scales[i / static_cast<std::size_t>(cols)]; };
    for (std::size_t i = 0; i < x.size(); ++i) o.q[i] = mixq::int8_code(x[i], scale(i));
    o.max_abs_error = mixq::measure_error(x, [&](std::size_t i) { return static_cast<float>(o.q[i]) * scale(i); }).max_abs_error;
    return o;
}

}  // namespace mixq::test::gpu
