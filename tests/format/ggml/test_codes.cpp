// format/ggml/codes.hpp: every block's grid gives back exactly what ggml's decoding gives, and its codes written back rebuild the block byte for byte (its values, where a scale of 0 leaves codes free).
#include <algorithm>
#include <mixq/format/ggml/types.hpp>
#include <vector>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using namespace mixq::gguf;

TEST_CASE("every block type: decoded values lie on their block's grid, and their codes rebuild the block", "[gguf][format]") {
    // Two magnitudes and outliers, so that blocks of every shape of scale (and min) occur.
    auto x = mixq::test::random_weights(2304, 23, 0.05f, 0.01);
    for (std::size_t i = 1024; i < 1536; ++i) x[i] = 3.0f * x[i] + 0.02f;
    for (const auto& t : ggml_types) {
        if (!t.grids) continue;
        INFO(t.name);
        const auto n = static_cast<std::int64_t>(x.size());
        std::vector<std::byte> q(static_cast<std::size_t>(row_bytes(t.type, n)));
        t.quantize(x, q.data(), nullptr);
        std::vector<float> back(x.size());
        t.dequantize(q.data(), n, back.data());
        std::vector<element_grid> g(static_cast<std::size_t>(t.block));
        std::vector<int> codes(static_cast<std::size_t>(t.block));
        for (std::int64_t b = 0; b < n / t.block; ++b) {
            auto* block = q.data() + b * t.block_bytes;
            t.grids(block, g.data());
            for (std::int64_t i = 0; i < t.block; ++i) {
                const auto& e = g[static_cast<std::size_t>(i)];
                const float v = back[static_cast<std::size_t>(b * t.block + i)];
                const int k = e.code(v);
                REQUIRE(k >= e.lo);
                REQUIRE(k <= e.hi);
                REQUIRE(e.value(k) == v);  // bit for bit: the grid is the decoder's own arithmetic
                codes[static_cast<std::size_t>(i)] = k;
            }
            // A sub-block whose scale is 0 decodes every code to one value: its codes are free, the values must agree.
            bool zero_scale = false;
            for (const auto& e : g) zero_scale |= e.a == 0.0f;
            const std::vector<std::byte> before(block, block + t.block_bytes);
            t.put_codes(block, codes.data());
            if (!zero_scale) REQUIRE(std::vector<std::byte>(block, block + t.block_bytes) == before);
            std::vector<float> again(static_cast<std::size_t>(t.block));
            t.dequantize(block, t.block, again.data());
            REQUIRE(std::equal(again.begin(), again.end(), back.begin() + b * t.block));
        }
    }
}

TEST_CASE("a grid snaps any value to its nearest stored value, clamped to the code range", "[gguf][format]") {
    block_q4_k y{};
    y.d = detail::half(0.5f), y.dmin = detail::half(0.25f);
    detail::put_scale_min_k4(0, 2, 4, y.scales);  // sub-block 0: a = 0.5 * 2 = 1, b = -(0.25 * 4) = -1
    element_grid g[qk_k];
    detail::grids(y, g);
    CHECK(g[0].a == 1.0f);
    CHECK(g[0].b == -1.0f);
    CHECK(g[0].snap(2.4f) == 2.0f);   // code 3
    CHECK(g[0].snap(-5.0f) == -1.0f);  // below the range: code 0
    CHECK(g[0].snap(40.0f) == 14.0f);  // above: code 15
    CHECK(g[40].a == 0.0f);            // sub-block 1 has scale 0: one value, whatever the code
    CHECK(g[40].snap(3.0f) == g[40].b);
    block_iq4_nl z{};
    z.d = detail::half(0.5f);
    element_grid h[qk];
    detail::grids(z, h);
    CHECK(h[0].snap(0.5f * 60.0f) == 0.5f * 53.0f);  // the nearest of IQ4_NL's levels ... 53, 69 ... to 60
    CHECK(h[0].snap(-1000.0f) == 0.5f * -127.0f);
}
