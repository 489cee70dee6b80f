// Tests include/mixq/convert/write_outputs.hpp: the four files, reload of int8 data, determinism, refusals.
#include <cmath>
#include <mixq/convert/converted_weights.hpp>
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

TEST_CASE("below int8: packed codes, [rows, groups] scales and logical shapes in the file, decoded as documented", "[write_outputs][lowbit]") {
    const auto in = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    struct expect {
        const char* table;
        const char* scheme;
        std::int64_t group;  // 0: fp8, one scale per row
    };
    for (const auto& e : {expect{"itera_int4_g32_linear", "int4:symmetric:group32:max", 32}, {"itera_int4_g128_linear", "int4:symmetric:group128:max", 128},
                          {"itera_nf4_linear", "nf4:group64:max", 64}, {"itera_fp8_e4m3_linear", "fp8_e4m3:per_channel:max", 0}}) {
        INFO(e.table);
        mixq::test::temp_dir dir;
        const auto c = mixq::convert(in, mixq::load_table_json(mixq::test::fixture(std::string("tables/") + e.table + ".json")));
        mixq::write_outputs(dir.path, c);
        const auto out = mixq::io::safetensors_file::open(dir.file("model.safetensors"));
        const std::string name = "layers.1.ssm.out_proj.weight";  // [128, 256]
        CHECK(out.metadata().at("mixq.scheme." + name) == e.scheme);
        CHECK(out.metadata().at("mixq.shape." + name) == "[128,256]");
        const auto& q = out.at(name);
        const auto& s = out.at(name + "_scale");
        CHECK(s.type == mixq::dtype::f32);
        const auto w = mixq::to_float(in.at(name));
        const auto scales = mixq::to_float(s);
        const auto* b = reinterpret_cast<const std::uint8_t*>(q.bytes.data());
        if (e.group) {
            CHECK(q.type == mixq::dtype::u8);
            CHECK(q.shape == mixq::shape_t{128, 128});
            CHECK(s.shape == mixq::shape_t{128, 256 / e.group});
        } else {
            CHECK(q.type == mixq::dtype::f8_e4m3);
            CHECK(q.shape == mixq::shape_t{128, 256});
            CHECK(s.shape == mixq::shape_t{128});
        }
        // Decoded from docs/format.md alone: byte c / 2 of the row, low nibble for even c.
        double worst = 0;
        for (std::int64_t r = 0; r < 128; ++r)
            for (std::int64_t col = 0; col < 256; ++col) {
                const auto i = static_cast<std::size_t>(r * 256 + col);
                float v = 0;
                if (e.group) {
                    const unsigned byte = b[r * 128 + col / 2], nib = col % 2 ? byte >> 4 : byte & 15u;
                    const float sc = scales[static_cast<std::size_t>(r * (256 / e.group) + col / e.group)];
                    v = std::string(e.scheme).rfind("nf4", 0) == 0 ? mixq::nf4_levels[nib] * sc : static_cast<float>(static_cast<int>(nib ^ 8u) - 8) * sc;
                    if (std::string(e.scheme).rfind("int4", 0) == 0) REQUIRE(std::fabs(v - w[i]) <= 0.5f * sc * (1 + 1e-5f));
                } else {
                    v = mixq::fp8_e4m3_decode(b[i]) * scales[static_cast<std::size_t>(r)];
                }
                worst = std::max(worst, static_cast<double>(std::fabs(v - w[i])));
            }
        const mixq::checkpoint_weights disk(out), mem = mixq::weights_of(c);
        CHECK(disk.at(name).shape == mixq::shape_t{128, 256});  // the reader shows the logical shape
        const auto a = disk.matrix(name).to_vector(), m = mem.matrix(name).to_vector();
        CHECK(a == m);
        const auto stats = nlohmann::json::parse(mixq::test::read_bytes(dir.file("statistics.json")));
        for (const auto& t : stats["tensors"])
            if (t["name"] == name) {
                CHECK(t["max_abs_error"].get<double>() == Approx(worst).epsilon(1e-6));
                CHECK(t["bytes_after"] == q.bytes.size() + scales.size() * 4);
            }
        const auto meta = nlohmann::json::parse(mixq::test::read_bytes(dir.file("metadata.json")));
        const auto& cs = meta["compression_stats"];
        const std::int64_t lowbit = cs["int4_params"].get<std::int64_t>() + cs["nf4_params"].get<std::int64_t>() + cs["fp8_params"].get<std::int64_t>();
        CHECK(lowbit == 1'744'896);  // embeddings (tied, once), in/out projections, MoE w1/w2
        CHECK(cs["fp16_params"] == 1'812'224 - 1'744'896);
        CHECK(cs["mixed_memory_bytes"].get<std::uint64_t>() == c.totals.mixed_bytes);
        CHECK(meta["calibration_layers"] == 29);
    }
}

