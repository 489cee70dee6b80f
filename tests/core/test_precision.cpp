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
    CHECK(mixq::bits_per_value(mixq::precision::int4) == 4);
    CHECK_FALSE(mixq::is_implemented(mixq::precision::int4));
    CHECK(mixq::is_implemented(mixq::precision::int8));
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
