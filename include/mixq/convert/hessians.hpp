// GPTQ's Hessians: the reference forward over calibration tokens, H = XᵀX of every linear layer's fp32 input.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../calib/gptq.hpp"
#include "convert.hpp"
#include "../model/forward.hpp"
#include "../model/observe_inputs.hpp"

namespace mixq {

namespace detail {
// Adds the rows x [T, K] to hs[name], made on first use, one window of L rows at a time: BLAS sums a
// call's rows in blocks whose size depends on the CPU's kernel (dsyrk of 640 rows and of 256 + 256 + 128
// differ in the last bits on OpenBLAS's Cooper Lake kernel), so the same rows give the same Hessian
// however they are batched. (The rows themselves, a batch's activations, can still differ in the last
// bits between batchings: equal bytes from two passes need equal batches.)
inline void accumulate_into(hessian_set& hs, const std::string& name, std::span<const float> x, std::int64_t T, std::int64_t L) {
    auto it = hs.find(name);
    const auto k = static_cast<std::int64_t>(x.size()) / T;
    if (it == hs.end()) it = hs.emplace(name, hessian(k)).first;
    for (std::int64_t t0 = 0; t0 < T; t0 += L) {
        const auto rows = std::min(L, T - t0);
        accumulate(it->second, x.subspan(static_cast<std::size_t>(t0 * k), static_cast<std::size_t>(rows * k)), rows);
    }
}
}  // namespace detail

// Windows of the model's maximum length (or `window`), `batch` windows per forward pass; `only`, when
// not empty, limits the layers observed (each costs a K x K double matrix: on a large model, collect only
// what will be quantized, or use convert/layerwise_gptq.hpp, which holds one layer's). MoE experts are
// observed on every token, since the reference forward evaluates them densely: their Hessians weight all
// tokens alike, not only the routed ones.
[[nodiscard]] inline hessian_set collect_hessians(const ssm_lm& model, std::span<const std::int64_t> tokens,
                                                  std::int64_t window = 0, const std::vector<std::string>& only = {},
                                                  std::int64_t batch = 16) {
    const auto [L, windows] = detail::calibration_windows(model.config(), tokens.size(), window);
    const std::int64_t rows = L;  // a structured binding, which clang before 16 cannot capture
    hessian_set hs;
    observe_inputs(model, tokens, L, windows, batch, [&](const std::string& name, std::span<const float> x, std::int64_t T) {
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) return;
        detail::accumulate_into(hs, name, x, T, rows);
    });
    return hs;
}

// The layers whose input Hessians a conversion with these options will use: every tensor a rule lowers to
// a precision GPTQ rounds, and every tensor identical to one (a tied head feeds its embedding table).
[[nodiscard]] inline std::vector<std::string> gptq_layers(const rule_table& table, const io::safetensors_file& in,
                                                          const convert_options& o) {
    std::vector<std::string> out;
    std::vector<const tensor_view*> targets;
    for (const auto& e : make_plan(table, in.tensors()).entries) {
        if (!e.rule || !is_quantized(e.target)) continue;
        if (e.target == precision::int8 ? o.gptq_int8 : o.gptq_lowbit) targets.push_back(e.tensor);
    }
    for (const auto& t : in.tensors())
        for (const auto* x : targets)
            if (&t == x || (t.type == x->type && t.shape == x->shape && same_bytes(t.bytes, x->bytes))) {
                out.push_back(t.name);
                break;
            }
    const auto emb = detail::tied_embedding_name(in);  // a head absent from the file: the forward calls it lm_head.weight
    for (const auto* x : targets)
        if (!emb.empty() && x->name == emb) out.push_back("lm_head.weight");
    return out;
}

}  // namespace mixq
