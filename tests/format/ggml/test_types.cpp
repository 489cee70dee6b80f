// format/ggml/types.hpp: the traits table against ggml's block sizes, and llama-quantize's fallbacks for rows a type cannot hold.
#include <mixq/format/formats.hpp>
#include <mixq/format/ggml/types.hpp>
#include <set>
#include <string>

#include "support/catch.hpp"

using namespace mixq::gguf;

TEST_CASE("every ggml type: id, name and bytes per block as ggml-common.h / ggml.c give them", "[gguf][format]") {
    // ggml's type_traits: {id, name, blck_size, type_size}
    struct want_t { std::uint32_t id; const char* name; std::int64_t block, bytes; };
    const want_t want[] = {{0, "F32", 1, 4},      {1, "F16", 1, 2},      {30, "BF16", 1, 2},     {8, "Q8_0", 32, 34},
                           {2, "Q4_0", 32, 18},   {3, "Q4_1", 32, 20},   {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},
                           {20, "IQ4_NL", 32, 18}, {10, "Q2_K", 256, 84}, {11, "Q3_K", 256, 110}, {12, "Q4_K", 256, 144},
                           {13, "Q5_K", 256, 176}, {14, "Q6_K", 256, 210}};
    CHECK(std::size(ggml_types) == std::size(want));
    std::set<std::string> names;
    for (const auto& w : want) {
        const auto t = find_ggml_type(w.id);
        REQUIRE(t);
        CHECK(t->name == w.name);
        CHECK(t->block == w.block);
        CHECK(t->block_bytes == w.bytes);
        CHECK((t->quantize != nullptr) == (w.block > 1));
        CHECK((t->dequantize != nullptr) == (w.block > 1));
        names.insert(std::string(t->name));
    }
    CHECK(names.size() == std::size(want));
    CHECK_FALSE(find_ggml_type(9));   // Q8_1: an activation type, never a weight in a file mixq writes
    CHECK_FALSE(find_ggml_type(15));  // Q8_K likewise
    CHECK(row_bytes(ggml_type::q4_k, 4096) == 16 * 144);
    CHECK(row_bytes(ggml_type::iq4_nl, 96) == 3 * 18);
}

TEST_CASE("rows a type cannot hold fall back as llama-quantize's tensor_type_fallback does", "[gguf][format]") {
    using g = ggml_type;
    // rows of 32 / 96: no K-quant super-block fits; Q2_K / Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0
    for (std::int64_t n : {32, 96, 128, 4000}) {
        CHECK(fitting_type(g::q2_k, n) == g::q4_0);
        CHECK(fitting_type(g::q3_k, n) == g::q4_0);
        CHECK(fitting_type(g::q4_k, n) == g::q5_0);
        CHECK(fitting_type(g::q5_k, n) == g::q5_1);
        CHECK(fitting_type(g::q6_k, n) == g::q8_0);
        CHECK(fitting_type(g::iq4_nl, n) == g::iq4_nl);
    }
    for (std::int64_t n : {256, 512, 2304})
        for (const auto& t : ggml_types) CHECK(fitting_type(t.type, n) == t.type);
    // rows of 300 or 8: not even a block of 32, so F16 (for every block type)
    for (std::int64_t n : {300, 8, 1})
        for (const auto& t : ggml_types)
            if (t.block > 1) CHECK(fitting_type(t.type, n) == g::f16);
    for (const auto& t : ggml_types)
        if (t.block == 1) CHECK(fitting_type(t.type, 300) == t.type);
}

TEST_CASE("the ggml types are mixq precisions, named as the issue and as llama.cpp print them", "[gguf][precision]") {
    using mixq::precision;
    for (auto [s, p] : {std::pair{"q4_k", precision::q4_k}, {"Q4_K", precision::q4_k}, {"iq4_nl", precision::iq4_nl},
                        {"IQ4_NL", precision::iq4_nl}, {"q8_0", precision::q8_0}, {"Q2_K", precision::q2_k}}) {
        INFO(s);
        CHECK(mixq::parse_precision(s) == p);
    }
    CHECK_FALSE(mixq::parse_precision("q4_K_M"));  // a llama.cpp mix, not a type
    CHECK_FALSE(mixq::parse_precision("Q4_k"));
    CHECK_FALSE(mixq::parse_precision("q7_k"));
    for (auto p : mixq::all_precisions) {
        CHECK(mixq::is_ggml_block(p) == (p >= precision::q4_0));
        if (mixq::is_ggml_block(p)) {
            CHECK_FALSE(mixq::is_quantized(p));  // never mixq-stored codes + scales
            CHECK_FALSE(mixq::is_packed4(p));
        }
    }
    CHECK(mixq::bits_per_value(precision::q3_k) == 3);
    CHECK(mixq::bits_per_value(precision::q6_k) == 6);
}
