// Tests include/mixq/format/nf4.hpp: the codebook, each code's level, and nearest-level coding (ties lower).
#include <cmath>
#include <mixq/format/nf4.hpp>
#include <random>

#include "support/catch.hpp"

TEST_CASE("nf4: the codebook is sorted, spans [-1, 1] and each level codes to itself", "[nf4]") {
    CHECK(mixq::nf4_levels.front() == -1.0f);
    CHECK(mixq::nf4_levels.back() == 1.0f);
    CHECK(mixq::nf4_levels[7] == 0.0f);
    for (unsigned i = 0; i < 16; ++i) {
        if (i) CHECK(mixq::nf4_levels[i - 1] < mixq::nf4_levels[i]);
        CHECK(mixq::nf4_code(mixq::nf4_levels[i]) == i);
        CHECK(mixq::nf4_value(i, 2.0f) == mixq::nf4_levels[i] * 2.0f);
    }
    CHECK(mixq::nf4_scale(0.0f) == 1.0f);
    CHECK(mixq::nf4_scale(0.25f) == 0.25f);
}

TEST_CASE("nf4: every value goes to its nearest level, ties to the lower one, beyond ±1 saturates", "[nf4]") {
    std::mt19937 rng(44);
    std::uniform_real_distribution<float> u(-1.3f, 1.3f);
    for (int n = 0; n < 100000; ++n) {
        const float v = u(rng);
        // Brute force in double over the codebook: the smallest distance, the lowest index on a tie.
        unsigned best = 0;
        for (unsigned i = 1; i < 16; ++i)
            if (std::fabs(static_cast<double>(v) - mixq::nf4_levels[i]) < std::fabs(static_cast<double>(v) - mixq::nf4_levels[best])) best = i;
        const unsigned got = mixq::nf4_code(v);
        if (got != best) {  // only an fp32 tie can differ from the double search: then the lower level wins
            INFO("v=" << v << " got " << got << " double " << best);
            REQUIRE(std::fabs(v - mixq::nf4_levels[got]) == std::fabs(v - mixq::nf4_levels[best]));
            REQUIRE(got < best);
        }
    }
    // An exact midpoint in fp32 goes to the lower level.
    const float mid = (mixq::nf4_levels[7] + mixq::nf4_levels[8]) / 2.0f;
    REQUIRE(std::fabs(mid - mixq::nf4_levels[7]) == std::fabs(mid - mixq::nf4_levels[8]));
    CHECK(mixq::nf4_code(mid) == 7);
    CHECK(mixq::nf4_code(5.0f) == 15);
    CHECK(mixq::nf4_code(-5.0f) == 0);
    CHECK(mixq::nf4_code(0.7f, 1.0f) == mixq::nf4_code(0.35f, 0.5f));
}
