// Tests include/mixq/format/int4.hpp and packed4.hpp: scale, rounding, saturation, nibble packing, decoding.
#include <cmath>
#include <mixq/format/packed4.hpp>

#include "support/catch.hpp"

TEST_CASE("int4 codec: clip / 7, ties to even, saturation at -8 and 7", "[int4]") {
    CHECK(mixq::int4_scale(0.7f) == 0.7f / 7.0f);
    CHECK(mixq::int4_scale(0.0f) == 1.0f);
    CHECK(mixq::int4_code(2.5f, 1.0f) == 2);
    CHECK(mixq::int4_code(3.5f, 1.0f) == 4);
    CHECK(mixq::int4_code(-2.5f, 1.0f) == -2);
    CHECK(mixq::int4_code(100.0f, 1.0f) == 7);
    CHECK(mixq::int4_code(-100.0f, 1.0f) == -8);
    for (int c = -8; c <= 7; ++c) CHECK(mixq::int4_from_nibble(mixq::int4_to_nibble(c)) == c);
}

TEST_CASE("nibble packing: low nibble first, neighbours untouched, every nibble decodes by its codebook", "[int4]") {
    std::uint8_t row[3] = {0, 0, 0};
    for (int c = 0; c < 5; ++c) mixq::set_nibble(row, c, static_cast<unsigned>(c + 9));
    CHECK(row[0] == 0xa9);
    CHECK(row[1] == 0xcb);
    CHECK(row[2] == 0x0d);  // odd length: the padding nibble stays 0
    mixq::set_nibble(row, 2, 1);
    CHECK(row[1] == 0xc1);
    for (int c = 0; c < 5; ++c) CHECK(mixq::nibble_at(row, c) == (c == 2 ? 1u : static_cast<unsigned>(c + 9)));

    mixq::packed4_matrix m{1, 32, 32, std::vector<std::uint8_t>(16), {0.5f}, mixq::codebook4::int4};
    for (int c = 0; c < 32; ++c) mixq::set_nibble(m.packed.data(), c, static_cast<unsigned>(c % 16));
    for (int c = 0; c < 32; ++c) {
        const int code = (c % 16) < 8 ? c % 16 : c % 16 - 16;
        CHECK(m.code(0, c) == code);
        CHECK(m.dequantize(0, c) == static_cast<float>(code) * 0.5f);
    }
    m.book = mixq::codebook4::nf4;
    for (int c = 0; c < 32; ++c) CHECK(m.dequantize(0, c) == mixq::nf4_levels[static_cast<std::size_t>(c % 16)] * 0.5f);
    std::vector<float> out(7);
    m.view().row_values(0, 9, 7, out.data());
    for (int i = 0; i < 7; ++i) CHECK(out[static_cast<std::size_t>(i)] == m.dequantize(0, 9 + i));
}
