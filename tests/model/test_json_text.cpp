// Tests include/mixq/model/json_text.hpp: Python's Infinity / NaN literals outside strings, strings untouched.
#include <cmath>
#include <mixq/model/json_text.hpp>

#include "support/catch.hpp"

TEST_CASE("config.json with Python's non-standard literals parses, and strings keep their text", "[config]") {
    const auto j = mixq::detail::parse_config_json(
        R"({"time_step_limit": [0.0, Infinity], "lo": -Infinity, "x": NaN, "s": "Infinity \" NaN", "n": 3})", "<test>");
    CHECK(j["time_step_limit"][0] == 0.0);
    CHECK(*mixq::detail::json_number(j["time_step_limit"][1]) == std::numeric_limits<double>::infinity());
    CHECK(*mixq::detail::json_number(j["lo"]) == -std::numeric_limits<double>::infinity());
    CHECK(std::isnan(*mixq::detail::json_number(j["x"])));
    CHECK(j["s"] == "Infinity \" NaN");
    CHECK(*mixq::detail::json_number(j["n"]) == 3.0);
    CHECK_FALSE(mixq::detail::json_number(j["s"]).has_value());
    CHECK_THROWS_WITH(mixq::detail::parse_config_json("{oops", "cfg.json"), Catch::Contains("cfg.json: not valid JSON"));
    CHECK_THROWS_WITH(mixq::detail::parse_config_json("[1]", "cfg.json"), Catch::Contains("not a JSON object"));
}
