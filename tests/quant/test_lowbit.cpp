// Tests include/mixq/quant/lowbit.hpp: int4 / nf4 groups and fp8 rows on awkward lengths, against the codecs' spec.
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/calib/mse.hpp>
#include <mixq/quant/lowbit.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
const std::int64_t lengths[] = {1, 7, 63, 65, 4097};
float group_absmax(const std::vector<float>& w, std::int64_t r, std::int64_t cols, std::int64_t c0, std::int64_t n) {
    float m = 0;
    for (std::int64_t c = c0; c < c0 + n; ++c) m = std::max(m, std::fabs(w[static_cast<std::size_t>(r * cols + c)]));
    return m;
}
}  // namespace

TEMPLATE_TEST_CASE("int4 groups with max scales: scale = absmax / 7 per group, error within scale/2", "[lowbit][int4]",
                   mixq::per_group<32>, mixq::per_group<64>, mixq::per_group<128>) {
    constexpr std::int64_t G = TestType::size;
    const mixq::groupwise<mixq::int4, TestType, mixq::absmax> q;
    std::uint32_t seed = 300;
    for (auto cols : lengths) {
        const std::int64_t rows = 3;
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(rows * cols), ++seed, 0.05f, 0.01);
        const auto m = q.quantize(w, rows);
        REQUIRE(m.cols == cols);
        REQUIRE(m.groups() == (cols + G - 1) / G);
        REQUIRE(m.packed.size() == static_cast<std::size_t>(rows * ((cols + 1) / 2)));
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t g = 0; g < m.groups(); ++g) {  // the last group may be short
                const float mx = group_absmax(w, r, cols, g * G, std::min(G, cols - g * G));
                REQUIRE(m.scales[static_cast<std::size_t>(r * m.groups() + g)] == (mx == 0 ? 1.0f : mx / 7.0f));
            }
            for (std::int64_t c = 0; c < cols; ++c) {
                const float x = w[static_cast<std::size_t>(r * cols + c)];
                REQUIRE(std::fabs(m.dequantize(r, c) - x) <= 0.5f * m.scale(r, c) * (1 + 1e-5f));
                REQUIRE(m.code(r, c) >= -7);  // the absmax maps to 7, so -8 never appears
            }
            if (cols % 2) REQUIRE((m.packed[static_cast<std::size_t>(r * m.row_bytes() + m.row_bytes() - 1)] >> 4) == 0);
        }
        CHECK(q.scheme() == "int4:symmetric:group" + std::to_string(G) + ":max");
    }
}

TEST_CASE("int4 with an mse clip: inside the clip within scale/2, beyond it saturated, never worse than max", "[lowbit][int4]") {
    const auto mse = mixq::mse_lowbit<mixq::int4_codec>;
    const mixq::groupwise<mixq::int4, mixq::per_group<64>, mixq::mse_for<mixq::int4_codec>> q{mse};
    const mixq::groupwise<mixq::int4, mixq::per_group<64>, mixq::absmax> qmax;
    std::uint32_t seed = 320;
    std::size_t clipped = 0;
    for (auto cols : lengths) {
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(4 * cols), ++seed, 0.05f, 0.02);
        const auto m = q.quantize(w, 4), mm = qmax.quantize(w, 4);
        for (std::int64_t r = 0; r < 4; ++r) {
            for (std::int64_t g = 0; g < m.groups(); ++g) {  // per group, the squared error does not grow
                double e = 0, emax = 0;
                for (std::int64_t c = g * 64; c < std::min(cols, (g + 1) * 64); ++c) {
                    const double x = w[static_cast<std::size_t>(r * cols + c)];
                    e += (m.dequantize(r, c) - x) * (m.dequantize(r, c) - x);
                    emax += (mm.dequantize(r, c) - x) * (mm.dequantize(r, c) - x);
                }
                REQUIRE(e <= emax * (1 + 1e-9));
            }
            for (std::int64_t c = 0; c < cols; ++c) {
                const float x = w[static_cast<std::size_t>(r * cols + c)], s = m.scale(r, c);
                if (std::fabs(x) <= 7.0f * s) {
                    REQUIRE(std::fabs(m.dequantize(r, c) - x) <= 0.5f * s * (1 + 1e-5f));
                } else {
                    ++clipped;
                    REQUIRE(std::fabs(m.dequantize(r, c)) >= 7.0f * s * (1 - 1e-6f));
                    REQUIRE(std::signbit(m.dequantize(r, c)) == std::signbit(x));
                }
            }
        }
    }
    CHECK(clipped > 0);  // the outliers were clipped, as the search means to
    CHECK(q.scheme() == "int4:symmetric:group64:mse");
}

