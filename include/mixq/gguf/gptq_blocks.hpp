// Rounding whole tensors into ggml's types: ggml's own rounding row by row in parallel, and mixq's (each block's scales first, then its codes by GPTQ on that fixed grid).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../calib/hessian.hpp"
#include "../core/error.hpp"
#include "../core/parallel_for.hpp"
#include "../format/ggml/types.hpp"

namespace mixq::gguf {

// How the scales (and mins) of each block are chosen before GPTQ picks the codes.
enum class block_scales {
    reference,  // ggml's own search on the unrounded weights (llama-quantize's scales)
    weighted,   // llama.cpp's importance-weighted search, the Hessian's diagonal (mean xᵢ²) as the importance
};

// ggml's rounding of W [rows, cols] into `out` (rows x row_bytes), `threads` chunks of rows at a time (the
// K-quants' scale searches make rows slow); `importance` as the traits' quantize takes it; with `back`, each row
// is decoded there too, while its blocks are still in cache.
inline void quantize_rows(ggml_type t, std::span<const float> w, std::int64_t rows, std::int64_t cols, const float* importance,
                          int threads, std::byte* out, float* back = nullptr) {
    const auto& ti = info(t);
    const auto rb = row_bytes(t, cols);
    constexpr std::int64_t chunk = 64;
    ::mixq::detail::parallel_for(static_cast<std::size_t>((rows + chunk - 1) / chunk), threads, [&](std::size_t c) {
        for (auto r = static_cast<std::int64_t>(c) * chunk; r < std::min(rows, static_cast<std::int64_t>(c + 1) * chunk); ++r) {
            ti.quantize(w.subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols)), out + r * rb, importance);
            if (back) ti.dequantize(out + r * rb, cols, back + r * cols);
        }
    });
}

// W [rows, cols] (a weight with its input along the row, as GGUF stores it) into `t`'s blocks. Stage 1 writes
// every block as ggml's quantizer does (its scales chosen on the unrounded W, as GPTQ's "static groups");
// stage 2 keeps those scales and lets `round` (calib/gptq.hpp's gptq_rounder) pick every value on its block's
// grid column by column, each column's error fed forward through H⁻¹, so that XWᵀ rather than W stays close;
// stage 3 writes the chosen codes into the blocks. With H the identity the codes are the nearest ones, which
// for the K-quants are exactly ggml's.
[[nodiscard]] inline std::vector<std::byte> gptq_blocks(ggml_type t, std::span<const float> w, std::int64_t rows, std::int64_t cols,
                                                        const hessian& H, const rounding_fn& round, block_scales scales,
                                                        int threads, const std::string& what) {
    const auto& ti = info(t);
    if (!ti.grids || cols % ti.block != 0)
        throw error(errc::internal, what + ": gptq_blocks needs a block type whose blocks fill the row");
    if (H.k != cols) fail(what + ": a Hessian of " + std::to_string(H.k) + " inputs for rows of " + std::to_string(cols));
    const auto nb = cols / ti.block, rb = nb * ti.block_bytes;
    std::vector<float> importance;
    if (scales == block_scales::weighted && H.samples > 0) {
        importance.resize(static_cast<std::size_t>(cols));
        for (std::int64_t i = 0; i < cols; ++i) importance[static_cast<std::size_t>(i)] = static_cast<float>(H.at(i, i) / static_cast<double>(H.samples));
    }
    std::vector<std::byte> out(static_cast<std::size_t>(rows * rb));
    quantize_rows(t, w, rows, cols, importance.empty() ? nullptr : importance.data(), threads, out.data());

    // Every value's grid, a and b (lo, hi and the kind are the type's): GPTQ may ask for columns in any order
    // (act order), and 8 bytes a value is what its own double copy of W costs.
    std::vector<element_grid> g(static_cast<std::size_t>(ti.block));
    std::vector<float> ab(static_cast<std::size_t>(2 * rows * cols));
    for (std::int64_t key = 0; key < rows * nb; ++key) {
        ti.grids(out.data() + key * ti.block_bytes, g.data());
        for (std::int64_t i = 0; i < ti.block; ++i)
            ab[static_cast<std::size_t>(2 * (key * ti.block + i))] = g[static_cast<std::size_t>(i)].a,
            ab[static_cast<std::size_t>(2 * (key * ti.block + i) + 1)] = g[static_cast<std::size_t>(i)].b;
    }
    element_grid shape = g[0];  // lo, hi and the kind, the same for every value of a type
    const auto q = round(w, rows, cols, H, [&](float v, std::int64_t r, std::int64_t col) {
        auto e = shape;
        e.a = ab[static_cast<std::size_t>(2 * (r * cols + col))], e.b = ab[static_cast<std::size_t>(2 * (r * cols + col) + 1)];
        return e.snap(v);
    }, what);
    ab = {};

    std::vector<int> codes(static_cast<std::size_t>(ti.block));
    for (std::int64_t key = 0; key < rows * nb; ++key) {
        ti.grids(out.data() + key * ti.block_bytes, g.data());
        const float* v = q.data() + key * ti.block;  // rows * nb blocks in row order: block key starts at key * block
        for (std::int64_t i = 0; i < ti.block; ++i) codes[static_cast<std::size_t>(i)] = g[static_cast<std::size_t>(i)].code(v[i]);
        ti.put_codes(out.data() + key * ti.block_bytes, codes.data());
    }
    return out;
}

}  // namespace mixq::gguf
