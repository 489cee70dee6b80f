// Tests include/mixq/quant/symmetric.hpp: scales, round-half-even, clamping, and the scale/2 error bound.
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/calib/percentile.hpp>
#include <mixq/quant/symmetric.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using per_channel_pct = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::percentile>;
using per_tensor_max = mixq::symmetric<mixq::int8, mixq::per_tensor, mixq::absmax>;
static_assert(mixq::quantizer<per_channel_pct>);
static_assert(mixq::quantizer<per_tensor_max>);

TEST_CASE("per-channel percentile int8: one scale per row and error within scale/2 inside the clip range", "[symmetric]") {
    std::uint32_t seed = 40;
    for (auto [rows, cols] : {std::pair{1, 1}, {3, 7}, {50, 129}, {8000 / 16, 128}}) {
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(rows * cols), ++seed, 0.02f, 0.005);
        for (double p : {99.0, 99.99, 100.0}) {
            const per_channel_pct q{mixq::percentile{p}};
            const auto t = q.quantize(w, rows);
            REQUIRE(t.scales.size() == static_cast<std::size_t>(rows));
            std::vector<float> scratch;
            for (int r = 0; r < rows; ++r) {
                const auto row = std::span<const float>(w).subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols));
                const auto clip = static_cast<float>(mixq::abs_percentile(row, p, scratch));
                REQUIRE(t.scales[static_cast<std::size_t>(r)] == (clip == 0.0f ? 1.0f : clip / 127.0f));
                const float s = t.scale_of_row(r);
                for (int c = 0; c < cols; ++c) {
                    const float x = row[static_cast<std::size_t>(c)];
                    const float d = t.dequantize(r, c);
                    if (std::fabs(x) <= 127.0f * s) {
                        REQUIRE(std::fabs(static_cast<double>(d) - x) <= 0.5 * s * (1 + 1e-5));  // fp32 rounding of w / scale
                    } else {  // beyond the percentile: clipped to the extreme level by design
                        REQUIRE(std::fabs(d) >= 127.0f * s * (1.0f - 1e-6f));
                        REQUIRE(std::signbit(d) == std::signbit(x));
                    }
                }
            }
        }
    }
}

TEST_CASE("codes saturate at -128 and 127 instead of wrapping", "[symmetric]") {
    // A 99% percentile clips the outliers: they saturate at +127 and -128 instead of wrapping.
    std::vector<float> w(200, 0.01f);
    w[0] = 50.0f;
    w[1] = -50.0f;
    const auto t = mixq::symmetric<mixq::int8, mixq::per_tensor, mixq::percentile>{mixq::percentile{99.0}}.quantize(w, 1);
    REQUIRE(t.scales.size() == 1);
    CHECK(t.codes[0] == 127);
    CHECK(t.codes[1] == -128);
    CHECK(t.codes[2] != 0);
}

TEST_CASE("ties go to the even code", "[symmetric]") {
    // With clip 127 the scale is exactly 1, so w / scale = w and the ties are exact.
    const std::vector<float> w{127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f};
    const auto t = per_tensor_max{}.quantize(w, 1);
    CHECK(t.scales[0] == 1.0f);
    CHECK(std::vector<int>(t.codes.begin(), t.codes.end()) == std::vector<int>{127, 2, 4, -2, 0, 0, 2});
}

TEST_CASE("an all-zero row gets scale 1 and stays exact", "[symmetric]") {
    std::vector<float> w(2 * 5, 0.0f);
    w[7] = 0.3f;
    const auto t = per_channel_pct{}.quantize(w, 2);
    CHECK(t.scales[0] == 1.0f);
    for (int c = 0; c < 5; ++c) CHECK(t.dequantize(0, c) == 0.0f);
    CHECK(t.scales[1] != 1.0f);
    CHECK(per_channel_pct{}.scheme() == "int8:symmetric:per_channel:percentile:99.99");
}

TEST_CASE("property: dequantize(quantize(w)) stays within scale/2 for random shapes and percentiles", "[symmetric]") {
    std::mt19937 rng(2024);
    std::uniform_int_distribution<int> rows_d(1, 40), cols_d(1, 300);
    std::uniform_real_distribution<double> p_d(90.0, 100.0);
    for (int iter = 0; iter < 200; ++iter) {
        const int rows = rows_d(rng), cols = cols_d(rng);
        const double p = iter % 10 == 0 ? 100.0 : p_d(rng);
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(rows * cols), static_cast<std::uint32_t>(iter), 0.1f, 0.01);
        const auto t = per_channel_pct{mixq::percentile{p}}.quantize(w, rows);
        for (int r = 0; r < rows; ++r) {
            const float s = t.scale_of_row(r);
            for (int c = 0; c < cols; ++c) {
                const float x = w[static_cast<std::size_t>(r * cols + c)];
                const double err = std::fabs(static_cast<double>(t.dequantize(r, c)) - x);
                const double v = static_cast<double>(x) / s;
                if (v >= -128.0 && v <= 127.0) REQUIRE(err <= 0.5 * s * (1 + 1e-5));
                else  // beyond the clipping range: saturated at the extreme level, never wrapped
                    REQUIRE(t.codes[static_cast<std::size_t>(r * cols + c)] == (v > 0 ? 127 : -128));
            }
        }
    }
}

TEST_CASE("an empty tensor quantizes to nothing without error", "[symmetric]") {
    const std::vector<float> none;
    const auto a = per_channel_pct{}.quantize(none, 0);
    CHECK(a.codes.empty());
    CHECK(a.scales.empty());
    const auto b = per_channel_pct{}.quantize(none, 5);  // shape [5, 0]: five rows of nothing
    CHECK(b.scales == std::vector<float>(5, 1.0f));
}
