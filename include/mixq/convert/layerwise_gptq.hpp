// Conversions with GPTQ that hold one layer's Hessians at a time, not the model's: the calibration tokens'
// residual stream is carried through the fp32 model layer by layer, each layer's tensors are rounded as
// soon as its Hessians are complete, and those are dropped before the next layer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "../core/parallel_for.hpp"
#include "hessians.hpp"

namespace mixq {

// The fp32 model whose layer inputs GPTQ compensates, the calibration tokens, windows of the model's
// maximum length (or `window`), `batch` windows per pass: what collect_hessians takes.
struct gptq_calibration {
    const ssm_lm* model = nullptr;
    std::span<const std::int64_t> tokens;
    std::int64_t window = 0;
    std::int64_t batch = 16;
};

// The calibration tokens' residual stream carried through the fp32 model a layer at a time, each layer's
// wanted input Hessians accumulated as collect_hessians would (same batches, same order: the same sums).
class layer_hessians {
public:
    layer_hessians(const ssm_lm& model, const gptq_calibration& cal) : model_(model) {
        const auto [L, windows] = detail::calibration_windows(model.config(), cal.tokens.size(), cal.window);
        L_ = L;
        for (std::int64_t w0 = 0; w0 < windows; w0 += cal.batch) {
            const auto nw = std::min(cal.batch, windows - w0);
            batches_.push_back({nw, model.embed(cal.tokens.data() + w0 * L, nw, L)});
        }
    }
    // Runs layer l on the stream, adding the inputs of the products in `want` to `into`.
    void run_layer(std::int64_t l, const std::set<std::string, std::less<>>& want, hessian_set& into) {
        std::int64_t T = 0;
        const input_observer observe = [&](const std::string& name, std::span<const float> x) {
            if (want.count(name)) detail::accumulate_into(into, name, x, T, L_);
        };
        for (auto& b : batches_) {
            T = b.n_seq * L_;
            model_.run_layer(l, b.x, b.n_seq, L_, want.empty() ? nullptr : &observe);
        }
    }
    // After the last layer: the head's input (the final norm of the stream) as "lm_head.weight".
    void head(hessian_set& into) const {
        for (const auto& b : batches_) detail::accumulate_into(into, "lm_head.weight", model_.head_input(b.x), b.n_seq * L_, L_);
    }
    // Layers 0..last (n_layers: the head too), want[l] collected into `current`, then done(l), then cleared.
    void walk(const std::vector<std::set<std::string, std::less<>>>& want, std::int64_t last, hessian_set& current,
              const std::function<void(std::int64_t)>& done) {
        const auto n = model_.config().n_layers;
        for (std::int64_t l = 0; l <= std::min(last, n - 1); ++l) {
            run_layer(l, want[static_cast<std::size_t>(l)], current);
            done(l);
            current.clear();
        }
        if (last == n) {
            head(current);
            done(n);
            current.clear();
        }
    }

private:
    struct batch {
        std::int64_t n_seq;
        std::vector<float> x;  // the residual stream entering the next layer
    };
    const ssm_lm& model_;
    std::int64_t L_ = 0;
    std::vector<batch> batches_;
};

// Converts `in` with each of `tables` (as convert(in, table, options) would, with
// options.hessians = collect_hessians(*cal.model, cal.tokens, cal.window): the same bytes). Why: a layer's
// Hessians are K x K doubles, 42 MB per layer at Mamba-130M's shape and 302 MB per layer (14.5 GB in all)
// at 1.4B's (from the shapes); here at most one layer's and the stream (tokens x d_model floats) are held.
// The Hessians of every table's tensors are collected once, in the same batches and order as
// collect_hessians, and tensors are filled `threads` at a time. A tensor options.reuse supplies needs no
// Hessian. progress(done, n_layers + 1) after each layer and after the head.
[[nodiscard]] inline std::vector<conversion> convert_layerwise(const io::safetensors_file& in, std::vector<rule_table> tables,
                                                               convert_options options, const gptq_calibration& cal, int threads,
                                                               const std::function<void(std::size_t, std::size_t)>& progress = {}) {
    if (!cal.model) throw error(errc::internal, "convert_layerwise: no model");
    const auto& model = *cal.model;
    const auto& cfg = model.config();
    hessian_set current;        // the Hessians of the layer being rounded
    options.hessians = &current;
    std::vector<conversion> cs;
    std::vector<conversion_cursor> curs;
    cs.reserve(tables.size());
    curs.reserve(tables.size());
    for (auto& t : tables) {
        curs.emplace_back(options);
        cs.push_back(begin_conversion(in, std::move(t), options));
        while (cs.back().tensors.size() < cs.back().plan.entries.size()) (void)prepare_next(cs.back(), curs.back());
    }

    // Which Hessian each tensor GPTQ rounds will use (hessian_for's choice among every product the forward
    // observes), and so in which layer it can be rounded: the head's is layer n_layers.
    std::map<std::string, std::int64_t> layer_of;
    for (const auto& [l, name] : model.products()) layer_of.emplace(name, l);
    std::vector<std::string> observed;
    for (const auto& [name, l] : layer_of) observed.push_back(name);  // sorted, as a hessian_set's keys
    struct job {
        std::size_t table, tensor;
    };
    std::vector<std::vector<job>> jobs(static_cast<std::size_t>(cfg.n_layers + 2));  // [0]: no Hessian; [l + 1]: layer l
    std::vector<std::set<std::string, std::less<>>> wanted(static_cast<std::size_t>(cfg.n_layers + 1));
    std::int64_t last = -1;  // the last layer (n_layers: the head) whose Hessians are needed
    for (std::size_t k = 0; k < cs.size(); ++k)
        for (std::size_t i = 0; i < cs[k].tensors.size(); ++i) {
            const auto& x = cs[k].tensors[i];
            if (!needs_fill(x)) continue;
            const bool gq = is_quantized(x.target) && (x.target == precision::int8 ? options.gptq_int8 : options.gptq_lowbit);
            const auto src = gq && !(options.reuse && options.reuse(x)) ? detail::find_hessian_source(observed, *x.source, in) : std::nullopt;
            if (!src) {
                jobs[0].push_back({k, i});
                continue;
            }
            const auto l = layer_of.at(src->name);
            jobs[static_cast<std::size_t>(l + 1)].push_back({k, i});
            wanted[static_cast<std::size_t>(l)].insert(src->name);
            last = std::max(last, l);
        }

    const auto fill = [&](const std::vector<job>& js) {
        const int inner = std::max(1, threads / std::max(1, static_cast<int>(js.size())));  // a lone large tensor keeps them all
        detail::parallel_for(js.size(), threads, [&](std::size_t j) {
            std::vector<float> w;
            auto& c = cs[js[j].table];
            fill_tensor(c, c.tensors[js[j].tensor], curs[js[j].table].q8, w, static_cast<unsigned>(inner));
        });
    };
    fill(jobs[0]);

    if (last >= 0)
        layer_hessians(model, cal).walk(wanted, last, current, [&](std::int64_t l) {
            fill(jobs[static_cast<std::size_t>(l + 1)]);
            if (progress && l < cfg.n_layers) progress(static_cast<std::size_t>(l + 1), static_cast<std::size_t>(cfg.n_layers + 1));
        });
    if (progress) progress(static_cast<std::size_t>(cfg.n_layers + 1), static_cast<std::size_t>(cfg.n_layers + 1));

    for (std::size_t k = 0; k < cs.size(); ++k) {
        for (auto& x : cs[k].tensors) resolve_alias(cs[k], x);
        finish_conversion(cs[k], curs[k]);
        cs[k].options.hessians = nullptr;  // it pointed at this function's set
    }
    return cs;
}

}  // namespace mixq
