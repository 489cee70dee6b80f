// Tests include/mixq/io/safetensors_writer.hpp: round trip of random tensors of awkward shapes and dtypes.
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/io/safetensors_writer.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("written tensors read back byte for byte and 8-byte aligned", "[safetensors_writer]") {
    mixq::test::temp_dir dir;
    const auto a = mixq::test::random_weights(7 * 13, 1);
    const std::vector<std::int8_t> b{-128, 0, 127};
    std::vector<std::uint16_t> c(5);
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = mixq::float_to_half_bits(a[i]);
    const std::vector<mixq::io::tensor_out> out{
        {"odd.shape", mixq::dtype::f32, {7, 13}, std::as_bytes(std::span(a))},
        {"q", mixq::dtype::i8, {3}, std::as_bytes(std::span(b))},
        {"h", mixq::dtype::f16, {5, 1}, std::as_bytes(std::span(c))},
        {"empty", mixq::dtype::f32, {0}, {}},
    };
    const auto path = dir.file("x.safetensors");
    mixq::io::write_safetensors(path, out, {{"format", "mixq"}});
    const auto raw = mixq::test::read_bytes(path);
    std::uint64_t hlen = 0;
    std::memcpy(&hlen, raw.data(), 8);
    CHECK((8 + hlen) % 8 == 0);

    const auto f = mixq::io::safetensors_file::open(path);
    CHECK(f.metadata().at("format") == "mixq");
    REQUIRE(f.tensors().size() == out.size());
    for (const auto& o : out) {
        const auto& t = f.at(o.name);
        CHECK(t.type == o.type);
        CHECK(t.shape == o.shape);
        CHECK(mixq::same_bytes(t.bytes, o.bytes));
    }
}

TEST_CASE("a tensor whose bytes disagree with its shape is refused before anything is written", "[safetensors_writer]") {
    mixq::test::temp_dir dir;
    const std::vector<float> v(3, 1.0f);
    const std::vector<mixq::io::tensor_out> out{{"v", mixq::dtype::f32, {4}, std::as_bytes(std::span(v))}};
    CHECK_THROWS_AS(mixq::io::write_safetensors(dir.file("y.safetensors"), out), mixq::error);
    CHECK(dir.entries() == 0);
}
