// Tests include/mixq/io/npy.hpp on the fixture token files and hand-built files of every integer width.
#include <algorithm>
#include <mixq/io/npy.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
std::string npy(const std::string& descr, const std::string& shape, const std::string& data, int version = 1) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    const std::size_t pre = version == 1 ? 10 : 12;
    while ((pre + dict.size() + 1) % 64) dict += ' ';
    dict += '\n';
    std::string s = "\x93NUMPY";
    s += static_cast<char>(version);
    s += '\0';
    const auto len = dict.size();
    s += static_cast<char>(len & 0xff);
    s += static_cast<char>((len >> 8) & 0xff);
    if (version != 1) s += std::string(2, '\0');
    return s + dict + data;
}
std::vector<std::int64_t> load(const std::string& bytes) {
    mixq::test::temp_dir dir;
    mixq::test::write_bytes(dir.file("t.npy"), bytes);
    return mixq::io::read_npy_tokens(dir.file("t.npy"));
}
}  // namespace

TEST_CASE("the fixture's token files load", "[npy]") {
    const auto eval = mixq::io::read_npy_tokens(mixq::test::fixture("eval_tokens.npy"));
    const auto calib = mixq::io::read_npy_tokens(mixq::test::fixture("calib_tokens.npy"));
    CHECK(eval.size() == 28651);  // oracle.json: eval_tokens
    CHECK_FALSE(calib.empty());
    for (const auto* v : {&eval, &calib}) {
        CHECK(*std::min_element(v->begin(), v->end()) >= 0);
        CHECK(*std::max_element(v->begin(), v->end()) < 8000);
    }
}

TEST_CASE("integer widths and signs decode including negative values and version 2 headers", "[npy]") {
    CHECK(load(npy("<i4", "(3,)", std::string("\x01\x00\x00\x00\xff\xff\xff\xff\x10\x27\x00\x00", 12))) ==
          std::vector<std::int64_t>{1, -1, 10000});
    CHECK(load(npy("<u2", "(2,)", std::string("\xff\xff\x02\x00", 4))) == std::vector<std::int64_t>{65535, 2});
    CHECK(load(npy("|i1", "(2, 1)", std::string("\x80\x7f", 2))) == std::vector<std::int64_t>{-128, 127});
    CHECK(load(npy("<i8", "(1,)", std::string("\x05\0\0\0\0\0\0\0", 8), 2)) == std::vector<std::int64_t>{5});
    CHECK(load(npy("<i4", "(0,)", "")).empty());
}

TEST_CASE("malformed .npy files are refused", "[npy][bad_input]") {
    CHECK_THROWS_AS(load(""), mixq::error);
    CHECK_THROWS_AS(load("NOTNUMPY0123"), mixq::error);
    CHECK_THROWS_AS(load(npy("<f4", "(1,)", std::string(4, '\0'))), mixq::error);  // floats are not tokens
    CHECK_THROWS_AS(load(npy(">i4", "(1,)", std::string(4, '\0'))), mixq::error);  // big-endian
    CHECK_THROWS_AS(load(npy("<i4", "(3,)", std::string(8, '\0'))), mixq::error);  // truncated data
    CHECK_THROWS_AS(load(npy("<i4", "(99999999999999,)", "")), mixq::error);     // absurd shape
}