TEST_CASE("a mixq file whose scheme, packed shape or scale shape disagree is refused, naming the tensor", "[write_outputs][bad_input]") {
    mixq::test::temp_dir dir;
    const std::vector<std::uint8_t> codes(4 * 3, 0x21);  // [4, 6] packed: [4, 3] bytes
    const std::vector<float> scales(4, 0.5f), scales2(8, 0.5f);
    auto write = [&](const std::string& file, mixq::shape_t code_shape, const std::vector<float>& s, mixq::shape_t scale_shape,
                     std::map<std::string, std::string> meta, mixq::dtype type = mixq::dtype::u8) {
        mixq::io::write_safetensors(dir.file(file), {{"w", type, code_shape, std::as_bytes(std::span(codes)).first(static_cast<std::size_t>(mixq::numel(code_shape)))},
                                                     {"w_scale", mixq::dtype::f32, scale_shape, std::as_bytes(std::span(s))}},
                                    meta);
        return mixq::io::safetensors_file::open(dir.file(file));
    };
    const std::map<std::string, std::string> good{{"mixq.scheme.w", "int4:symmetric:group64:max"}, {"mixq.shape.w", "[4,6]"}};
    {
        const auto f = write("good.safetensors", {4, 3}, scales, {4, 1}, good);
        const mixq::checkpoint_weights w(f);
        CHECK(w.at("w").shape == mixq::shape_t{4, 6});
        CHECK(w.matrix("w").to_vector()[0] == 0.5f);  // nibble 1
        CHECK(w.stored_precision("w") == mixq::precision::int4_g64);
    }
    auto refused = [&](const std::string& file, mixq::shape_t cs, const std::vector<float>& s, mixq::shape_t ss,
                       std::map<std::string, std::string> meta, const std::string& why, mixq::dtype type = mixq::dtype::u8) {
        INFO(file);
        const auto f = write(file, cs, s, ss, std::move(meta), type);
        CHECK_THROWS_WITH(mixq::checkpoint_weights(f), Catch::Contains("tensor 'w'") && Catch::Contains(why));
    };
    refused("packed.safetensors", {4, 2}, scales, {4, 1}, good, "packed: expected [4, 3]");
    refused("scale.safetensors", {4, 3}, scales2, {8}, good, "expected F32 with 4 values");
    refused("scale_shape.safetensors", {4, 3}, scales, {1, 4}, good, "expected [rows, groups] = [4, 1]");
    auto no_shape = good;
    no_shape.erase("mixq.shape.w");
    refused("no_shape.safetensors", {4, 3}, scales, {4, 1}, no_shape, "needs its logical shape");
    auto bad_scheme = good;
    bad_scheme["mixq.scheme.w"] = "int4:symmetric:group48:max";
    refused("scheme.safetensors", {4, 3}, scales, {4, 1}, bad_scheme, "unknown scheme");
    auto bad_json = good;
    bad_json["mixq.shape.w"] = "[4,";
    refused("json.safetensors", {4, 3}, scales, {4, 1}, bad_json, "not a JSON list");
    auto fp8 = good;
    fp8["mixq.scheme.w"] = "fp8_e4m3:per_channel:max";
    refused("dtype.safetensors", {4, 3}, scales, {4, 1}, fp8, "needs dtype F8_E4M3");
}

TEST_CASE("identical tensors other than a tied head keep their names in the file, the report says so in one line", "[write_outputs][ties]") {
    // Mamba checkpoints hold many identical tensors (D = 1, norms = 1, A_log = log 1..N in every layer):
    // loaders look each up by name, so only the head tied to the embeddings may be left out.
    mixq::test::temp_dir dir;
    const std::vector<float> emb(6 * 4, 0.25f), ones(5, 1.0f);
    mixq::io::write_safetensors(dir.file("in.safetensors"), {{"backbone.embeddings.weight", mixq::dtype::f32, {6, 4}, std::as_bytes(std::span(emb))},
                                                             {"lm_head.weight", mixq::dtype::f32, {6, 4}, std::as_bytes(std::span(emb))},
                                                             {"backbone.layers.0.mixer.D", mixq::dtype::f32, {5}, std::as_bytes(std::span(ones))},
                                                             {"backbone.layers.1.mixer.D", mixq::dtype::f32, {5}, std::as_bytes(std::span(ones))},
                                                             {"backbone.layers.2.mixer.D", mixq::dtype::f32, {5}, std::as_bytes(std::span(ones))}});
    const auto in = mixq::io::safetensors_file::open(dir.file("in.safetensors"));
    mixq::rule_table t;
    t.add("*", mixq::precision::fp16);
    const auto c = mixq::convert(in, t);
    mixq::write_outputs(dir.file("out"), c);
    const auto out = mixq::io::safetensors_file::open(dir.file("out/model.safetensors"));
    CHECK(out.find("lm_head.weight") == nullptr);  // the tie transformers understand
    CHECK(out.metadata().at("mixq.alias.lm_head.weight") == "backbone.embeddings.weight");
    for (const char* n : {"backbone.layers.0.mixer.D", "backbone.layers.1.mixer.D", "backbone.layers.2.mixer.D"}) {
        REQUIRE(out.find(n) != nullptr);
        CHECK(mixq::to_float(out.at(n)) == ones);
    }
    CHECK(c.totals.unique_params == 24 + 15);  // each stored D counts
    const auto text = mixq::report_text(c);
    CHECK(text.find("identical contents: 2 tensor(s) equal an earlier one (e.g. backbone.layers.1.mixer.D = backbone.layers.0.mixer.D)") != std::string::npos);
    CHECK(text.find("tied: lm_head.weight") != std::string::npos);
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(dir.file("out/metadata.json")));
    CHECK(meta["tie_word_embeddings"] == true);
    CHECK(meta["identical_tensors_stored"] == 2);
}
