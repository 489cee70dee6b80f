// Tests include/mixq/calib/percentile.hpp against numpy's documented values and a full-sort implementation.
#include <algorithm>
#include <cmath>
#include <mixq/calib/percentile.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
// Independent reference: sort everything, then numpy's "linear" method as documented,
// index = q (n - 1), lerp between the two closest ranks (computed directly in double).
double sorted_percentile(std::vector<float> v, double p) {
    for (auto& x : v) x = std::fabs(x);
    std::sort(v.begin(), v.end());
    const double idx = p / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(idx));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (static_cast<double>(v[hi]) - v[lo]) * (idx - static_cast<double>(lo));
}
}  // namespace

TEST_CASE("percentile equals numpy.percentile on a small array", "[percentile]") {
    // Expected values printed by numpy 1.24: np.percentile(np.abs(a), p) for this float32 array.
    const std::vector<float> a{0.5f, -3.25f, 1.0f, 2.0f, -0.125f, 7.5f, -7.25f};
    std::vector<float> scratch;
    CHECK(mixq::abs_percentile(a, 0, scratch) == 0.125);
    CHECK(mixq::abs_percentile(a, 10, scratch) == 0.35000000000000003);
    CHECK(mixq::abs_percentile(a, 50, scratch) == 2.0);
    CHECK(mixq::abs_percentile(a, 90, scratch) == 7.35);
    CHECK(mixq::abs_percentile(a, 99, scratch) == 7.484999999999999);
    CHECK(mixq::abs_percentile(a, 99.9, scratch) == 7.4985);
    CHECK(mixq::abs_percentile(a, 99.99, scratch) == 7.49985);
    CHECK(mixq::abs_percentile(a, 100, scratch) == 7.5);
}

TEST_CASE("percentile by selection agrees with a full sort on rows with outliers", "[percentile]") {
    std::vector<float> scratch;
    std::uint32_t seed = 100;
    for (std::size_t n : {1u, 2u, 3u, 127u, 128u, 100000u}) {
        const auto v = mixq::test::random_weights(n, ++seed, 0.05f, 0.01);
        for (double p : {0.0, 50.0, 99.0, 99.9, 99.99, 100.0}) {
            INFO("n = " << n << ", p = " << p);
            const double got = mixq::abs_percentile(v, p, scratch);
            const double ref = sorted_percentile(v, p);
            CHECK(got == Approx(ref).epsilon(1e-7));  // numpy subtracts the neighbours in fp32
        }
    }
}

TEST_CASE("percentile 100 is the maximum and 0 the minimum - out-of-range p is refused", "[percentile]") {
    const auto v = mixq::test::random_weights(999, 5);
    std::vector<float> scratch;
    float mx = 0, mn = INFINITY;
    for (float x : v) {
        mx = std::max(mx, std::fabs(x));
        mn = std::min(mn, std::fabs(x));
    }
    CHECK(mixq::abs_percentile(v, 100.0, scratch) == mx);
    CHECK(mixq::abs_percentile(v, 0.0, scratch) == mn);
    CHECK_THROWS_AS(mixq::abs_percentile(v, 100.5, scratch), mixq::error);
    CHECK_THROWS_AS(mixq::abs_percentile(v, -1.0, scratch), mixq::error);
    CHECK(mixq::percentile{99.99}.describe() == "percentile:99.99");
    CHECK(mixq::percentile{99.99}(v) == static_cast<float>(sorted_percentile(v, 99.99)));
}

TEST_CASE("high percentiles read from the top few values equal the ranks of a full sort, ties included", "[percentile]") {
    // k = n - floor((n - 1) p / 100) values lie at or above the lower rank: up to 16 are found in one pass
    // (calib/percentile.hpp's top_abs), more by selection. Both must give exactly the sorted ranks.
    std::vector<float> scratch;
    std::uint32_t seed = 900;
    for (std::size_t n : {1u, 2u, 15u, 16u, 17u, 33u, 2048u, 2049u, 5000u, 160001u})
        for (bool ties : {false, true}) {
            auto v = mixq::test::random_weights(n, ++seed, 0.05f, 0.01);
            if (ties)  // every 7th value copied from the other end with alternating signs: equal magnitudes in many blocks
                for (std::size_t i = 0; i < n; i += 7) v[i] = (i % 2 ? -1.0f : 1.0f) * std::fabs(v[n - 1 - i]);
            std::vector<float> sorted(v);
            for (auto& x : sorted) x = std::fabs(x);
            std::sort(sorted.begin(), sorted.end());
            for (double p : {90.0, 99.0, 99.5, 99.9, 99.99, 99.999, 100.0}) {
                const auto at = mixq::percentile_at(static_cast<std::int64_t>(n), p);
                const double ref = mixq::percentile_lerp(sorted[static_cast<std::size_t>(at.prev)],
                                                         sorted[static_cast<std::size_t>(at.next)], at.gamma);
                INFO("n = " << n << ", p = " << p << ", ties = " << ties << ", values at or above the rank: " << n - at.prev);
                CHECK(mixq::abs_percentile(v, p, scratch) == ref);
            }
        }
}
