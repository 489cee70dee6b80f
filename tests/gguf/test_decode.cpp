// Tests include/mixq/gguf/decode.hpp: stored bytes to values for every storage kind, and Q4_1 / Q5_1's block mins.
#include <bit>
#include <cstring>
#include <mixq/gguf/decode.hpp>

#include "support/catch.hpp"

namespace {
template <class Block>
std::vector<std::byte> as_bytes_of(const std::vector<Block>& blocks) {
    std::vector<std::byte> b(blocks.size() * sizeof(Block));
    std::memcpy(b.data(), blocks.data(), b.size());
    return b;
}
}  // namespace

TEST_CASE("decode_values: F32 and F16 / BF16 exactly, block types by hand-made blocks, and the Q8_1 block mins", "[gguf]") {
    using mixq::gguf::ggml_type;
    const std::vector<float> v{1.0f, -2.5f, 0.333251953125f, 65504.0f, -0.0f};
    std::vector<float> out(v.size());
    mixq::gguf::decode_values(ggml_type::f32, reinterpret_cast<const std::byte*>(v.data()), 5, out.data());
    CHECK(out == v);
    std::vector<std::uint16_t> h, bf;
    for (float x : v) h.push_back(mixq::float_to_half_bits(x)), bf.push_back(static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(x) >> 16));
    mixq::gguf::decode_values(ggml_type::f16, reinterpret_cast<const std::byte*>(h.data()), 5, out.data());
    CHECK(out == v);  // every value is an fp16 number
    mixq::gguf::decode_values(ggml_type::bf16, reinterpret_cast<const std::byte*>(bf.data()), 5, out.data());
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(out[i] == std::bit_cast<float>(static_cast<std::uint32_t>(bf[i]) << 16));

    // Two Q4_1 blocks: value = d * q + m, q the nibble (low nibbles first, then high).
    std::vector<mixq::gguf::block_q4_1> q(2);
    for (int b = 0; b < 2; ++b) {
        q[b].d = mixq::float_to_half_bits(0.5f * static_cast<float>(b + 1));
        q[b].m = mixq::float_to_half_bits(b == 0 ? -1.0f : 3.0f);
        for (int i = 0; i < 16; ++i) q[b].qs[i] = static_cast<std::uint8_t>((i & 15) | ((15 - i) << 4));
    }
    const auto bytes = as_bytes_of(q);
    std::vector<float> d(64);
    mixq::gguf::decode_values(ggml_type::q4_1, bytes.data(), 64, d.data());
    for (int b = 0; b < 2; ++b)
        for (int i = 0; i < 16; ++i) {
            CHECK(d[static_cast<std::size_t>(32 * b + i)] == 0.5f * static_cast<float>(b + 1) * static_cast<float>(i) + (b == 0 ? -1.0f : 3.0f));
            CHECK(d[static_cast<std::size_t>(32 * b + 16 + i)] == 0.5f * static_cast<float>(b + 1) * static_cast<float>(15 - i) + (b == 0 ? -1.0f : 3.0f));
        }
    CHECK(mixq::gguf::q8_1_block_mins(ggml_type::q4_1, bytes.data(), 64) == std::vector<float>{-1.0f, 3.0f});
    CHECK(mixq::gguf::q8_1_block_mins(ggml_type::q4_0, bytes.data(), 64).empty());  // no mins: other products
}
