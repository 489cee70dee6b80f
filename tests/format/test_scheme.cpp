// Tests include/mixq/format/scheme.hpp: the scheme strings mixq writes are read back; others are refused.
#include <mixq/format/scheme.hpp>

#include "support/catch.hpp"

TEST_CASE("schemes: precision and group read back from what the converter writes", "[scheme]") {
    using enum mixq::precision;
    CHECK(mixq::parse_scheme("int4:symmetric:group64:max")->target == int4_g64);
    CHECK(mixq::parse_scheme("int4:symmetric:group32:mse:gptq")->group == 32);
    CHECK(mixq::parse_scheme("int4:symmetric:group128:max")->target == int4_g128);
    CHECK(mixq::parse_scheme("nf4:group64:max")->target == nf4);
    CHECK(mixq::parse_scheme("fp8_e4m3:per_channel:max")->target == fp8_e4m3);
    CHECK(mixq::parse_scheme("int8:symmetric:per_channel:percentile:99.99")->target == int8);
    CHECK(mixq::parse_scheme("fp16")->target == fp16);
    CHECK_FALSE(mixq::parse_scheme("int4:symmetric:group48:max"));  // no such precision
    CHECK_FALSE(mixq::parse_scheme("int4:symmetric:max"));          // no group
    CHECK_FALSE(mixq::parse_scheme("nf4:group128:max"));            // nf4 blocks are 64
    CHECK_FALSE(mixq::parse_scheme("int3:whatever"));
    CHECK_FALSE(mixq::parse_scheme("int4:group99999999999999999999"));
    CHECK_FALSE(mixq::parse_scheme(""));
}
