// format/ggml's decoders against ggml's per-value formulas on random blocks (every bit pattern of codes, scales and
// mins), and the products over ggml blocks read in place (model/linear.hpp: GEMV and GEMM) against a double product.
#include <cstring>
#include <mixq/format/ggml/types.hpp>
#include <mixq/model/linear.hpp>
#include <random>
#include <vector>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/gemv_check.hpp"

using namespace mixq::gguf;

namespace {
// Random block bytes: every code, sub-block scale and min bit pattern, with finite fp16 scales in each block's d
// (and m / dmin) fields, which the block layouts place at fixed offsets.
std::vector<std::byte> random_ggml_blocks(ggml_type t, std::int64_t blocks, std::uint32_t seed) {
    const auto& ti = info(t);
    std::mt19937 g(seed);
    std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
    std::vector<std::byte> q(static_cast<std::size_t>(blocks * ti.block_bytes));
    for (auto& b : q) b = static_cast<std::byte>(g() & 0xff);
    auto put_half = [&](std::int64_t at) {
        const auto h = mixq::float_to_half_bits(scale(g));
        std::memcpy(q.data() + at, &h, 2);
    };
    for (std::int64_t b = 0; b < blocks; ++b) {
        const auto base = b * ti.block_bytes;
        switch (t) {
            case ggml_type::q4_1: case ggml_type::q5_1: put_half(base + 2); [[fallthrough]];
            case ggml_type::q8_0: case ggml_type::q4_0: case ggml_type::q5_0: case ggml_type::iq4_nl: put_half(base); break;
            case ggml_type::q2_k: put_half(base + 80), put_half(base + 82); break;  // d, dmin after scales[16], qs[64]
            case ggml_type::q3_k: put_half(base + 108); break;                      // d after hmask[32], qs[64], scales[12]
            case ggml_type::q4_k: case ggml_type::q5_k: put_half(base), put_half(base + 2); break;
            case ggml_type::q6_k: put_half(base + 208); break;                      // d after ql[128], qh[64], scales[16]
            default: FAIL("not a block type");
        }
    }
    return q;
}

float fp16_field(const std::byte* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return mixq::half_bits_to_float(h);
}
int byte_at(const std::byte* p, std::int64_t i) { return static_cast<int>(std::to_integer<std::uint8_t>(p[i])); }

// Value i of one block, written from ggml's dequantize_row_* one value at a time (its loops unrolled by hand),
// each product in ggml's order.
float ggml_reference_value(ggml_type t, const std::byte* b, int i) {
    switch (t) {
        case ggml_type::q8_0: return fp16_field(b) * static_cast<float>(static_cast<std::int8_t>(byte_at(b, 2 + i)));
        case ggml_type::q4_0: return fp16_field(b) * static_cast<float>(((byte_at(b, 2 + i % 16) >> (i / 16 * 4)) & 15) - 8);
        case ggml_type::q4_1: return fp16_field(b) * static_cast<float>((byte_at(b, 4 + i % 16) >> (i / 16 * 4)) & 15) + fp16_field(b + 2);
        case ggml_type::q5_0:
        case ggml_type::q5_1: {
            const int off = t == ggml_type::q5_0 ? 2 : 4;
            const int code = ((byte_at(b, off + 4 + i % 16) >> (i / 16 * 4)) & 15) | (((byte_at(b, off + i / 8) >> (i % 8)) & 1) << 4);
            return t == ggml_type::q5_0 ? fp16_field(b) * static_cast<float>(code - 16) : fp16_field(b) * static_cast<float>(code) + fp16_field(b + 2);
        }
        case ggml_type::iq4_nl: return fp16_field(b) * static_cast<float>(iq4nl_values[(byte_at(b, 2 + i % 16) >> (i / 16 * 4)) & 15]);
        case ggml_type::q2_k: {
            const int s = byte_at(b, i / 16), code = (byte_at(b, 16 + (i / 128) * 32 + i % 32) >> (2 * ((i % 128) / 32))) & 3;
            return fp16_field(b + 80) * static_cast<float>(s & 15) * static_cast<float>(code) - fp16_field(b + 82) * static_cast<float>(s >> 4);
        }
        case ggml_type::q3_k: {
            const int j = i / 16, lo = j < 8 ? byte_at(b, 96 + j) & 15 : byte_at(b, 96 + j - 8) >> 4;
            const int scale = (lo | (((byte_at(b, 96 + 8 + j % 4) >> (2 * (j / 4))) & 3) << 4)) - 32;
            const int code = (byte_at(b, 32 + (i / 128) * 32 + i % 32) >> (2 * ((i % 128) / 32))) & 3;
            const int high = (byte_at(b, i % 32) >> (i / 32)) & 1;
            return fp16_field(b + 108) * static_cast<float>(scale) * static_cast<float>(code - (high ? 0 : 4));
        }
        case ggml_type::q4_k:
        case ggml_type::q5_k: {
            const int j = i / 32;
            const auto sc = [&](int k) { return byte_at(b, 4 + k); };
            const int s = j < 4 ? sc(j) & 63 : (sc(j + 4) & 15) | ((sc(j - 4) >> 6) << 4);
            const int m = j < 4 ? sc(j + 4) & 63 : (sc(j + 4) >> 4) | ((sc(j) >> 6) << 4);
            const int qs = t == ggml_type::q4_k ? 16 : 48;
            int code = (byte_at(b, qs + (i / 64) * 32 + i % 32) >> (4 * (j % 2))) & 15;
            if (t == ggml_type::q5_k) code |= ((byte_at(b, 16 + i % 32) >> j) & 1) << 4;
            return fp16_field(b) * static_cast<float>(s) * static_cast<float>(code) - fp16_field(b + 2) * static_cast<float>(m);
        }
        case ggml_type::q6_k: {
            const int half = i / 128, l = i % 32, quarter = (i % 128) / 32;
            const int low = (byte_at(b, half * 64 + l + (quarter % 2) * 32) >> (4 * (quarter / 2))) & 15;
            const int high = (byte_at(b, 128 + half * 32 + l) >> (2 * quarter)) & 3;
            const auto scale = static_cast<std::int8_t>(byte_at(b, 192 + half * 8 + l / 16 + 2 * quarter));
            return fp16_field(b + 208) * static_cast<float>(scale) * static_cast<float>((low | (high << 4)) - 32);
        }
        default: return NAN;
    }
}

const ggml_type decoded_types[] = {ggml_type::q8_0, ggml_type::q4_0, ggml_type::q4_1, ggml_type::q5_0, ggml_type::q5_1, ggml_type::iq4_nl,
                                 ggml_type::q2_k, ggml_type::q3_k, ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k};
}  // namespace

