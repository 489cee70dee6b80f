// Tests include/mixq/calib/mse.hpp against a brute-force search over a fine grid of clipping values.
#include <mixq/calib/mse.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("mse finds a clip as good as a 4000-point brute-force search", "[mse]") {
    std::uint32_t seed = 900;
    for (std::size_t n : {1u, 3u, 127u, 2000u}) {
        const auto v = mixq::test::random_weights(n, ++seed, 0.05f, 0.02);  // outliers make clipping pay
        float mx = 0;
        for (float x : v) mx = std::max(mx, std::fabs(x));
        double brute = mixq::int8_squared_error(v, mx);
        for (int k = 1; k <= 4000; ++k) brute = std::min(brute, mixq::int8_squared_error(v, mx * static_cast<float>(k) / 4000.0f));
        const float clip = mixq::mse{}(v);
        INFO("n = " << n << ", clip " << clip << " of max " << mx);
        CHECK(clip > 0.0f);
        CHECK(clip <= mx);
        CHECK(mixq::int8_squared_error(v, clip) <= brute * 1.02 + 1e-30);
        CHECK(mixq::int8_squared_error(v, clip) <= mixq::int8_squared_error(v, mx));  // never worse than max
    }
    CHECK(mixq::mse{}(std::vector<float>(8, 0.0f)) == 0.0f);
}
