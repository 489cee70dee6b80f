// Tests include/mixq/core/dtype.hpp: the safetensors dtype names and element sizes.
#include <mixq/core/dtype.hpp>

#include "support/catch.hpp"

TEST_CASE("safetensors dtypes parse with their element sizes", "[dtype]") {
    for (const auto& i : mixq::dtype_table) {
        CHECK(mixq::parse_dtype(i.name) == i.type);
        CHECK(mixq::size_of(i.type) == i.size);
    }
    CHECK(mixq::size_of(mixq::dtype::bf16) == 2);
    CHECK_FALSE(mixq::parse_dtype("F12"));
    CHECK_FALSE(mixq::parse_dtype("f32"));
}