TEST_CASE("ggml decoders equal ggml's per-value formulas bit for bit on random blocks, read at any byte offset", "[gguf][format]") {
    std::uint32_t seed = 4100;
    for (const auto t : decoded_types) {
        const auto& ti = info(t);
        INFO(ti.name);
        const std::int64_t blocks = ti.block == 256 ? 9 : 70;
        auto q = random_ggml_blocks(t, blocks, ++seed);
        for (std::size_t shift : {0, 1, 3}) {  // blocks follow one another at odd offsets in a GGUF file's rows
            std::vector<std::byte> at(q.size() + shift);
            std::memcpy(at.data() + shift, q.data(), q.size());
            std::vector<float> y(static_cast<std::size_t>(blocks * ti.block), NAN);
            ti.dequantize(at.data() + shift, blocks * ti.block, y.data());
            for (std::int64_t b = 0; b < blocks; ++b)
                for (int i = 0; i < ti.block; ++i) {
                    const float want = ggml_reference_value(t, q.data() + b * ti.block_bytes, i);
                    const float got = y[static_cast<std::size_t>(b * ti.block + i)];
                    if (std::memcmp(&want, &got, 4) != 0) FAIL("block " << b << " value " << i << ": " << got << " != " << want);
                }
        }
    }
}

TEST_CASE("products over ggml blocks read in place: GEMV for 1..8 rows and GEMM above match a double product", "[gguf][dequant_gemv]") {
    std::uint32_t seed = 4200;
    for (const auto t : decoded_types) {
        const auto& ti = info(t);
        // rows not a multiple of any row block; K: one block, and a K-quant row past the 512-value GEMV chunk
        for (const auto& [N, K] : {std::pair<std::int64_t, std::int64_t>{13, ti.block}, {37, ti.block == 256 ? 768 : 544}}) {
            INFO(ti.name << " N=" << N << " K=" << K);
            const auto q = random_ggml_blocks(t, N * K / ti.block, ++seed);
            std::vector<float> w(static_cast<std::size_t>(N * K));
            ti.dequantize(q.data(), N * K, w.data());
            const mixq::stored_matrix m{"w", mixq::dtype::u8, N, K, q, {}, 0, mixq::codebook4::int4, mixq::activation_rounding::none, {},
                                        mixq::block_rows{ti.dequantize, ti.block, ti.block_bytes}};
            REQUIRE(m.is_blocks());
            REQUIRE_FALSE(m.is_packed4());
            const auto x = mixq::test::random_weights(static_cast<std::size_t>(11 * K), ++seed, 1.0f, 0.0);
            auto dq = [&](std::int64_t n, std::int64_t k) { return w[static_cast<std::size_t>(n * K + k)]; };
            for (std::int64_t T : {1, 3, 8, 11}) {  // up to 8: the GEMV; 11: the dequantizing GEMM
                std::vector<float> y(static_cast<std::size_t>(T * N), NAN);
                mixq::linear(x.data(), T, m, y.data());
                mixq::test::check_gemv_against_double([&](std::int64_t b, std::int64_t n) { return y[static_cast<std::size_t>(b * N + n)]; },
                                                      x, N, K, T, dq);
            }
            std::vector<float> row(static_cast<std::size_t>(K));
            m.row(N - 1, row.data());  // an embedding lookup decodes just that row
            for (std::int64_t k = 0; k < K; ++k) REQUIRE(row[static_cast<std::size_t>(k)] == dq(N - 1, k));
        }
    }
}
