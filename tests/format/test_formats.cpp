// Tests include/mixq/format/formats.hpp and format/traits.hpp: the list of formats and what derives from it.
#include <mixq/format/formats.hpp>
#include <mixq/format/ggml/types.hpp>
#include <mixq/format/packed4.hpp>

#include <cctype>
#include <string>

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

TEST_CASE("every format's traits entry agrees with its name, its storage and GGUF's table", "[precision]") {
    using enum mixq::precision;
    for (const auto& f : mixq::formats) {
        INFO(f.name);
        CHECK(mixq::traits(f.id).name == f.name);
        CHECK(f.name.substr(0, f.family.size()) == f.family);  // "int4_g64" is of the family "int4"
        CHECK((f.scales == mixq::scale_layout::per_group) == (f.group > 0));
        CHECK(f.stored.has_value() == (f.scales != mixq::scale_layout::in_blocks));
        if (f.scales == mixq::scale_layout::none) CHECK(mixq::size_of(*f.stored) * 8 == static_cast<std::size_t>(f.bits));
        if (f.scales == mixq::scale_layout::in_blocks) {
            // A block type is GGUF's own: its ggml name is its name in capitals, and the tables parse both.
            REQUIRE(f.gguf);
            std::string upper(f.name);
            for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            CHECK(mixq::gguf::to_string(*f.gguf) == upper);
            CHECK(mixq::parse_precision(upper) == f.id);
        }
    }
    // The mixq formats GGUF writes as ggml's own (the export's mapping).
    CHECK(mixq::gguf::ggml_type_for(int8) == mixq::gguf::ggml_type::q8_0);
    CHECK(mixq::gguf::ggml_type_for(int4_g32) == mixq::gguf::ggml_type::q4_0);
    CHECK(mixq::gguf::ggml_type_for(bf16) == mixq::gguf::ggml_type::bf16);
    CHECK_FALSE(mixq::gguf::ggml_type_for(int4_g64));
    CHECK_FALSE(mixq::gguf::ggml_type_for(nf4));
    CHECK_FALSE(mixq::gguf::ggml_type_for(fp8_e4m3));
}

TEST_CASE("a format's row bytes and scale count are what its encoder writes, at awkward widths", "[precision]") {
    using enum mixq::precision;
    for (std::int64_t cols : {1, 31, 33, 64, 127, 130}) {
        INFO("cols " << cols);
        const auto c = static_cast<std::uint64_t>(cols);
        CHECK(mixq::traits(fp32).row_bytes(c) == 4 * c);
        CHECK(mixq::traits(bf16).row_bytes(c) == 2 * c);
        CHECK(mixq::traits(int8).row_bytes(c) == c);
        CHECK(mixq::traits(fp8_e4m3).row_bytes(c) == c);
        CHECK(mixq::traits(fp8_e4m3).scale_count(3, c) == 3);
        CHECK(mixq::traits(fp16).scale_count(3, c) == 0);
        for (auto p : {int4_g32, int4_g64, int4_g128, nf4}) {
            // packed4_matrix is what the encoders fill: its row bytes and groups are the stored shape.
            mixq::packed4_matrix m;
            m.rows = 3, m.cols = cols, m.group = mixq::group_size(p);
            CHECK(mixq::traits(p).row_bytes(c) == static_cast<std::uint64_t>(m.row_bytes()));
            CHECK(mixq::traits(p).scale_count(3, c) == static_cast<std::uint64_t>(3 * m.groups()));
        }
    }
    CHECK(mixq::traits(q4_k).row_bytes(256) == 0);  // GGUF-only: format/ggml/types.hpp sizes its rows
}

TEST_CASE("scheme families and groups name one format each", "[precision]") {
    using enum mixq::precision;
    CHECK(mixq::format_of("int4", 128) == int4_g128);
    CHECK(mixq::format_of("nf4", 64) == nf4);
    CHECK_FALSE(mixq::format_of("nf4", 32));
    CHECK(mixq::format_of("int8", 0) == int8);
    CHECK_FALSE(mixq::format_of("int4", 0));
    CHECK(mixq::precision_of(mixq::dtype::f16) == fp16);
    CHECK(mixq::precision_of(mixq::dtype::i8) == int8);
    CHECK(mixq::precision_of(mixq::dtype::f8_e4m3) == fp8_e4m3);
    CHECK_FALSE(mixq::precision_of(mixq::dtype::u8));  // packed 4-bit codes: the scheme says which
    CHECK_FALSE(mixq::precision_of(mixq::dtype::i64));
}
