// Tests include/mixq/quant/int8_rows.hpp and cast_rows.hpp: the one-sweep kernels give the codes of the
// element-by-element definitions (int8_code, core/half.hpp), error sums equal to measure_error's, the same
// bits on any number of threads, and refuse NaN, Inf and fp16 overflow.
#include <bit>
#include <cmath>
#include <mixq/calib/absmax.hpp>
#include <mixq/calib/percentile.hpp>
#include <mixq/quant/cast_rows.hpp>
#include <mixq/quant/int8_rows.hpp>
#include <mixq/quant/symmetric.hpp>
#include <random>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
void check_error(const mixq::error_stats& got, const mixq::error_stats& ref) {
    CHECK(got.max_abs_error == ref.max_abs_error);  // a maximum does not depend on the order
    CHECK(got.sum_sq_error == Approx(ref.sum_sq_error).epsilon(1e-12));
    CHECK(got.sum_sq == Approx(ref.sum_sq).epsilon(1e-12));
    CHECK(got.rel_rms_error == Approx(ref.rel_rms_error).epsilon(1e-12));
}
}  // namespace

TEST_CASE("int8 rows in one sweep: the codes and scales of symmetric::quantize on awkward shapes, on any thread count", "[sweep]") {
    std::uint32_t seed = 7000;
    for (auto [rows, cols] : {std::pair{1, 1}, {3, 7}, {5, 8}, {9, 15}, {17, 2049}, {301, 64}}) {
        auto w = mixq::test::random_weights(static_cast<std::size_t>(rows * cols), ++seed, 0.02f, 0.01);
        w[0] = 0.0f;
        if (rows > 2)  // an all-zero row (scale 1) and values exactly half-way between codes
            for (int c = 0; c < cols; ++c) {
                w[static_cast<std::size_t>(cols + c)] = 0.0f;
                w[static_cast<std::size_t>(2 * cols + c)] = (c % 2 ? -1.0f : 1.0f) * (static_cast<float>(c % 127) + 0.5f);
            }
        const mixq::symmetric<mixq::int8, mixq::per_channel, mixq::percentile> q{mixq::percentile{99.9}};
        const auto ref = q.quantize(w, rows);
        const auto ref_err = mixq::measure_error(w, [&](std::size_t i) {
            return ref.dequantize(static_cast<std::int64_t>(i) / cols, static_cast<std::int64_t>(i) % cols);
        });
        std::vector<std::byte> first;
        mixq::error_stats first_err;
        for (unsigned threads : {1u, 2u, 5u}) {
            INFO(rows << " x " << cols << " on " << threads << " threads");
            std::vector<std::byte> codes(w.size());
            std::vector<float> scales(static_cast<std::size_t>(rows));
            const auto r = mixq::quantize_int8_rows(w, rows, q.calibrate, codes, scales, threads);
            REQUIRE(r.ok);
            CHECK(scales == ref.scales);
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < w.size(); ++i) wrong += static_cast<std::int8_t>(codes[i]) != ref.codes[i];
            CHECK(wrong == 0);
            check_error(r.error, ref_err);
            if (threads == 1) {
                first = codes;
                first_err = r.error;
            }
            CHECK(codes == first);
            CHECK(std::bit_cast<std::uint64_t>(r.error.sum_sq_error) == std::bit_cast<std::uint64_t>(first_err.sum_sq_error));
        }
    }
}

TEST_CASE("int8 rows refuse a row with NaN or Inf before calibrating it", "[sweep]") {
    for (float bad : {NAN, INFINITY, -INFINITY}) {
        auto w = mixq::test::random_weights(40 * 33, 3);
        w[17 * 33 + 32] = bad;  // the last column of a middle row: past the 8-wide part
        std::vector<std::byte> codes(w.size());
        std::vector<float> scales(40);
        CHECK_FALSE(mixq::quantize_int8_rows(w, 40, mixq::absmax{}, codes, scales, 3).ok);
        CHECK_THROWS_WITH(mixq::check_finite(w, "t"), Catch::Contains("at flat index 593"));
    }
}

TEST_CASE("fp16 and bf16 casts in one sweep: the bits of the scalar casts, refusing overflow", "[sweep]") {
    // Values across fp16's range: subnormals, values half-way between two halves, the largest finite half
    // and just below where rounding overflows (65519.99); lengths around the 8-wide part and the chunk.
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> expo(-27.0f, 15.9f);
    for (std::size_t n : {1u, 7u, 8u, 9u, 8191u, 8192u, 8193u, 30001u}) {
        std::vector<float> w(n);
        for (std::size_t i = 0; i < n; ++i) w[i] = (rng() % 2 ? -1.0f : 1.0f) * std::exp2(expo(rng));
        for (std::size_t i = 0; i < n; i += 97) w[i] = std::bit_cast<float>((std::bit_cast<std::uint32_t>(w[i]) & 0xffffe000u) | 0x1000u);
        if (n > 3) {
            w[1] = 65504.0f;
            w[2] = -65519.99f;
            w[3] = 5.9604645e-08f;  // the smallest fp16 subnormal
        }
        auto sweep = [&]<class Cast>(Cast) {
            INFO(n << " values to " << mixq::to_string(Cast::target));
            const auto ref = mixq::cast_all<Cast>(w, "t");
            const auto ref_err = mixq::measure_error(w, [&](std::size_t i) { return Cast::decode(ref[i]); });
            for (unsigned threads : {1u, 3u}) {
                std::vector<std::byte> out(2 * n);
                const auto r = mixq::cast_rows<Cast>(w, out, threads);
                REQUIRE(r.ok);
                std::size_t wrong = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    std::uint16_t b;
                    std::memcpy(&b, out.data() + 2 * i, 2);
                    wrong += b != ref[i];
                }
                CHECK(wrong == 0);
                check_error(r.error, ref_err);
            }
        };
        sweep(mixq::fp16_cast{});
        sweep(mixq::bf16_cast{});
    }
    std::vector<float> big(100, 1.0f);
    big[61] = 65520.0f;  // rounds to Inf in fp16
    std::vector<std::byte> out(200);
    CHECK_FALSE(mixq::cast_rows<mixq::fp16_cast>(big, out).ok);
    CHECK(mixq::cast_rows<mixq::bf16_cast>(big, out).ok);
    big[61] = NAN;
    CHECK_FALSE(mixq::cast_rows<mixq::bf16_cast>(big, out).ok);
}
