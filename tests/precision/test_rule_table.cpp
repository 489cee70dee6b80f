// Tests include/mixq/precision/rule_table.hpp: precedence, regular expressions and invalid rules.
#include <mixq/precision/rule_table.hpp>

#include "support/catch.hpp"

using mixq::precision;

TEST_CASE("an exact name beats every pattern - otherwise the first match wins", "[rule_table]") {
    mixq::rule_table t("t");
    t.add("layers.*", precision::fp16).add("layers.*.ssm.*", precision::int8).add("layers.0.ssm.D", precision::bf16);
    CHECK(t.decide_index("layers.0.ssm.D") == 2u);        // exact name, though rule 0 matches first
    CHECK(t.decide_index("layers.1.ssm.D") == 0u);        // first match; rule 1 never wins
    CHECK_FALSE(t.decide_index("norm_f.weight"));
    CHECK(t.rules()[1].describe() == "layers.*.ssm.* -> int8");
}

TEST_CASE("re: rules are full-match regular expressions", "[rule_table]") {
    mixq::rule_table t;
    t.add(R"(re:layers\.[0-9]+\.ssm\.(in|out)_proj\.weight)", precision::int8).add("*", precision::fp16);
    CHECK(t.decide_index("layers.12.ssm.in_proj.weight") == 0u);
    CHECK(t.decide_index("layers.12.ssm.in_proj.weight.extra") == 1u);  // full match, not search
    CHECK(t.decide_index("xlayers.1.ssm.out_proj.weight") == 1u);
    CHECK(t.rules()[0].is_regex());
    CHECK_FALSE(t.rules()[0].is_literal());
}

TEST_CASE("an invalid regex or an empty pattern names the rule", "[rule_table][bad_input]") {
    mixq::rule_table t;
    t.add("a", precision::fp16);
    try {
        t.add("re:layers.(", precision::int8);
        FAIL("expected an error");
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        CHECK(std::string(e.what()).find("rule #2 're:layers.('") != std::string::npos);
    }
    CHECK_THROWS_AS(t.add("", precision::fp16), mixq::error);
}

TEST_CASE("regression (fuzz_table_json): huge regex numbers are refused before std::regex sees them", "[rule_table][bad_input]") {
    // libstdc++ overflowed a signed long parsing "\\2222...2" (UBSan: regex_compiler.tcc).
    mixq::rule_table t;
    CHECK_THROWS_WITH(t.add("re:layers\\.mSt5\\" + std::string(120, '2') + ".1.", precision::bf16),
                      Catch::Contains("is too large"));
    CHECK_THROWS_WITH(t.add("re:a{12345678901}", precision::fp16), Catch::Contains("'12345678901'"));
    CHECK_THROWS_WITH(t.add("re:a{1,12345678901}", precision::fp16), Catch::Contains("is too large"));
    CHECK_NOTHROW(t.add(R"(re:layers\.(1|2)\.x{2,3}(a)\2)", precision::fp16));  // ordinary numbers still work
    CHECK(t.decide_index("layers.1.xxxaa") == 0u);
}
