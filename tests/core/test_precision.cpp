// Tests include/mixq/core/precision.hpp and include/mixq/core/dtype.hpp: names, parsing, sizes.
#include <mixq/core/dtype.hpp>
#include <mixq/core/precision.hpp>

#include "support/catch.hpp"

TEST_CASE("every precision round-trips through its name", "[precision]") {
    for (auto p : mixq::all_precisions) CHECK(mixq::parse_precision(mixq::to_string(p)) == p);
    CHECK(mixq::parse_precision("float16") == mixq::precision::fp16);
    CHECK(mixq::parse_precision("bfloat16") == mixq::precision::bf16);
    CHECK(mixq::parse_precision("half") == mixq::precision::fp16);
    CHECK_FALSE(mixq::parse_precision("int3"));
    CHECK_FALSE(mixq::parse_precision("INT8"));  // names are case-sensitive, like the tables' JSON
    CHECK_FALSE(mixq::parse_precision("int4"));  // the group size must be named
    CHECK(mixq::parse_precision("float8_e4m3fn") == mixq::precision::fp8_e4m3);
}

TEST_CASE("precisions below int8 know their bits, groups and storage", "[precision]") {
    using enum mixq::precision;
    CHECK(mixq::bits_per_value(int4_g32) == 4);
    CHECK(mixq::bits_per_value(nf4) == 4);
    CHECK(mixq::bits_per_value(fp8_e4m3) == 8);
    CHECK(mixq::group_size(int4_g32) == 32);
    CHECK(mixq::group_size(int4_g64) == 64);
    CHECK(mixq::group_size(int4_g128) == 128);
    CHECK(mixq::group_size(nf4) == 64);
    CHECK(mixq::group_size(fp8_e4m3) == 0);
    CHECK(mixq::group_size(int8) == 0);
    for (auto p : mixq::all_precisions) {
        CHECK(mixq::is_packed4(p) == (mixq::bits_per_value(p) == 4 && !mixq::is_ggml_block(p)));
        CHECK(mixq::is_quantized(p) == (p == int8 || p == fp8_e4m3 || mixq::is_packed4(p)));
        if (mixq::group_size(p) && p != nf4) CHECK(mixq::int4_with_group(mixq::group_size(p)) == p);
    }
    CHECK_FALSE(mixq::int4_with_group(16));
}

TEST_CASE("safetensors dtypes parse with their element sizes", "[dtype]") {
    for (const auto& i : mixq::dtype_table) {
        CHECK(mixq::parse_dtype(i.name) == i.type);
        CHECK(mixq::size_of(i.type) == i.size);
    }
    CHECK(mixq::size_of(mixq::dtype::bf16) == 2);
    CHECK_FALSE(mixq::parse_dtype("F12"));
    CHECK_FALSE(mixq::parse_dtype("f32"));
    CHECK(mixq::precision_of(mixq::dtype::f16) == mixq::precision::fp16);
    CHECK_FALSE(mixq::precision_of(mixq::dtype::i64));
}
