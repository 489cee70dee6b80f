// Tests include/mixq/io/safetensors_reader.hpp on the fixture and on every malformed-file case the issue lists.
#include <mixq/io/safetensors_reader.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using mixq::test::raw_safetensors;

namespace {
// Opens bytes written to a temp file; returns the error message (empty when it opened fine).
std::string open_error(const std::string& bytes) {
    mixq::test::temp_dir dir;
    const auto path = dir.file("bad.safetensors");
    mixq::test::write_bytes(path, bytes);
    try {
        (void)mixq::io::safetensors_file::open(path);
    } catch (const mixq::error& e) {
        REQUIRE(e.code() == mixq::errc::bad_input);
        const std::string msg = e.what();
        REQUIRE(msg.find(path) != std::string::npos);  // every message names the file
        return msg;
    }
    return {};
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("the fixture checkpoint opens with the documented shapes", "[safetensors]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    // 2 embeddings + 4 SSM blocks x 11 + 2 MoE blocks x (3 + 8 + 2) + norm_f x 2 + lm_head
    CHECK(f.tensors().size() == 2 + 44 + 26 + 3);
    CHECK(f.at("embedding.weight").shape == mixq::shape_t{8000, 128});
    CHECK(f.at("layers.3.ssm.x_proj.weight").shape == mixq::shape_t{24, 256});
    CHECK(f.at("layers.0.ssm.conv1d.weight").shape == mixq::shape_t{256, 1, 4});
    CHECK(f.at("layers.2.moe.moe.experts.3.w2.weight").type == mixq::dtype::f32);
    CHECK(f.find("layers.0.moe.norm.weight") == nullptr);  // layer 0 has no MoE
    std::int64_t total = 0;
    for (const auto& t : f.tensors()) total += t.numel();
    CHECK(total == 1'812'224 + 8000 * 128);  // the tied head is stored twice in the source
    const auto& e = f.at("embedding.weight");
    const auto& h = f.at("lm_head.weight");
    CHECK(std::memcmp(e.bytes.data(), h.bytes.data(), e.bytes.size()) == 0);
}

TEST_CASE("malformed safetensors files are refused with a message naming the problem", "[safetensors][bad_input]") {
    const std::string t8 = std::string(8, '\x01');
    const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    REQUIRE(open_error(raw_safetensors(good, t8)).empty());

    CHECK(contains(open_error(""), "empty file"));
    CHECK(contains(open_error("abc"), "too short"));
    CHECK(contains(open_error(raw_safetensors(good, t8, 1'000'000)), "larger than the file"));
    CHECK(contains(open_error(raw_safetensors("{not json", "")), "not valid JSON"));
    CHECK(contains(open_error(raw_safetensors("[1,2]", "")), "not a JSON object"));
    CHECK(contains(open_error(raw_safetensors(R"({"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", t8)),
                   "unknown dtype 'F12'"));
    CHECK(contains(open_error(raw_safetensors(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", t8)),
                   "does not match its byte range"));
    CHECK(contains(open_error(raw_safetensors(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", t8)),
                   "outside the data section"));
    CHECK(contains(open_error(raw_safetensors(
                       R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       t8)),
                   "overlapping"));
    CHECK(contains(open_error(raw_safetensors(
                       R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       t8)),
                   "duplicate tensor name 'a'"));
    CHECK(contains(open_error(raw_safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", t8)),
                   "begin 8 > end 0"));
    CHECK(contains(open_error(raw_safetensors(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", t8)),
                   "non-negative"));
    CHECK(contains(open_error(raw_safetensors(
                       R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}})", t8)),
                   "rank 9"));
    // a shape whose element count overflows 64 bits must not wrap around to a small size
    CHECK(contains(open_error(raw_safetensors(
                       R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,8]}})", t8)),
                   "does not match"));
    CHECK(contains(open_error(raw_safetensors(R"({"a":{"dtype":"F32","shape":[2]}})", t8)), "data_offsets"));
    CHECK(contains(open_error(raw_safetensors(R"({"__metadata__":{"k":1}})", "")), "__metadata__"));
}

TEST_CASE("metadata and empty tensors are read", "[safetensors]") {
    mixq::test::temp_dir dir;
    const auto path = dir.file("m.safetensors");
    mixq::test::write_bytes(path, raw_safetensors(
                                      R"({"__metadata__":{"format":"pt"},"e":{"dtype":"F16","shape":[0,3],"data_offsets":[0,0]},"x":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})",
                                      "\x01\x02"));
    const auto f = mixq::io::safetensors_file::open(path);
    CHECK(f.metadata().at("format") == "pt");
    CHECK(f.at("e").numel() == 0);
    CHECK(f.at("x").bytes.size() == 2);
    CHECK_THROWS_AS(f.at("missing"), mixq::error);
}

TEST_CASE("a missing file is a bad_input error naming it", "[safetensors][bad_input]") {
    try {
        (void)mixq::io::safetensors_file::open("/nonexistent/model.safetensors");
        FAIL("expected an error");
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        CHECK(contains(e.what(), "/nonexistent/model.safetensors"));
    }
}
