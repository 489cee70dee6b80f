// Tests include/mixq/precision/glob.hpp: Python fnmatch semantics and no exponential blow-up.
#include <mixq/precision/glob.hpp>
#include <string>

#include "support/catch.hpp"

using mixq::glob_match;

static_assert(glob_match("layers.*.ssm.*", "layers.3.ssm.A_log"));
static_assert(!glob_match("layers.*.ssm.*", "layers.3.moe.norm.weight"));

TEST_CASE("glob follows fnmatch: star crosses dots - question mark - classes - unterminated class is literal", "[glob]") {
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*", "anything.at.all"));
    CHECK(glob_match("layers.*.ssm.*", "layers.12.ssm.in_proj.weight"));
    CHECK(glob_match("layers.*.moe.*.w1.weight", "layers.1.moe.moe.experts.3.w1.weight"));
    CHECK(glob_match("layers.*.moe.*.w1.weight", "layers.1.moe.ffn.w1.weight"));
    CHECK_FALSE(glob_match("layers.*.moe.*.w1.weight", "layers.1.moe.ffn.w2.weight"));
    CHECK(glob_match("norm_f.*", "norm_f.bias"));
    CHECK_FALSE(glob_match("norm_f.*", "norm_f"));
    CHECK(glob_match("layers.?.ssm.D", "layers.7.ssm.D"));
    CHECK_FALSE(glob_match("layers.?.ssm.D", "layers.17.ssm.D"));
    CHECK(glob_match("layers.[0-2].ssm.D", "layers.2.ssm.D"));
    CHECK_FALSE(glob_match("layers.[0-2].ssm.D", "layers.3.ssm.D"));
    CHECK(glob_match("layers.[!0-2].ssm.D", "layers.3.ssm.D"));
    CHECK_FALSE(glob_match("layers.[!0-2].ssm.D", "layers.1.ssm.D"));
    CHECK(glob_match("[]]x", "]x"));
    CHECK(glob_match("a[b", "a[b"));  // unterminated class is a literal '['
    CHECK_FALSE(glob_match("embedding.weight", "position_embedding.weight"));  // anchored at both ends
    CHECK(glob_match("*embedding.weight", "position_embedding.weight"));
    CHECK(glob_match("**a", "bba"));
    CHECK_FALSE(glob_match("", "a"));
    CHECK(glob_match("", ""));
}

TEST_CASE("pathological patterns finish quickly (linear backtracking of the last star)", "[glob]") {
    const std::string name(5000, 'a');
    const std::string pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    CHECK_FALSE(glob_match(pattern, name));  // exponential matchers would not return
    CHECK(glob_match(pattern, name + "b"));
}
