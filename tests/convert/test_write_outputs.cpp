// Tests include/mixq/convert/write_outputs.hpp: the four files, reload of int8 data, determinism, refusals.
#include <cmath>
#include <mixq/mixq.hpp>
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("conservative output reloads: int8 with scales - fp16 - aliases and schemes in the header", "[write_outputs]") {
    mixq::test::temp_dir dir;
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const auto c = mixq::convert(in, mixq::presets::get("conservative", mixq::presets::family::itera_lite));
    mixq::write_outputs(dir.path, c);
    CHECK(dir.entries() == 4);
    for (const char* f : {"model.safetensors", "metadata.json", "statistics.json", "precision_allocation.svg"})
        CHECK(std::filesystem::exists(dir.path / f));

    const auto out = mixq::io::safetensors_file::open(dir.file("model.safetensors"));
    CHECK(out.find("lm_head.weight") == nullptr);
    CHECK(out.metadata().at("mixq.alias.lm_head.weight") == "embedding.weight");
    CHECK(out.metadata().at("mixq.format_version") == "1");
    CHECK(out.metadata().at("mixq.scheme.embedding.weight") == "int8:symmetric:per_channel:percentile:99.99");
    CHECK(out.metadata().at("mixq.scheme.layers.0.ssm.A_log") == "fp16");
    CHECK(out.metadata().count("mixq.scheme.layers.1.moe.ffn.w1.weight") == 0);  // unmatched: untouched
    CHECK(out.tensors().size() == 75 - 1 + 2);  // head aliased, two scale tensors added

    // Every int8 value inside the clipping range is within scale/2 of the original.
    for (const char* name : {"embedding.weight", "position_embedding.weight"}) {
        const auto& q = out.at(name);
        const auto& s = out.at(std::string(name) + "_scale");
        REQUIRE(q.type == mixq::dtype::i8);
        REQUIRE(s.type == mixq::dtype::f32);
        REQUIRE(s.shape == mixq::shape_t{q.shape[0]});
        const auto w = mixq::to_float(in.at(name));
        const auto scales = mixq::to_float(s);
        const auto cols = static_cast<std::size_t>(q.shape[1]);
        std::size_t clipped = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const float sc = scales[i / cols];
            const float d = static_cast<float>(static_cast<std::int8_t>(q.bytes[i])) * sc;
            if (std::fabs(w[i]) <= 127.0f * sc) REQUIRE(std::fabs(static_cast<double>(d) - w[i]) <= 0.5 * sc * (1 + 1e-5));  // fp32 rounding of w / scale
            else ++clipped;
        }
        // The 99.99th percentile of 128 values lies between the two largest: only a row's maximum can clip.
        CHECK(clipped <= static_cast<std::size_t>(q.shape[0]));
    }
    const auto& a = out.at("layers.2.ssm.A_log");
    CHECK(a.type == mixq::dtype::f16);
    const auto af = mixq::to_float(a), ar = mixq::to_float(in.at("layers.2.ssm.A_log"));
    for (std::size_t i = 0; i < af.size(); ++i) REQUIRE(af[i] == mixq::round_to_half(ar[i]));
    const auto& moe = out.at("layers.1.moe.ffn.w1.weight");
    CHECK(std::memcmp(moe.bytes.data(), in.at("layers.1.moe.ffn.w1.weight").bytes.data(), moe.bytes.size()) == 0);

    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(dir.file("metadata.json")));
    CHECK(meta["compression_stats"]["int8_params"] == 1'040'384);
    CHECK(meta["precision_map"][3][0] == "layers.*.ssm.*");
    CHECK(meta["calibration_layers"] == 2);
    const auto svg = mixq::test::read_bytes(dir.file("precision_allocation.svg"));
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("layers.3") != std::string::npos);
}

TEST_CASE("converting twice gives byte-identical files (apart from the timing field)", "[write_outputs]") {
    mixq::test::temp_dir a, b;
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    for (auto* d : {&a, &b})
        mixq::write_outputs(d->path, mixq::convert(in, mixq::presets::get("aggressive", mixq::presets::family::itera_lite)));
    for (const char* f : {"model.safetensors", "statistics.json", "precision_allocation.svg"})
        CHECK(mixq::test::read_bytes(a.file(f)) == mixq::test::read_bytes(b.file(f)));
    auto ma = nlohmann::json::parse(mixq::test::read_bytes(a.file("metadata.json")));
    auto mb = nlohmann::json::parse(mixq::test::read_bytes(b.file("metadata.json")));
    ma.erase("timing");
    mb.erase("timing");
    CHECK(ma == mb);
}

TEST_CASE("the input is never overwritten and an unusable output directory leaves nothing", "[write_outputs][bad_input]") {
    mixq::test::temp_dir dir;
    std::filesystem::copy_file(mixq::test::fixture("model.safetensors"), dir.file("model.safetensors"));
    const auto before = mixq::test::read_bytes(dir.file("model.safetensors"));
    {
        const auto in = mixq::io::safetensors_file::open(dir.file("model.safetensors"));
        const auto c = mixq::convert(in, mixq::presets::get("fp16", mixq::presets::family::itera_lite));
        CHECK_THROWS_WITH(mixq::write_outputs(dir.path, c), Catch::Contains("is the input file"));
        CHECK(dir.entries() == 1);
        // a regular file where the directory should be: cannot create it
        mixq::test::write_bytes(dir.file("blocker"), "x");
        CHECK_THROWS_AS(mixq::write_outputs(dir.path / "blocker" / "out", c), mixq::error);
    }
    CHECK(mixq::test::read_bytes(dir.file("model.safetensors")) == before);
    CHECK(dir.entries() == 2);
}
