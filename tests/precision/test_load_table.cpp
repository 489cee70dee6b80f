// Tests include/mixq/precision/load_table.hpp: a named table file wins, else the family's preset, conservative by default.
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/precision/load_table.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("load_table: a table file wins over the preset, without one the family's preset, conservative by default", "[presets]") {
    const auto itera = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto hf = mixq::io::safetensors_file::open((mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes" / "model.safetensors").string());
    const auto file = mixq::test::fixture("tables/itera_int4_g64_linear.json");
    const auto from_file = mixq::load_table(file, "aggressive", itera.tensors());
    CHECK(from_file.name() == mixq::load_table_json(file).name());
    CHECK(from_file.size() == mixq::load_table_json(file).size());
    // No file: the preset of the family the names show; the empty name is "conservative".
    CHECK(mixq::load_table("", "", itera.tensors()).name() == mixq::presets::get("conservative", mixq::presets::family::itera_lite).name());
    const auto hf_aggr = mixq::load_table("", "aggressive", hf.tensors());
    const auto want = mixq::presets::get("aggressive", mixq::presets::family::hf_mamba);
    REQUIRE(hf_aggr.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(hf_aggr.rules()[i].pattern == want.rules()[i].pattern);
    const auto itera_aggr = mixq::presets::get("aggressive", mixq::presets::family::itera_lite);
    bool same = itera_aggr.size() == want.size();
    for (std::size_t i = 0; same && i < want.size(); ++i) same = itera_aggr.rules()[i].pattern == want.rules()[i].pattern;
    CHECK_FALSE(same);  // so the family, not the name alone, decided
    CHECK_THROWS_AS(mixq::load_table("", "no-such-preset", itera.tensors()), mixq::error);
    CHECK_THROWS_AS(mixq::load_table("/nonexistent/table.json", "", itera.tensors()), mixq::error);
}
