// Tests include/mixq/precision/table_json.hpp: the three JSON forms, the fixture's tables and bad tables.
#include <mixq/precision/table_json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using mixq::precision;

namespace {
std::string error_of(const std::string& text) {
    try {
        (void)mixq::parse_table_json(text, "t.json");
    } catch (const mixq::error& e) {
        REQUIRE(e.code() == mixq::errc::bad_input);
        REQUIRE(std::string(e.what()).rfind("t.json: ", 0) == 0);
        return e.what();
    }
    return {};
}
}  // namespace

TEST_CASE("all three forms give the same ordered rules", "[table_json]") {
    const auto a = mixq::parse_table_json(R"([["embedding.weight","int8"],["layers.*","float16"]])", "a");
    const auto b = mixq::parse_table_json(R"({"name":"b","rules":[["embedding.weight","int8"],["layers.*","fp16"]]})", "b");
    // The seed's PRECISION_MAP dict: order is file order, not alphabetical ("layers" < "zz" would hide a bug).
    const auto c = mixq::parse_table_json(R"({"zz.weight":"int8","layers.*":"fp16","embedding.weight":"int8"})", "c");
    for (const auto* t : {&a, &b}) {
        REQUIRE(t->size() == 2);
        CHECK(t->rules()[0].pattern == "embedding.weight");
        CHECK(t->rules()[0].precision == precision::int8);
        CHECK(t->rules()[1].precision == precision::fp16);
    }
    CHECK(b.name() == "b");
    REQUIRE(c.size() == 3);
    CHECK(c.rules()[0].pattern == "zz.weight");
    CHECK(c.rules()[1].pattern == "layers.*");
    CHECK(c.rules()[2].pattern == "embedding.weight");
}

TEST_CASE("the fixture's tables load with their names", "[table_json]") {
    const auto t = mixq::load_table_json(mixq::test::fixture("tables/itera_aggressive.json"));
    CHECK(t.name() == "itera_aggressive");
    REQUIRE(t.size() == 8);
    CHECK(t.rules()[3].pattern == "layers.*.ssm.in_proj.*");
    CHECK(t.rules()[3].precision == precision::int8);
    CHECK(t.decide_index("layers.2.ssm.in_proj.weight") == 3u);
    CHECK(t.decide_index("layers.2.ssm.x_proj.weight") == 5u);
}

TEST_CASE("bad tables name the file and the rule", "[table_json][bad_input]") {
    CHECK(error_of("{oops").find("not valid JSON") != std::string::npos);
    CHECK(error_of(R"([["a","int3"]])").find("unknown precision 'int3'") != std::string::npos);
    CHECK(error_of(R"([["a","int3"]])").find("rule 'a'") != std::string::npos);
    CHECK(error_of(R"([["re:(","int8"]])").find("invalid regular expression") != std::string::npos);
    CHECK(error_of(R"([["a"]])").find("rule #1") != std::string::npos);
    CHECK(error_of(R"({"a": 8})").find("must be a string") != std::string::npos);
    CHECK(error_of("[]").find("no rules") != std::string::npos);
    CHECK(error_of("42").find("a table is") != std::string::npos);
    CHECK_THROWS_AS(mixq::load_table_json("/nonexistent/table.json"), mixq::error);
}
