// Deterministic benchmark inputs shared by the CPU benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <mixq/gguf/ggml_quants.hpp>

namespace mixq::bench {

// n values from Normal(0, 0.05), the scale of trained weights.
inline std::vector<float> randn(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.05f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// W [N, K] in ggml type G, row by row as llama-quantize writes it, and its decoded values (the fp32 baseline's input).
struct ggml_matrix {
    std::vector<std::byte> bytes;
    std::vector<float> values;
};
inline ggml_matrix ggml_blocks(gguf::ggml_type G, const std::vector<float>& w, std::int64_t N, std::int64_t K) {
    const auto& ti = gguf::info(G);
    const auto row = K / ti.block * ti.block_bytes;
    ggml_matrix m{std::vector<std::byte>(static_cast<std::size_t>(N * row)), std::vector<float>(w.size())};
    for (std::int64_t n = 0; n < N; ++n)
        ti.quantize(std::span(w).subspan(static_cast<std::size_t>(n * K), static_cast<std::size_t>(K)), m.bytes.data() + n * row, nullptr);
    ti.dequantize(m.bytes.data(), N * K, m.values.data());
    return m;
}

}  // namespace mixq::bench
