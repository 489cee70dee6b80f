// Tests include/mixq/core/error.hpp: the error codes and the option an error blames.
#include <mixq/core/error.hpp>

#include "support/catch.hpp"

TEST_CASE("fail is bad input, fail_option also names the option as the message spells it", "[error]") {
    try {
        mixq::fail("model.safetensors: empty file");
        FAIL("fail returned");
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        CHECK(e.option().empty());
        CHECK(std::string(e.what()) == "model.safetensors: empty file");
    }
    try {
        mixq::fail_option("eval_options::window", "eval_options::window 1: a window needs at least 2 tokens");
        FAIL("fail_option returned");
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        CHECK(e.option() == "eval_options::window");
        CHECK(std::string(e.what()).find(e.option()) == 0);
    }
    CHECK(mixq::error(mixq::errc::internal, "x").code() == mixq::errc::internal);
}
