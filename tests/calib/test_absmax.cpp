// Tests include/mixq/calib/absmax.hpp.
#include <mixq/calib/absmax.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("absmax is the largest magnitude with the sign ignored", "[absmax]") {
    const std::vector<float> v{0.5f, -7.25f, 3.0f};
    CHECK(mixq::absmax{}(v) == 7.25f);
    CHECK(mixq::absmax{}(std::span<const float>()) == 0.0f);
    auto w = mixq::test::random_weights(4097, 3);
    w[1234] = -9.5f;
    CHECK(mixq::absmax{}(w) == 9.5f);
    CHECK(mixq::absmax{}.describe() == "max");
}
