// GGUF exports rounded by GPTQ holding one layer's Hessians at a time: the calibration tokens' residual stream
// is carried through the fp32 model layer by layer, and each layer's deferred tensors are rounded as soon as
// their Hessians are complete.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "../convert/layerwise_gptq.hpp"
#include "export.hpp"

namespace mixq::gguf {

// Each of `tables` exported as export_gguf(in, table, opt) would with opt.hessians = collect_hessians(*cal.model,
// cal.tokens, cal.window) (the same Hessians: the same batches and order, so the same bytes), but holding at most
// one layer's Hessians and the stream (tokens x d_model floats). Why: a layer's Hessians are K x K doubles, 42 MB
// per layer at Mamba-130M's shape and 14.5 GB in all at 1.4B's. Every table's tensors share one pass.
// opt.round must be set (calib/gptq.hpp's gptq_rounder); opt.hessians and opt.deferred_products are ignored.
[[nodiscard]] inline std::vector<gguf_export> export_gguf_layerwise(const io::safetensors_file& in, const std::vector<rule_table>& tables,
                                                                   export_options opt, const gptq_calibration& cal) {
    if (!cal.model) throw error(errc::internal, "export_gguf_layerwise: no model");
    const auto& model = *cal.model;
    const auto& cfg = model.config();
    std::map<std::string, std::int64_t> layer_of;  // every product the forward observes; the head's is n_layers
    for (const auto& [l, name] : model.products()) layer_of.emplace(name, l);
    layer_of.emplace("lm_head.weight", cfg.n_layers);
    std::set<std::string> products;
    for (const auto& [name, l] : layer_of) products.insert(name);
    opt.hessians = nullptr;
    opt.deferred_products = &products;
    std::vector<gguf_export> xs;
    for (const auto& t : tables) xs.push_back(export_gguf(in, t, opt));

    // Per layer, the Hessians wanted and the tensors they round.
    struct job {
        std::size_t x, tensor;
        std::string product;
    };
    std::vector<std::vector<job>> jobs(static_cast<std::size_t>(cfg.n_layers + 1));
    std::vector<std::set<std::string, std::less<>>> wanted(jobs.size());
    std::int64_t last = -1;
    for (std::size_t k = 0; k < xs.size(); ++k)
        for (const auto& [i, product] : xs[k].deferred) {
            const auto l = layer_of.at(product);
            jobs[static_cast<std::size_t>(l)].push_back({k, i, product});
            wanted[static_cast<std::size_t>(l)].insert(product);
            last = std::max(last, l);
        }
    hessian_set current;
    const auto round = [&](const std::vector<job>& js) {  // a layer's tensors at once; a lone large one keeps the threads
        const int inner = std::max(1, opt.threads / std::max(1, static_cast<int>(js.size())));
        ::mixq::detail::parallel_for(js.size(), opt.threads, [&](std::size_t k) {
            auto& out = xs[js[k].x].tensors[js[k].tensor];
            std::vector<float> w(static_cast<std::size_t>(out.source->numel()));
            to_float(*out.source, w);
            check_finite(w, out.source->name);
            detail::encode(out, w, inner, nullptr, &current.at(js[k].product), &opt);
        });
    };
    if (last >= 0) layer_hessians(model, cal).walk(wanted, last, current, [&](std::int64_t l) { round(jobs[static_cast<std::size_t>(l)]); });
    for (auto& x : xs) {
        x.deferred.clear();
        finish_export(x);
    }
    return xs;
}

}  // namespace mixq::gguf
