// Q8_0 / Q4_0 blocks: ggml's scale rules, nibble layout, the fused multiply-add, decoding error bounds.
#include <mixq/gguf/ggml_quants.hpp>
#include <mixq/gguf/ggml_type.hpp>
#include <random>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using namespace mixq::gguf;

TEST_CASE("Q8_0: d = fp16(absmax / 127), codes round half away from zero, error within d / 2", "[gguf][quants]") {
    for (std::size_t n : {32u, 96u, 4096u}) {
        const auto x = mixq::test::random_weights(n, static_cast<std::uint32_t>(n));
        std::vector<std::byte> q(n / 32 * 34);
        quantize_q8_0(x, q.data());
        std::vector<float> back(n);
        dequantize_q8_0(q.data(), static_cast<std::int64_t>(n), back.data());
        for (std::size_t b = 0; b < n / 32; ++b) {
            float amax = 0.0f;
            for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
            const float d16 = mixq::round_to_half(amax / 127.0f);
            float d_stored;
            std::uint16_t h;
            std::memcpy(&h, q.data() + b * 34, 2);
            d_stored = mixq::half_bits_to_float(h);
            REQUIRE(d_stored == d16);
            for (int j = 0; j < 32; ++j) {
                const auto code = static_cast<std::int8_t>(q[b * 34 + 2 + j]);
                REQUIRE(code == static_cast<std::int8_t>(std::roundf(x[b * 32 + j] * (1.0f / (amax / 127.0f)))));
                // the codes use the unrounded d, the values the fp16 one: error <= d/2 plus 127 * |d - d16|
                REQUIRE(std::fabs(back[b * 32 + j] - x[b * 32 + j]) <= d16 / 2 + 127 * std::fabs(amax / 127.0f - d16) + 1e-9f);
            }
        }
    }
    // half away from zero: 2.5 -> 3, -2.5 -> -3 (amax 127 makes id exactly 1)
    std::vector<float> x(32, 0.0f);
    x[0] = 127.0f, x[1] = 2.5f, x[2] = -2.5f;
    std::vector<std::byte> q(34);
    quantize_q8_0(x, q.data());
    CHECK(static_cast<std::int8_t>(q[3]) == 3);
    CHECK(static_cast<std::int8_t>(q[4]) == -3);
    std::vector<float> zero(32, 0.0f);
    quantize_q8_0(zero, q.data());
    for (auto b : q) CHECK(b == std::byte{0});
}

TEST_CASE("Q4_0: the signed value of largest magnitude is -8 d, low / high nibbles hold j and j + 16", "[gguf][quants]") {
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[static_cast<std::size_t>(j)] = static_cast<float>(j - 15) * 0.25f;  // -3.75 .. 4.0
    std::vector<std::byte> q(18);
    quantize_q4_0(x, q.data());
    std::uint16_t h;
    std::memcpy(&h, q.data(), 2);
    CHECK(mixq::half_bits_to_float(h) == -0.5f);  // max = +4.0, d = 4 / -8
    // x_j * id + 8.5 with id = -2: code = trunc(8.5 - 2 x_j) = trunc(8.5 - (j - 15) / 2), clamped to 15
    for (int j = 0; j < 16; ++j) {
        const auto byte = static_cast<std::uint8_t>(q[2 + static_cast<std::size_t>(j)]);
        auto want = [](int k) { return std::min(15, static_cast<int>(std::trunc(8.5 - (k - 15) / 2.0))); };
        CHECK((byte & 0x0f) == want(j));
        CHECK((byte >> 4) == want(j + 16));
    }
    std::vector<float> back(32);
    dequantize_q4_0(q.data(), 32, back.data());
    CHECK(back[31] == 4.0f);  // code 0: -8 * -0.5
    // ties of magnitude: the first one decides the sign of d
    std::vector<float> t(32, 0.0f);
    t[3] = -2.0f, t[9] = 2.0f;
    quantize_q4_0(t, q.data());
    std::memcpy(&h, q.data(), 2);
    CHECK(mixq::half_bits_to_float(h) == 0.25f);
}

TEST_CASE("Q4_0 codes round the product before adding 8.5, as llama.cpp's quantizer does (never fused)", "[gguf][quants]") {
    // Search random blocks for elements where fma(x, id, 8.5) and (x * id) + 8.5 truncate differently.
    std::mt19937 rng(4);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(32);
    std::vector<std::byte> q(18);
    int found = 0;
    for (int it = 0; it < 400000 && found < 3; ++it) {
        for (auto& v : x) v = normal(rng);
        float amax = 0.0f, max = 0.0f;
        for (float v : x)
            if (amax < std::fabs(v)) amax = std::fabs(v), max = v;
        const float d = max / -8.0f, id = 1.0f / d;
        for (int j = 0; j < 32; ++j) {
            volatile float prod = x[static_cast<std::size_t>(j)] * id;  // volatile: no contraction here
            const int unfused = static_cast<std::int8_t>(prod + 8.5f);
            const int fused = static_cast<std::int8_t>(std::fma(x[static_cast<std::size_t>(j)], id, 8.5f));
            if (unfused == fused) continue;
            quantize_q4_0(x, q.data());
            const auto byte = static_cast<std::uint8_t>(q[2 + static_cast<std::size_t>(j % 16)]);
            const int code = j < 16 ? (byte & 0x0f) : (byte >> 4);
            CHECK(code == std::min(15, unfused));
            ++found;
            break;
        }
    }
    REQUIRE(found > 0);
}

TEST_CASE("Q4_0 decoding is within d / 2 of the input, d for the clamped top code", "[gguf][quants]") {
    for (std::size_t n : {32u, 160u, 8192u}) {
        const auto x = mixq::test::random_weights(n, 9 + static_cast<std::uint32_t>(n));
        std::vector<std::byte> q(n / 32 * 18);
        quantize_q4_0(x, q.data());
        std::vector<float> back(n);
        dequantize_q4_0(q.data(), static_cast<std::int64_t>(n), back.data());
        for (std::size_t b = 0; b < n / 32; ++b) {
            std::uint16_t h;
            std::memcpy(&h, q.data() + b * 18, 2);
            const float d = std::fabs(mixq::half_bits_to_float(h));
            for (int j = 0; j < 32; ++j) {  // code 15 may be a clamped 16 (x = -8 d): then the error is d
                const auto byte = static_cast<std::uint8_t>(q[b * 18 + 2 + static_cast<std::size_t>(j % 16)]);
                const bool top = (j < 16 ? (byte & 0x0f) : (byte >> 4)) == 15;
                REQUIRE(std::fabs(back[b * 32 + j] - x[b * 32 + j]) <= d * (top ? 1.01f : 0.51f));
            }
        }
    }
    CHECK(row_bytes(ggml_type::q4_0, 96) == 54);
    CHECK(row_bytes(ggml_type::q8_0, 96) == 102);
    CHECK(row_bytes(ggml_type::bf16, 7) == 14);
    CHECK_FALSE(find_ggml_type(16).has_value());  // IQ2_XXS: not a type mixq reads
}