TEST_CASE("nf4 blocks of 64: absmax maps to 1, every value to its nearest level by brute force", "[lowbit][nf4]") {
    const mixq::groupwise<mixq::nf4, mixq::per_group<64>, mixq::absmax> q;
    std::uint32_t seed = 340;
    for (auto cols : lengths) {
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(2 * cols), ++seed, 0.05f, 0.01);
        const auto m = q.quantize(w, 2);
        for (std::int64_t r = 0; r < 2; ++r)
            for (std::int64_t c = 0; c < cols; ++c) {
                const float s = m.scale(r, c), v = w[static_cast<std::size_t>(r * cols + c)] / s;
                REQUIRE(s == group_absmax(w, r, cols, c / 64 * 64, std::min<std::int64_t>(64, cols - c / 64 * 64)));
                // brute force: no level is strictly closer (in fp32, as the spec computes it), a tie keeps the lower
                const auto code = static_cast<unsigned>(m.code(r, c));
                for (unsigned i = 0; i < 16; ++i) {
                    const float d = std::fabs(v - mixq::nf4_levels[i]), dc = std::fabs(v - mixq::nf4_levels[code]);
                    REQUIRE((d > dc || (d == dc && i >= code)));
                }
                REQUIRE(m.dequantize(r, c) == mixq::nf4_levels[code] * s);
            }
    }
    CHECK(q.scheme() == "nf4:group64:max");
}

TEST_CASE("fp8 rows: scale = absmax / 448, codes are the codec's, the row's max is exact up to one rounding", "[lowbit][fp8]") {
    const mixq::float8_per_channel<mixq::absmax> q;
    std::uint32_t seed = 360;
    for (auto cols : lengths) {
        const auto w = mixq::test::random_weights(static_cast<std::size_t>(3 * cols), ++seed, 0.05f, 0.01);
        const auto m = q.quantize(w, 3);
        for (std::int64_t r = 0; r < 3; ++r) {
            const float mx = group_absmax(w, r, cols, 0, cols);
            REQUIRE(m.scales[static_cast<std::size_t>(r)] == mx / 448.0f);
            for (std::int64_t c = 0; c < cols; ++c) {
                const float x = w[static_cast<std::size_t>(r * cols + c)];
                REQUIRE(m.codes[static_cast<std::size_t>(r * cols + c)] == mixq::fp8_e4m3_encode(x / m.scales[static_cast<std::size_t>(r)]));
                // relative error of a normal e4m3 value is at most 2^-4; subnormals at most half their step
                REQUIRE(std::fabs(m.dequantize(r, c) - x) <= std::max(std::fabs(x) * 0.0625f, 0x1p-10f * m.scales[static_cast<std::size_t>(r)]) * 1.0001f);
            }
        }
    }
    CHECK(q.scheme() == "fp8_e4m3:per_channel:max");
}

TEST_CASE("zero groups and rows stay exact (scale 1), empty tensors are legal", "[lowbit]") {
    const std::vector<float> z(70, 0.0f);
    const auto m = mixq::groupwise<mixq::int4, mixq::per_group<32>, mixq::absmax>{}.quantize(z, 1);
    for (float s : m.scales) CHECK(s == 1.0f);
    for (std::int64_t c = 0; c < 70; ++c) CHECK(m.dequantize(0, c) == 0.0f);
    const auto f = mixq::float8_per_channel<mixq::absmax>{}.quantize(z, 2);
    CHECK(f.scales == std::vector<float>{1.0f, 1.0f});
    const auto e = mixq::groupwise<mixq::nf4, mixq::per_group<64>, mixq::absmax>{}.quantize({}, 0);
    CHECK(e.packed.empty());
    using q64 = mixq::groupwise<mixq::int4, mixq::per_group<64>, mixq::absmax>;
    CHECK_THROWS_AS(q64{}.quantize(z, 3), mixq::error);  // 70 values are not 3 rows
}

TEST_CASE("with_lowbit gives every precision below int8 its policy, sized as its traits say, and refuses the rest", "[lowbit]") {
    const std::int64_t rows = 3, cols = 130;  // not a whole number of any group
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(rows * cols), 11);
    int visited = 0;
    for (const auto& f : mixq::formats) {
        INFO(f.name);
        if (!mixq::is_lowbit(f.id)) {
            CHECK_THROWS(mixq::with_lowbit(f.id, [](auto) {}));
            continue;
        }
        ++visited;
        mixq::with_lowbit(f.id, [&]<mixq::precision P>(std::integral_constant<mixq::precision, P>) {
            using Q = mixq::lowbit_policy<P, mixq::absmax>;
            CHECK(Q::target == f.id);
            CHECK(Q::group == f.group);
            const auto m = Q{}.quantize(w, rows);
            CHECK(m.scales.size() == f.scale_count(rows, cols));
            if constexpr (mixq::is_packed4(P)) CHECK(m.packed.size() == rows * f.row_bytes(cols));
            else CHECK(m.codes.size() == rows * f.row_bytes(cols));
        });
    }
    CHECK(visited == 5);  // int4_g32, int4_g64, int4_g128, nf4, fp8_e4m3
}
