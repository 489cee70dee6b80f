// Sharded safetensors checkpoints (model.safetensors.index.json): read as one file, every inconsistency named.
#include <mixq/convert/convert.hpp>
#include <mixq/convert/write_outputs.hpp>
#include <mixq/io/checkpoint_path.hpp>
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/io/safetensors_writer.hpp>
#include <mixq/precision/presets.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
// The Hugging Face fixture split into `parts` shards in its data order, with an index and its config.json.
void write_shards(const mixq::test::temp_dir& d, int parts, const std::string& index_override = {}) {
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto in = mixq::io::safetensors_file::open((hf / "model.safetensors").string());
    const auto& ts = in.tensors();
    nlohmann::json map = nlohmann::json::object();
    for (int p = 0; p < parts; ++p) {
        const auto name = "model-0000" + std::to_string(p + 1) + "-of-0000" + std::to_string(parts) + ".safetensors";
        std::vector<mixq::io::tensor_out> out;
        for (std::size_t i = ts.size() * static_cast<std::size_t>(p) / static_cast<std::size_t>(parts);
             i < ts.size() * static_cast<std::size_t>(p + 1) / static_cast<std::size_t>(parts); ++i) {
            out.push_back({ts[i].name, ts[i].type, ts[i].shape, ts[i].bytes});
            map[ts[i].name] = name;
        }
        mixq::io::write_safetensors(d.file(name), out, {{"format", "pt"}});
    }
    mixq::test::write_bytes(d.file("model.safetensors.index.json"),
                            index_override.empty() ? nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}}.dump()
                                                   : index_override);
    std::filesystem::copy_file(hf / "config.json", d.path / "config.json");
}
}  // namespace

TEST_CASE("a sharded checkpoint converts to exactly the bytes of the same checkpoint in one file", "[io][sharded]") {
    mixq::test::temp_dir d, out;
    write_shards(d, 3);
    const auto path = mixq::io::resolve_checkpoint(d.path.string());
    CHECK(path.ends_with("model.safetensors.index.json"));
    const auto sharded = mixq::io::safetensors_file::open(path);
    CHECK(sharded.shard_count() == 3);
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto single = mixq::io::safetensors_file::open((hf / "model.safetensors").string());
    REQUIRE(sharded.tensors().size() == single.tensors().size());
    for (std::size_t i = 0; i < single.tensors().size(); ++i) CHECK(sharded.tensors()[i].name == single.tensors()[i].name);
    const auto table = mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba);
    mixq::write_outputs(out.path / "a", mixq::convert(sharded, table));
    mixq::write_outputs(out.path / "b", mixq::convert(single, table));
    CHECK(mixq::test::read_bytes(out.file("a/model.safetensors")) == mixq::test::read_bytes(out.file("b/model.safetensors")));
}

TEST_CASE("a sharded checkpoint's index must agree with its shards, naming both sides", "[io][sharded][bad_input]") {
    auto refused = [](const std::string& index, const std::string& what) {
        mixq::test::temp_dir d;
        write_shards(d, 2, index);
        INFO(what);
        CHECK_THROWS_WITH(mixq::io::safetensors_file::open(d.file("model.safetensors.index.json")), Catch::Contains(what));
    };
    const std::string s1 = "model-00001-of-00002.safetensors", s2 = "model-00002-of-00002.safetensors";
    refused(R"({"weight_map": {"x": "model-00003-of-00002.safetensors"}})", "shard 'model-00003-of-00002.safetensors' (listed for 'x') does not exist");
    refused(R"({"weight_map": {"x": "../model.safetensors"}})", "is not a plain file name");
    refused(R"({"weight": {}})", "no \"weight_map\" object");
    refused("{", "not valid JSON");
    // the full map plus one entry the shard does not hold
    mixq::test::temp_dir d;
    write_shards(d, 2);
    auto j = nlohmann::json::parse(mixq::test::read_bytes(d.file("model.safetensors.index.json")));
    j["weight_map"]["lm_head.bias"] = s1;
    refused(j.dump(), "lists 'lm_head.bias' in shard '" + s1 + "', which does not hold it");
    j["weight_map"].erase("lm_head.bias");
    const std::string first = j["weight_map"].begin().key();  // a tensor of shard 1 claimed by shard 2
    REQUIRE(j["weight_map"][first] == s1);
    j["weight_map"][first] = s2;
    refused(j.dump(), "tensor '" + first + "' is in shard '" + s1 + "' but the weight_map says '" + s2 + "'");
    j["weight_map"][first] = s1;
    j["weight_map"].erase("backbone.norm_f.weight");
    refused(j.dump(), "tensor 'backbone.norm_f.weight' of shard '" + s2 + "' is not in the weight_map");
}

TEST_CASE("a tensor held by two shards is refused, naming both", "[io][sharded][bad_input]") {
    mixq::test::temp_dir d;
    const std::vector<float> v{1.0f, 2.0f};
    const auto b = std::as_bytes(std::span(v));
    mixq::io::write_safetensors(d.file("a.safetensors"), {{"x", mixq::dtype::f32, {2}, b}, {"y", mixq::dtype::f32, {2}, b}});
    mixq::io::write_safetensors(d.file("b.safetensors"), {{"y", mixq::dtype::f32, {2}, b}, {"z", mixq::dtype::f32, {2}, b}});
    mixq::test::write_bytes(d.file("model.safetensors.index.json"), R"({"weight_map": {"x": "a.safetensors", "y": "a.safetensors", "z": "b.safetensors"}})");
    CHECK_THROWS_WITH(mixq::io::safetensors_file::open(d.file("model.safetensors.index.json")),
                      Catch::Contains("tensor 'y' is in two shards, 'a.safetensors' and 'b.safetensors'"));
}
