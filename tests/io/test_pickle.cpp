// The restricted unpickler on hand-written pickles: values, memo, marks, and every refusal named.
#include <mixq/io/pickle.hpp>

#include "support/catch.hpp"

namespace {
using namespace std::string_literals;
using mixq::io::pickle::kind;
std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }
}  // namespace

TEST_CASE("the unpickler reads plain values, containers and shared (memoized) objects", "[io][pickle]") {
    // {"a": [1, -2, 300, -70000, 2**40], "b": (1.5, True, None), "c": <the same list as "a">}
    // Hex escapes are split from the text after them ("\x01" "e"): C++ reads as many hex digits as follow.
    const std::string p = "\x80\x02}q\x00(X\x01\x00\x00\x00" "a]q\x01(K\x01\x8a\x01\xfe" "M,\x01J\x90\xee\xfe\xff"
                          "\x8a\x06\x00\x00\x00\x00\x00\x01" "eX\x01\x00\x00\x00" "bG?\xf8\x00\x00\x00\x00\x00\x00"
                          "\x88N\x87X\x01\x00\x00\x00" "ch\x01u."s;
    mixq::io::pickle::unpickler u(bytes_of(p), "t.pkl");
    const auto& top = u.at(u.load());
    REQUIRE(top.k == kind::dict);
    REQUIRE(top.items.size() == 6);
    const auto& a = u.at(top.items[1]);
    REQUIRE(a.k == kind::list);
    std::vector<std::int64_t> ints;
    for (auto i : a.items) ints.push_back(u.at(i).i);
    CHECK(ints == std::vector<std::int64_t>{1, -2, 300, -70000, std::int64_t{1} << 40});
    const auto& b = u.at(top.items[3]);
    REQUIRE(b.k == kind::tuple);
    CHECK(u.at(b.items[0]).f == 1.5);
    CHECK(u.at(b.items[1]).k == kind::boolean);
    CHECK(u.at(b.items[2]).k == kind::none);
    CHECK(top.items[5] == top.items[1]);  // the memo gives back the same object, not a copy
}

TEST_CASE("the unpickler refuses what torch.save never writes, naming it", "[io][pickle][bad_input]") {
    auto refused = [](std::string p, const std::string& what) {
        INFO(what);
        mixq::io::pickle::unpickler u(bytes_of(p), "t.pkl");
        CHECK_THROWS_WITH((void)u.load(), Catch::Contains(what) && Catch::Contains("t.pkl"));
    };
    refused("\x80\x02"s + "cos\nsystem\nX\x02\x00\x00\x00id\x85R."s, "refusing to load 'os.system'");  // no hooks: nothing allowed
    refused("\x80\x02"s + "(X\x02\x00\x00\x00idios\nsystem\n."s, "opcode 0x69");  // INST calls without GLOBAL
    refused("\x80\x02"s + "]K\x01"s, "ends without STOP");
    refused("\x80\x02"s + "X\xff\xff\xff\x7f"s + "abc"s, "runs past the end");
    refused("\x80\x02"s + "a."s, "empty stack");
    refused("\x80\x02"s + "h\x05."s, "memo key 5 was never stored");
    refused("\x80\x02"s + "K\x01K\x02."s, "STOP with 2 values");
    refused("\x80\x09"s + "N."s, "protocol 9");
    refused("\x80\x02"s + "K\x01]\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01."s, "too large");
    refused("\x80\x02"s + "K\x00K\x01K\x02s."s, "not a dict");
}

TEST_CASE("the unpickler hands REDUCE and BUILD to its hooks and never calls anything itself", "[io][pickle]") {
    // collections.OrderedDict() with a BUILD of {"_metadata": {}} on it, as a state dict is pickled.
    const std::string p = "\x80\x02"s + "ccollections\nOrderedDict\n)R}X\x09\x00\x00\x00_metadata}sb."s;
    mixq::io::pickle::unpickler u(bytes_of(p), "t.pkl");
    std::vector<std::string> calls;
    u.set_hooks({[&](const std::string& g) { calls.push_back("global " + g); },
                 [&](const std::string& fn, std::uint32_t) {
                     calls.push_back("reduce " + fn);
                     return u.make(mixq::io::pickle::make_value(kind::dict));
                 },
                 [&](std::uint32_t, std::uint32_t state) { calls.push_back(std::string("build ") + (u.at(state).k == kind::dict ? "dict" : "?")); }});
    CHECK(u.at(u.load()).k == kind::dict);
    CHECK(calls == std::vector<std::string>{"global collections.OrderedDict", "reduce collections.OrderedDict", "build dict"});
}
