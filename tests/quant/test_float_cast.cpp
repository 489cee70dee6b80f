// Tests include/mixq/quant/float_cast.hpp and check_finite.hpp: overflow and NaN are refused, naming the tensor.
#include <limits>
#include <mixq/quant/check_finite.hpp>
#include <mixq/quant/float_cast.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("fp16 and bf16 casts round every value to nearest even", "[float_cast]") {
    const auto w = mixq::test::random_weights(1001, 9);
    const auto h = mixq::cast_all<mixq::fp16_cast>(w, "w");
    const auto b = mixq::cast_all<mixq::bf16_cast>(w, "w");
    for (std::size_t i = 0; i < w.size(); ++i) {
        CHECK(mixq::half_bits_to_float(h[i]) == mixq::round_to_half(w[i]));
        CHECK(mixq::bf16_bits_to_float(b[i]) == mixq::round_to_bf16(w[i]));
    }
}

TEST_CASE("a value beyond the fp16 range is an error naming the tensor", "[float_cast][bad_input]") {
    const std::vector<float> w{1.0f, 70000.0f};
    try {
        (void)mixq::cast_all<mixq::fp16_cast>(w, "layers.0.ssm.D");
        FAIL("expected an error");
    } catch (const mixq::error& e) {
        CHECK(std::string(e.what()).find("layers.0.ssm.D") != std::string::npos);
        CHECK(std::string(e.what()).find("index 1") != std::string::npos);
    }
    CHECK_NOTHROW(mixq::cast_all<mixq::bf16_cast>(w, "x"));  // bf16 has fp32's range
}

TEST_CASE("NaN and Inf are refused with the tensor and index", "[check_finite][bad_input]") {
    std::vector<float> w(10, 0.5f);
    CHECK_NOTHROW(mixq::check_finite(w, "ok"));
    w[7] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(mixq::check_finite(w, "embedding.weight"),
                      "tensor 'embedding.weight' contains NaN at flat index 7; refusing to quantize it");
    w[7] = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(mixq::check_finite(w, "x"), mixq::error);
}
