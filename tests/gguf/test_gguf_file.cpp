// GGUF writer and validating reader: every value type round-trips, offsets are aligned, bad files are refused.
#include <mixq/gguf/reader.hpp>
#include <mixq/gguf/writer.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using namespace mixq::gguf;

namespace {
struct sample {
    std::vector<float> a = mixq::test::random_weights(96 * 3, 1);
    std::vector<std::byte> q = std::vector<std::byte>(3 * 34 * 2, std::byte{7});  // Q8_0 [64, 3]: 2 blocks per row
    std::vector<std::byte> h = std::vector<std::byte>(2 * 5, std::byte{1});     // F16 [5]
    std::vector<kv> kvs{kv::str("general.architecture", "mamba"), kv::u32("a.u32", 7), kv::f32("a.f32", 0.25f),
                        kv::boolean("a.bool", true), kv::strings("a.strs", {"x", "", "zz"}), kv::i32s("a.i32s", {-1, 2}),
                        kv::f32s("a.f32s", {1.5f}), kv{"a.u64", value_type::u64, 1ull << 40}, kv{"a.i8", value_type::i8, -3}};
    std::vector<tensor_out> tensors() const {
        return {{"t.f32", ggml_type::f32, {96, 3}, std::as_bytes(std::span(a))},
                {"t.q8", ggml_type::q8_0, {64, 3}, q},
                {"t.f16", ggml_type::f16, {5}, h}};
    }
    std::string bytes() const {
        mixq::test::temp_dir d;
        {
            mixq::io::atomic_file f(d.file("x.gguf"));
            write_gguf(f, kvs, tensors());
            f.commit();
        }
        return mixq::test::read_bytes(d.file("x.gguf"));
    }
};
std::span<const std::byte> span_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }
}  // namespace

TEST_CASE("GGUF: keys of every written type and tensors round-trip, offsets are aligned running sums", "[gguf][io]") {
    const sample s;
    const auto bytes = s.bytes();
    const auto f = gguf_file::parse(span_of(bytes), "x.gguf");
    CHECK(f.version() == 3);
    CHECK(f.get_string("general.architecture") == "mamba");
    CHECK(f.find_kv("general.alignment")->value == 32);  // added by the writer
    CHECK(f.get_uint("a.u32") == 7);
    CHECK(f.get_float("a.f32") == 0.25);
    CHECK(f.find_kv("a.bool")->value == true);
    CHECK(f.find_kv("a.strs")->value == nlohmann::json({"x", "", "zz"}));
    CHECK(f.find_kv("a.i32s")->value == nlohmann::json({-1, 2}));
    CHECK(f.find_kv("a.u64")->value == (1ull << 40));
    CHECK(f.find_kv("a.i8")->value == -3);
    REQUIRE(f.tensors().size() == 3);
    std::uint64_t expect_offset = 0;
    const auto ts = s.tensors();
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& t = f.tensors()[i];
        CHECK(t.name == ts[i].name);
        CHECK(t.type == ts[i].type);
        CHECK(t.ne == ts[i].ne);
        CHECK(t.offset == expect_offset);
        CHECK((f.data_offset() + t.offset) % 32 == 0);
        CHECK(std::equal(t.bytes.begin(), t.bytes.end(), ts[i].bytes.begin(), ts[i].bytes.end()));
        expect_offset = align_up(expect_offset + ts[i].bytes.size());
    }
    CHECK(f.file_size() == f.data_offset() + expect_offset);
}

TEST_CASE("GGUF reader: every truncation of a valid file is refused with a message, never a crash", "[gguf][io][bad_input]") {
    const auto bytes = sample{}.bytes();
    const auto whole = gguf_file::parse(span_of(bytes), "whole.gguf");
    const auto& last = whole.tensors().back();  // a cut inside the padding after the last tensor loses nothing
    const auto data_end = whole.data_offset() + last.offset + last.bytes.size();
    REQUIRE(data_end < bytes.size());
    for (std::size_t n = data_end; n <= bytes.size(); ++n) CHECK_NOTHROW(gguf_file::parse(span_of(bytes.substr(0, n)), "x"));
    for (std::size_t n = 0; n < data_end; ++n) {
        const auto cut = bytes.substr(0, n);
        try {
            (void)gguf_file::parse(span_of(cut), "cut.gguf");
            FAIL("a file cut to " << n << " bytes was accepted");
        } catch (const mixq::error& e) {
            REQUIRE(e.code() == mixq::errc::bad_input);
            REQUIRE(std::string(e.what()).rfind("cut.gguf: ", 0) == 0);
        }
    }
}

TEST_CASE("GGUF reader: bad magic, version, types, offsets, overlaps and duplicates name the culprit", "[gguf][io][bad_input]") {
    const auto good = sample{}.bytes();
    auto refuse = [](std::string b, const std::string& what) {
        INFO(what);
        try {
            (void)gguf_file::parse(span_of(b), "bad.gguf");
            FAIL("accepted");
        } catch (const mixq::error& e) {
            CHECK(std::string(e.what()).find(what) != std::string::npos);
        }
    };
    auto patch_u32 = [](std::string b, std::size_t at, std::uint32_t v) {
        std::memcpy(b.data() + at, &v, 4);
        return b;
    };
    refuse("GGUG" + good.substr(4), "no 'GGUF' magic");
    refuse(patch_u32(good, 4, 4), "GGUF version 4 is not supported");
    // the tensor infos follow the keys: find them by name
    const auto q8 = good.find("t.q8");
    REQUIRE(q8 != std::string::npos);
    const auto type_at = q8 + 4 + 4 + 2 * 8;  // name, rank, two dims
    refuse(patch_u32(good, type_at, 16), "tensor 't.q8' has ggml type 16");
    auto patch_u64 = [](std::string b, std::size_t at, std::uint64_t v) {
        std::memcpy(b.data() + at, &v, 8);
        return b;
    };
    refuse(patch_u64(good, type_at + 4, 8), "offset 8 is not aligned to 32");
    refuse(patch_u64(good, type_at + 4, 0), "overlaps another tensor's data");
    refuse(patch_u64(good, type_at + 4, 1ull << 40), "lies beyond the end of the file");
    refuse(patch_u64(good, q8 + 4 + 4, 48), "a row of 48 values is not a whole number of Q8_0 blocks of 32");
    refuse(patch_u64(good, q8 + 4 + 4, 0), "impossible dimension 0");
    refuse(patch_u32(good, q8 + 4, 5), "has rank 5");
    auto rename = [&](const std::string& from, const std::string& to) {
        auto b = good;
        b.replace(b.find(from), from.size(), to);
        return b;
    };
    refuse(rename("t.f16", "t.f32"), "duplicate tensor 't.f32'");
    refuse(rename("a.u32", "a.f32"), "duplicate key 'a.f32'");
    refuse(patch_u64(good, 8, 1ull << 40), "tensor count 1099511627776 is impossible");
    refuse(patch_u64(good, 16, 1ull << 40), "key/value count 1099511627776 is impossible");
    // an array claiming more elements than the file could hold
    const auto strs = good.find("a.strs");
    refuse(patch_u64(good, strs + 6 + 4 + 4, 1ull << 50), "does not fit in the file");
    refuse(patch_u32(good, strs + 6, 13), "unknown value type 13");
}
