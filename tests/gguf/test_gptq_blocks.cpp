// gguf/gptq_blocks.hpp: GPTQ inside ggml's codes keeps each block's scales, lowers the layer's output error, and with H = I rounds as ggml does.
#include <mixq/calib/gptq.hpp>
#include <mixq/gguf/gptq_blocks.hpp>
#include <vector>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/layer_inputs.hpp"

using namespace mixq::gguf;

namespace {
std::vector<float> decode(ggml_type t, const std::vector<std::byte>& q, std::int64_t n) {
    std::vector<float> out(static_cast<std::size_t>(n));
    info(t).dequantize(q.data(), n, out.data());
    return out;
}
std::vector<std::byte> reference(ggml_type t, const std::vector<float>& w, std::int64_t rows, std::int64_t cols, const float* importance = nullptr) {
    const auto rb = row_bytes(t, cols);
    std::vector<std::byte> q(static_cast<std::size_t>(rows * rb));
    for (std::int64_t r = 0; r < rows; ++r)
        info(t).quantize(std::span(w).subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols)), q.data() + r * rb, importance);
    return q;
}
// Every block's grids (its scales and mins) as decoded values of codes lo and hi: equal grids, equal scales.
std::vector<float> grid_ends(ggml_type t, const std::vector<std::byte>& q) {
    const auto& ti = info(t);
    std::vector<element_grid> g(static_cast<std::size_t>(ti.block));
    std::vector<float> out;
    for (std::size_t b = 0; b < q.size() / static_cast<std::size_t>(ti.block_bytes); ++b) {
        ti.grids(q.data() + b * static_cast<std::size_t>(ti.block_bytes), g.data());
        for (const auto& e : g) out.push_back(e.value(e.lo)), out.push_back(e.value(e.hi));
    }
    return out;
}
}  // namespace

TEST_CASE("GPTQ inside every ggml type: the reference scales kept, the output error lowered", "[gguf][gptq]") {
    const std::int64_t T = 700, K = 512, N = 12;  // K: two super-blocks, sixteen 32-value blocks
    const auto x = mixq::test::correlated_inputs(T, K, 31);
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 32, 0.05f, 0.002);
    mixq::hessian H(K);
    mixq::accumulate(H, x, T);
    const auto round = mixq::gptq_rounder();
    for (const auto& t : ggml_types) {
        if (!t.grids) continue;
        INFO(t.name);
        const auto ref = reference(t.type, w, N, K);
        const auto q = gptq_blocks(t.type, w, N, K, H, round, block_scales::reference, 2, "w");
        CHECK(grid_ends(t.type, q) == grid_ends(t.type, ref));
        const double e_ref = mixq::test::output_error(x, T, K, w, decode(t.type, ref, N * K), N);
        const double e = mixq::test::output_error(x, T, K, w, decode(t.type, q, N * K), N);
        CHECK(e < 0.8 * e_ref);
        // Scales by the importance-weighted search (the Hessian's diagonal): llama.cpp's imatrix scales.
        std::vector<float> imp(static_cast<std::size_t>(K));
        for (std::int64_t i = 0; i < K; ++i) imp[static_cast<std::size_t>(i)] = static_cast<float>(H.at(i, i) / static_cast<double>(H.samples));
        const auto qw = gptq_blocks(t.type, w, N, K, H, round, block_scales::weighted, 1, "w");
        CHECK(grid_ends(t.type, qw) == grid_ends(t.type, reference(t.type, w, N, K, imp.data())));
        CHECK(mixq::test::output_error(x, T, K, w, decode(t.type, qw, N * K), N) < 0.8 * e_ref);
        // In act order (columns by decreasing H_ii) the same fixed grids: the same scales, a lower error too.
        const auto qa = gptq_blocks(t.type, w, N, K, H, mixq::gptq_rounder({.act_order = true}), block_scales::reference, 2, "w");
        CHECK(grid_ends(t.type, qa) == grid_ends(t.type, ref));
        CHECK(mixq::test::output_error(x, T, K, w, decode(t.type, qa, N * K), N) < 0.8 * e_ref);
    }
}

TEST_CASE("GPTQ inside the K-quants with H = I is ggml's reference rounding", "[gguf][gptq]") {
    const std::int64_t K = 768, N = 5;
    mixq::hessian H(K);
    for (std::int64_t i = 0; i < K; ++i) H.h[static_cast<std::size_t>(i * K + i)] = 1.0;
    H.samples = 1;
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 33, 0.05f, 0.01);
    for (auto t : {ggml_type::q2_k, ggml_type::q3_k, ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k}) {
        INFO(to_string(t));
        const auto q = gptq_blocks(t, w, N, K, H, mixq::gptq_rounder(), block_scales::reference, 2, "w");
        const auto ref = reference(t, w, N, K);
        CHECK(decode(t, q, N * K) == decode(t, ref, N * K));
        // Byte for byte where no sub-block's scale rounds to 0 (Q2_K's and Q3_K's 4- and 6-bit scales do here:
        // ggml keeps the scale search's codes there, which decode to the same value as any other).
        if (t != ggml_type::q2_k && t != ggml_type::q3_k) CHECK(q == ref);
    }
    CHECK_THROWS_WITH(gptq_blocks(ggml_type::q4_k, w, N, K, mixq::hessian(K - 1), mixq::gptq_rounder(), block_scales::reference, 1, "tensor 'w'"),
                      Catch::Contains("tensor 'w'") && Catch::Contains("767"));
}
