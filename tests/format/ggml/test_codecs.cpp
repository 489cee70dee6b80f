// format/ggml/{legacy,k_quants,iq4_nl}.hpp: values on a type's grid come back exactly, errors shrink with the bits, special blocks.
#include <cmath>
#include <mixq/format/ggml/types.hpp>
#include <numeric>
#include <vector>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using namespace mixq::gguf;

namespace {
std::vector<float> round_trip(ggml_type t, const std::vector<float>& x) {
    const auto& ti = info(t);
    const auto n = static_cast<std::int64_t>(x.size());
    std::vector<std::byte> q(static_cast<std::size_t>(row_bytes(t, n)));
    ti.quantize(x, q.data(), nullptr);
    std::vector<float> back(x.size());
    ti.dequantize(q.data(), n, back.data());
    return back;
}
double rel_rms(const std::vector<float>& x, const std::vector<float>& y) {
    double e = 0, s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) e += (double(x[i]) - y[i]) * (double(x[i]) - y[i]), s += double(x[i]) * x[i];
    return std::sqrt(e / s);
}
}  // namespace

TEST_CASE("values on a 32-value type's own grid decode exactly", "[gguf][format]") {
    std::vector<float> x(64);
    // Q5_1 / Q4_1: min 0, max 31 (15): d = 1, m = 0, every integer is a code
    for (int j = 0; j < 64; ++j) x[static_cast<std::size_t>(j)] = static_cast<float>(j % 32);
    CHECK(round_trip(ggml_type::q5_1, x) == x);
    for (int j = 0; j < 64; ++j) x[static_cast<std::size_t>(j)] = static_cast<float>((j * 7) % 16) - 3.0f;  // min -3, max 12
    CHECK(round_trip(ggml_type::q4_1, x) == x);
    // Q5_0: the value of largest magnitude -8 gives d = 0.5; codes -16..15
    for (int j = 0; j < 64; ++j) x[static_cast<std::size_t>(j)] = 0.5f * static_cast<float>((j * 5) % 32 - 16);
    CHECK(round_trip(ggml_type::q5_0, x) == x);
    // IQ4_NL: d times its levels, d a power of two, comes back exactly
    for (int j = 0; j < 64; ++j) x[static_cast<std::size_t>(j)] = 0.125f * static_cast<float>(iq4nl_values[(j * 3) % 16]);
    CHECK(round_trip(ggml_type::iq4_nl, x) == x);
}

TEST_CASE("every block type: all-zero rows stay zero, the error shrinks with the bits, nothing non-finite", "[gguf][format]") {
    const auto x = mixq::test::random_weights(2304, 11);
    const std::vector<float> zero(2304, 0.0f);
    for (const auto& t : ggml_types) {
        if (!t.quantize) continue;
        INFO(t.name);
        CHECK(round_trip(t.type, zero) == zero);
        const auto back = round_trip(t.type, x);
        for (float v : back) REQUIRE(std::isfinite(v));
    }
    // relative RMS error of each type on the same weights: ggml's documented order (bits per weight)
    const auto e = [&](ggml_type t) { return rel_rms(x, round_trip(t, x)); };
    CHECK(e(ggml_type::q2_k) > e(ggml_type::q3_k));
    CHECK(e(ggml_type::q3_k) > e(ggml_type::q4_k));
    CHECK(e(ggml_type::q4_k) > e(ggml_type::q5_k));
    CHECK(e(ggml_type::q5_k) > e(ggml_type::q6_k));
    CHECK(e(ggml_type::q6_k) > e(ggml_type::q8_0));
    CHECK(e(ggml_type::q4_0) > e(ggml_type::q5_0));
    CHECK(e(ggml_type::q4_1) > e(ggml_type::q5_1));
    // rough ceilings for normal-ish weights (2^-bits scaled): a broken codec is off by far more
    CHECK(e(ggml_type::q8_0) < 0.01);
    CHECK(e(ggml_type::q6_k) < 0.04);
    CHECK(e(ggml_type::q4_k) < 0.15);
    CHECK(e(ggml_type::iq4_nl) < 0.15);
    CHECK(e(ggml_type::q2_k) < 0.6);
}

TEST_CASE("K-quants: a sub-block scale of zero and blocks of very different magnitude", "[gguf][format]") {
    // One super-block whose first 128 values are 1000x the rest: the small groups keep a usable scale (each
    // group has its own 6-bit scale), so their error stays a fraction of their own size.
    auto x = mixq::test::random_weights(256, 3, 1.0f, 0.0);
    for (std::size_t i = 128; i < 256; ++i) x[i] *= 1e-3f;
    for (auto t : {ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k}) {
        INFO(to_string(t));
        const auto back = round_trip(t, x);
        std::vector<float> big(x.begin(), x.begin() + 128), bigb(back.begin(), back.begin() + 128);
        CHECK(rel_rms(big, bigb) < 0.1);
    }
    // a row of zeros but one group: every other group decodes to exactly 0 (Q6_K / Q3_K: symmetric codes)
    std::vector<float> one(256, 0.0f);
    for (int i = 48; i < 64; ++i) one[static_cast<std::size_t>(i)] = 0.01f * static_cast<float>(i - 55);
    for (auto t : {ggml_type::q3_k, ggml_type::q6_k, ggml_type::q8_0, ggml_type::q4_0, ggml_type::iq4_nl}) {
        INFO(to_string(t));
        const auto back = round_trip(t, one);
        for (int i = 0; i < 256; ++i)
            if (i < 32 || i >= 64) REQUIRE(back[static_cast<std::size_t>(i)] == 0.0f);
    }
}
