// GPU tests of include/mixq/cuda/percentile.cuh and quantize.cuh: bit-identical to the host calibrator
// (calib/percentile.hpp) and quantizer (format/int8.hpp, quant/error_stats.hpp).
#include <bit>
#include <cmath>
#include <limits>
#include <mixq/calib/percentile.hpp>
#include <mixq/core/half.hpp>
#include <mixq/quant/error_stats.hpp>
#include <mixq/format/int8.hpp>

#include "percentile_wrappers.hpp"
#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/within_bound.hpp"

namespace {
using mixq::test::gpu::act;
namespace gpu = mixq::test::gpu;

const char* act_name(act a) { return a == act::f32 ? "f32" : a == act::f16 ? "f16" : "bf16"; }
float representable(float v, act a) { return a == act::f16 ? mixq::round_to_half(v) : a == act::bf16 ? mixq::round_to_bf16(v) : v; }

// Outliers and, in every third call, a coarse grid so that many values tie (the k+1 rank then often
// shares the k-th key); never all zeros.
std::vector<float> calibration_data(std::size_t n, std::uint32_t seed, act a) {
    auto v = mixq::test::random_weights(n, seed, 0.05f, 0.01);
    if (seed % 3 == 0)
        for (auto& x : v) x = std::round(x * 50.0f) / 50.0f;
    for (auto& x : v) x = representable(x, a);
    return v;
}
float host_percentile(std::span<const float> v, double p) {
    std::vector<float> scratch;
    return static_cast<float>(mixq::abs_percentile(v, p, scratch));
}
bool same_bits(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

constexpr double percentiles[] = {0, 50, 99, 99.9, 99.99, 100};
}  // namespace

TEST_CASE("gpu: per-channel percentile is bit-identical to the host calibrator", "[gpu][percentile]") {
    struct shape {
        int rows, cols;
    };
    // Row lengths 1, 2, 3, 127 and 10^5 (past the shared-memory cache), and a tall matrix of short rows.
    const shape shapes[] = {{3, 1}, {5, 2}, {4, 3}, {9, 127}, {2, 100000}, {50280, 7}, {33, 4097}};
    std::uint32_t seed = 70000;
    for (const auto [rows, cols] : shapes)
        for (double p : percentiles)
            for (act a : {act::f32, act::f16, act::bf16}) {
                const auto x = calibration_data(static_cast<std::size_t>(rows) * cols, ++seed, a);
                INFO("rows=" << rows << " cols=" << cols << " p=" << p << " type=" << act_name(a));
                const auto got = gpu::percentile_per_channel(x, rows, cols, p, a);
                REQUIRE(got.first_bad_row == 0xffffffffu);
                // Counted, asserted once: 50,280 rows each with its own assertion would cost seconds of the GPU's time.
                int differing = 0, first = -1;
                float first_got = 0, first_want = 0;
                for (int r = 0; r < rows; ++r) {
                    const auto i = static_cast<std::size_t>(r);
                    const float want = host_percentile(std::span(x).subspan(i * cols, static_cast<std::size_t>(cols)), p);
                    if (same_bits(got.clip[i], want) && same_bits(got.scales[i], mixq::int8_scale(want))) continue;
                    if (differing++ == 0) first = r, first_got = got.clip[i], first_want = want;
                }
                INFO(differing << " row(s) differ; the first, " << first << ": device " << first_got << ", host " << first_want);
                REQUIRE(differing == 0);
            }
}

TEST_CASE("gpu: per-channel percentile: every block size, shared-memory cache on and off", "[gpu][percentile]") {
    const int rows = 17, cols = 3001;
    const auto x = calibration_data(static_cast<std::size_t>(rows) * cols, 71001, act::f32);
    for (int threads : {128, 256, 512})
        for (int cached : {0, 1 << 20}) {
            const auto got = gpu::percentile_per_channel(x, rows, cols, 99.99, act::f32, threads, cached);
            for (int r = 0; r < rows; ++r) {
                INFO("threads=" << threads << " cached=" << cached << " row=" << r);
                REQUIRE(same_bits(got.clip[static_cast<std::size_t>(r)],
                                  host_percentile(std::span(x).subspan(static_cast<std::size_t>(r) * cols, cols), 99.99)));
            }
        }
}

TEST_CASE("gpu: per-channel percentile: whole-row sort and selection on every sorted block size", "[gpu][percentile]") {
    // Each side of the five sort blocks (128 .. 2048 keys) and past the last one (2049: selection anyway).
    const int lengths[] = {1, 2, 3, 31, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049};
    const int rows = 7;
    std::uint32_t seed = 71500;
    for (int cols : lengths)
        for (double p : percentiles)
            for (act a : {act::f32, act::bf16}) {
                const auto x = calibration_data(static_cast<std::size_t>(rows) * cols, ++seed, a);
                for (int sorted : {0, 1 << 20}) {
                    INFO("cols=" << cols << " p=" << p << " type=" << act_name(a) << " max_sorted_cols=" << sorted);
                    const auto got = gpu::percentile_per_channel(x, rows, cols, p, a, 0, -1, sorted);
                    REQUIRE(got.first_bad_row == 0xffffffffu);
                    for (int r = 0; r < rows; ++r) {
                        const float want = host_percentile(std::span(x).subspan(static_cast<std::size_t>(r) * cols, static_cast<std::size_t>(cols)), p);
                        INFO("row " << r << ": device " << got.clip[static_cast<std::size_t>(r)] << ", host " << want);
                        REQUIRE(same_bits(got.clip[static_cast<std::size_t>(r)], want));
                    }
                }
            }
}

TEST_CASE("gpu: per-channel percentile: zero rows get scale 1, NaN and Inf rows are reported", "[gpu][percentile]") {
    const int rows = 6, cols = 40;
    auto x = calibration_data(rows * cols, 72001, act::f32);
    std::fill(x.begin() + 2 * cols, x.begin() + 3 * cols, 0.0f);  // row 2: all zero
    x[4 * cols + 7] = std::numeric_limits<float>::quiet_NaN();   // row 4
    x[5 * cols + 1] = -std::numeric_limits<float>::infinity();   // row 5
    for (int sorted : {0, 1 << 20}) {  // selection, whole-row sort
        INFO("max_sorted_cols=" << sorted);
        const auto got = gpu::percentile_per_channel(x, rows, cols, 99.9, act::f32, 0, -1, sorted);
        REQUIRE(got.first_bad_row == 4u);
        REQUIRE(got.clip[2] == 0.0f);
        REQUIRE(got.scales[2] == 1.0f);
        REQUIRE(std::isnan(got.clip[4]));
        REQUIRE(std::isnan(got.clip[5]));
        REQUIRE(same_bits(got.clip[3], host_percentile(std::span(x).subspan(3 * cols, cols), 99.9)));
    }
}

TEST_CASE("gpu: per-tensor percentile is bit-identical to the host calibrator", "[gpu][percentile]") {
    std::uint32_t seed = 73000;
    for (std::size_t n : {1ul, 2ul, 3ul, 127ul, 100000ul, 10000003ul})
        for (double p : percentiles)
            for (act a : {act::f32, act::bf16}) {
                if (n > 1000000 && p != 99.99 && p != 50) continue;  // keep the host side quick
                const auto x = calibration_data(n, ++seed, a);
                INFO("n=" << n << " p=" << p << " type=" << act_name(a));
                const auto got = gpu::percentile_per_tensor(x, p, a);
                const float want = host_percentile(x, p);
                INFO("device " << got.clip << ", host " << want);
                REQUIRE(got.bad == 0u);
                REQUIRE(same_bits(got.clip, want));
                REQUIRE(same_bits(got.scale, mixq::int8_scale(want)));
            }
}

TEST_CASE("gpu: per-tensor percentile reports a NaN", "[gpu][percentile]") {
    auto x = calibration_data(1000, 74001, act::f32);
    x[999] = std::numeric_limits<float>::quiet_NaN();
    const auto got = gpu::percentile_per_tensor(x, 99.99, act::f32);
    REQUIRE(got.bad == 1u);
    REQUIRE(std::isnan(got.clip));
}

TEST_CASE("gpu: fused int8 quantize gives the host's codes and maximum error", "[gpu][quantize]") {
    std::uint32_t seed = 75000;
    for (const auto& [rows, cols] : {std::pair{1ll, 1ll}, {7ll, 33ll}, {50280ll, 7ll}, {3ll, 100001ll}})
        for (bool per_channel : {true, false})
            for (act a : {act::f32, act::f16, act::bf16}) {
                const auto x = calibration_data(static_cast<std::size_t>(rows * cols), ++seed, a);
                std::vector<float> scales;
                if (per_channel)
                    for (long long r = 0; r < rows; ++r)
                        scales.push_back(mixq::int8_scale(host_percentile(std::span(x).subspan(static_cast<std::size_t>(r * cols), cols), 99.0)));
                else
                    scales.push_back(mixq::int8_scale(host_percentile(x, 99.0)));  // clips the top 1 %: codes saturate
                const long long kr = per_channel ? rows : 1, kc = per_channel ? cols : rows * cols;
                INFO("rows=" << rows << " cols=" << cols << " per_channel=" << per_channel << " type=" << act_name(a));
                const auto got = gpu::quantize_int8(x, scales, kr, kc, a);
                const auto codes = mixq::test::misses_of(  // equal codes: bound 0
                    x.size(), [&](std::size_t i) { return got.q[i]; },
                    [&](std::size_t i) { return mixq::int8_code(x[i], scales[static_cast<std::size_t>(static_cast<long long>(i) / kc)]); },
                    [](std::size_t) { return 0.0; });
                INFO("codes: " << codes.describe());
                REQUIRE(codes.count == 0);
                const auto host = mixq::measure_error(x, [&](std::size_t i) {
                    return static_cast<float>(got.q[i]) * scales[static_cast<std::size_t>(static_cast<long long>(i) / kc)];
                });
                REQUIRE(got.max_abs_error == host.max_abs_error);
            }
}

TEST_CASE("gpu small: percentile and quantize on small cases for compute-sanitizer", "[gpu][small]") {
    const auto x = calibration_data(5 * 300, 76001, act::f32);
    const auto rows = gpu::percentile_per_channel(x, 5, 300, 99.99, act::f32, 128, 0, 0);      // selection, global memory
    const auto cached = gpu::percentile_per_channel(x, 5, 300, 99.99, act::f32, 128, 512, 0);  // selection, shared memory
    const auto sorted = gpu::percentile_per_channel(x, 5, 300, 99.99, act::f32, 0, -1, 512);   // whole-row sort
    for (int r = 0; r < 5; ++r) {
        const float want = host_percentile(std::span(x).subspan(static_cast<std::size_t>(r) * 300, 300), 99.99);
        REQUIRE(same_bits(rows.clip[static_cast<std::size_t>(r)], want));
        REQUIRE(same_bits(cached.clip[static_cast<std::size_t>(r)], want));
        REQUIRE(same_bits(sorted.clip[static_cast<std::size_t>(r)], want));
    }
    REQUIRE(same_bits(gpu::percentile_per_tensor(x, 99.99, act::f32).clip, host_percentile(x, 99.99)));
    const auto q = gpu::quantize_int8(x, rows.scales, 5, 300, act::f32);
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(q.q[i] == mixq::int8_code(x[i], rows.scales[i / 300]));
}
