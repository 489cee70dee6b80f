// The precision search: measured sensitivities per tensor and candidate, an exact knapsack under a size or
// quality budget, then the chosen table converted and its perplexity measured (and repaired if need be).
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../calib/gptq.hpp"
#include "../core/parallel_for.hpp"
#include "../convert/converted_weights.hpp"
#include "../convert/convert.hpp"
#include "../convert/report.hpp"
#include "../convert/layerwise_gptq.hpp"
#include "../eval/paired_change.hpp"
#include "../eval/perplexity.hpp"
#include "../model/config.hpp"
#include "../precision/glob.hpp"
#include "../precision/presets.hpp"
#include "kl.hpp"
#include "knapsack.hpp"
#include "progress.hpp"

namespace mixq::search {

enum class budget_kind { ratio, bits, ppl_increase };

// The sensitivity the allocation minimises: the change of the calibration loss (mean next-token NLL), or
// the mean KL divergence of the next-token distributions from the fp32 model's.
enum class sensitivity_measure { nll, kl };

struct budget {
    budget_kind kind = budget_kind::ratio;
    double value = 4.0;  // compression ratio, bits per parameter, or percent perplexity increase
};

struct search_options {
    std::vector<precision> candidates{precision::fp16,      precision::fp8_e4m3, precision::int8, precision::int4_g128,
                                      precision::int4_g64,  precision::int4_g32, precision::nf4};
    budget target;
    bool widen = false;                       // the SSM core (conv1d, A_log, D, dt_proj.bias, norms) searched too
    precision core = precision::fp16;         // what the core keeps otherwise
    sensitivity_measure measure = sensitivity_measure::kl;
    std::int64_t sensitivity_windows = 8;     // calibration windows the sensitivities are measured on
    std::int64_t window = 0;                  // 0: the model's maximum length, else 128
    int threads = 1;
    int frontier_points = 5;                  // further budgets solved and measured for the chart
    bool reference_points = true;             // presets and uniform tables measured for the chart
    // Under a size budget, the presets and uniform tables that fit compete with the knapsack's table on the
    // held-out calibration windows (those after the sensitivities'), and the least divergent is written.
    bool reference_choice = true;
    int max_repair_rounds = 64;
    gptq_options gptq;
    // Called (from any of the threads, one call at a time) as each work item ends; a 130M-parameter model
    // takes tens of minutes on two cores, most of them in the sensitivities.
    std::function<void(const search_progress&)> progress;
};

// A unit of the search: tensors that must share a precision (a tied head and its embedding).
struct unit {
    std::vector<std::size_t> tensors;  // indices into the checkpoint's tensors
    std::string name;                  // the first tensor's name
    std::int64_t params = 0;           // unique parameters
    std::vector<std::uint64_t> bytes;  // per candidate: everything written (codes, scales, padding)
    std::vector<double> kl;            // per candidate: measured mean KL with only this unit lowered, minus the base's
    std::vector<double> nll;           // per candidate: measured change of the calibration loss, minus the base's
    [[nodiscard]] const std::vector<double>& cost(sensitivity_measure m) const { return m == sensitivity_measure::kl ? kl : nll; }
    std::size_t chosen = 0;            // index into the candidates
};

// A table or file within a size budget, judged on held-out calibration windows for the choice of what is
// written: its divergence from the fp32 model there (never the eval tokens).
struct selection_entry {
    std::string label;  // "searched" (the knapsack's), a preset, a uniform table or a llama-quantize mix
    std::uint64_t bytes = 0;
    double kl = 0.0, delta_nll = 0.0;
};

// A table measured on the evaluation tokens.
struct measured_point {
    std::string label;
    std::string kind;  // "searched", "preset", "uniform"
    double ratio = 0.0;
    std::uint64_t bytes = 0;
    double perplexity = 0.0;
    double delta_percent = 0.0;
    double stderr_percent = 0.0;  // paired standard error of delta_percent over the eval windows
    std::optional<double> predicted_perplexity;
    perplexity_result eval;       // per window: what comparisons between points pair
};

struct search_result {
    search_options options;
    std::vector<unit> units;
    std::vector<std::string> fixed;        // tensors kept at the core precision
    std::uint64_t fp32_bytes = 0, fixed_bytes = 0, granularity = 1;
    std::int64_t unique_params = 0;
    double fp32_perplexity = 0.0, base_perplexity = 0.0;  // original; searched tensors fp32 with the core fixed
    perplexity_result fp32_eval;           // the original's, per window
    double base_kl = 0.0, base_nll = 0.0;  // the base's divergence from the fp32 model on the sensitivity windows
    double budget_bytes = 0.0;             // the byte budget solved for (size budgets)
    double budget_perplexity = 0.0;        // the perplexity allowed (quality budget)
    double predicted_perplexity = 0.0, measured_perplexity = 0.0;
    int repair_rounds = 0;
    std::vector<std::string> repairs;      // "name: int4_g32 -> int4_g64"
    rule_table table;                      // exact names, the written precision of every tensor
    std::vector<measured_point> points;    // the chosen table first
    std::vector<selection_entry> selection;  // size budgets: the knapsack's table first, then the references that fit
    std::size_t selected = 0;                // the one written
    std::int64_t held_out_windows = 0;       // calibration windows the choice was judged on (0: no choice made)
    conversion chosen;                     // the converted checkpoint of the table
    double seconds = 0.0;
    double sensitivity_seconds = 0.0;
};

namespace detail {
// "backbone.layers.3.mixer.in_proj.weight" -> 3; nullopt for a name outside the layers.
inline std::optional<std::int64_t> layer_index(const std::string& n) {
    const auto at = n.find("layers.");
    const auto end = at == std::string::npos ? at : n.find('.', at + 7);
    if (end == std::string::npos || end == at + 7 || end - at - 7 > 9) return std::nullopt;
    const auto digits = n.substr(at + 7, end - at - 7);
    if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoll(digits);
}
// The SSM core: tensors the scan and the norms need in float.
inline bool is_core(const std::string& n) {
    for (const char* p : {"*conv1d*", "*A_log", "*.D", "*dt_proj.bias", "*dt_bias", "*norm*"})
        if (glob_match(p, n)) return true;
    return false;
}
inline bool searchable(const tensor_view& t, bool widen) {
    if (!is_readable_float(t.type) || t.numel() == 0) return false;
    if (widen) return true;
    return t.shape.size() >= 2 && t.rows() > 1 && t.cols() > 1 && !is_core(t.name);
}
// A candidate list the knapsack takes: 1..32 precisions, none twice.
// The option a quality budget is, as the errors name it (a CLI's --max-ppl-increase).
inline const std::string ppl_budget = "search_options::target (ppl_increase)";

// `option` names the candidates' field in the errors ("search_options::candidates").
inline void check_candidates(const std::vector<precision>& c, const std::string& option = "search_options::candidates") {
    if (c.empty()) fail_option(option, option + ": the list is empty");
    if (c.size() > 32) fail_option(option, option + ": at most 32 candidates");
    for (std::size_t i = 0; i < c.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (c[i] == c[j]) fail_option(option, option + ": " + std::string(to_string(c[i])) + " twice");
}
// "Every linear weight" as the oracle's uniform tables mean it: embeddings, head, in/out projections, MoE ffns.
inline bool is_uniform_linear(const std::string& n) {
    for (const char* p : {"embedding.weight", "*.embeddings.weight", "lm_head.weight", "*.in_proj.weight", "*.out_proj.weight",
                          "*.w1.weight", "*.w2.weight", "*.mixer.?_proj.weight", "*.mixer.up_proj.weight", "*.mixer.down_proj.weight"})
        if (glob_match(p, n)) return true;
    return false;
}

}  // namespace detail

// Everything the search converts and evaluates, kept together: the input, its layout, the token sets,
// GPTQ's calibration and the conversion options every candidate shares.
class searcher {
public:
    searcher(const io::safetensors_file& in, model_config cfg, std::span<const std::int64_t> calib, std::span<const std::int64_t> eval,
             search_options o)
        : in_(in), cfg_(std::move(cfg)), calib_(calib.begin(), calib.end()), eval_(eval.begin(), eval.end()), o_(std::move(o)) {
        detail::check_candidates(o_.candidates);
        for (const auto& t : in_.tensors()) {
            if (detail::searchable(t, o_.widen)) searchable_.push_back(t.name);
            else if (is_readable_float(t.type)) fixed_.push_back(t.name);
        }
        if (searchable_.empty()) fail(in_.path() + ": no tensor to search (every tensor is part of the SSM core or not floating point)");
    }

    [[nodiscard]] search_result run() {
        const auto t0 = std::chrono::steady_clock::now();
        start_ = t0;
        search_result r;
        r.options = o_;
        r.options.progress = nullptr;
        r.fixed = fixed_;
        const checkpoint_weights orig(in_);
        const ssm_lm fp32_model(orig, cfg_);
        begin("fp32 evaluation", 1);
        r.fp32_eval = evaluate(orig);
        r.fp32_perplexity = r.fp32_eval.perplexity;
        step();

        convert_candidates(r, fp32_model);
        form_units(r);

        std::uint64_t lo = 0, hi = 0;  // the smallest and largest searched bytes
        for (const auto& u : r.units) lo += *std::min_element(u.bytes.begin(), u.bytes.end()), hi += *std::max_element(u.bytes.begin(), u.bytes.end());
        const auto ratio_of = [&](std::uint64_t b) { return static_cast<double>(r.fp32_bytes) / static_cast<double>(r.fixed_bytes + b); };
        const auto& t = o_.target;
        if (t.kind != budget_kind::ppl_increase) {  // a size budget: checked before any measurement
            const double total = t.kind == budget_kind::ratio ? static_cast<double>(r.fp32_bytes) / t.value
                                                              : t.value * static_cast<double>(r.unique_params) / 8.0;
            r.budget_bytes = total;
            if (!(t.value > 0.0) || total - static_cast<double>(r.fixed_bytes) < static_cast<double>(lo)) {
                const std::string option = t.kind == budget_kind::ratio ? "search_options::target (ratio)" : "search_options::target (bits)";
                const auto what = fmt::format("{} {:g}", option, t.value);
                fail_option(option, fmt::format("{}: impossible; with these candidates the ratio ranges from {:.3f}x to {:.3f}x ({:.3f} to {:.3f} bits per "
                                 "parameter; the SSM core keeps {})",
                                 what, ratio_of(hi), ratio_of(lo), 8.0 * static_cast<double>(r.fixed_bytes + hi) / static_cast<double>(r.unique_params),
                                 8.0 * static_cast<double>(r.fixed_bytes + lo) / static_cast<double>(r.unique_params),
                                 std::string(to_string(o_.core))));
            }
        }

        measure_sensitivities(r, fp32_model);

        // The additive model: cost = the measured sensitivity (below zero, noise, counts as zero), exact
        // knapsack over bytes.
        const auto opts = knapsack_options(r);
        r.granularity = knapsack_granularity(opts);
        const frontier f(opts, r.granularity);
        auto predicted = [&](const std::vector<std::size_t>& pick) {
            double c = 0.0;
            for (std::size_t u = 0; u < r.units.size(); ++u) c += opts[u][pick[u]].cost;
            return r.base_perplexity * std::exp(c);
        };
        auto bytes_of = [&](const std::vector<std::size_t>& pick) {
            std::uint64_t b = 0;
            for (std::size_t u = 0; u < r.units.size(); ++u) b += r.units[u].bytes[pick[u]];
            return b;
        };

        // The measurements: the chosen table (and, under a quality budget, the best table first and one per
        // repair round; under a size budget, the choice among the tables that fit), the frontier points, the
        // presets and the uniform tables.
        auto refs = reference_tables();
        const bool choice = o_.reference_choice && t.kind != budget_kind::ppl_increase;
        begin("measurements", 1 + static_cast<std::size_t>(o_.frontier_points) + (o_.reference_points ? refs.size() : 0) + (choice ? 1 : 0) +
                                  (t.kind == budget_kind::ppl_increase ? 1 : 0));
        std::vector<std::size_t> pick;
        if (t.kind == budget_kind::ppl_increase) {
            r.budget_perplexity = r.fp32_perplexity * (1.0 + t.value / 100.0);
            // The best the candidates can do: every unit at its least-KL candidate, measured.
            std::vector<std::size_t> best(r.units.size());
            for (std::size_t u = 0; u < r.units.size(); ++u) {
                const auto& c = r.units[u].cost(o_.measure);
                best[u] = static_cast<std::size_t>(std::min_element(c.begin(), c.end()) - c.begin());
            }
            const double best_ppl = measure(best).eval.perplexity;
            step();
            if (best_ppl > r.budget_perplexity)
                fail_option(detail::ppl_budget, fmt::format("{} {:g}: impossible; the best table of these candidates (each tensor at its "
                                 "least sensitive candidate, {:.2f}x) measures {:+.4f} %: achievable increases are >= {:.4f} %",
                                 detail::ppl_budget, t.value, ratio_of(bytes_of(best)), 100.0 * (best_ppl / r.fp32_perplexity - 1.0),
                                 100.0 * (best_ppl / r.fp32_perplexity - 1.0)));
            const double allowed = std::log(r.budget_perplexity / r.base_perplexity);
            const auto need = f.bytes_for_cost(std::max(0.0, allowed));
            pick = need ? f.choose_within(*need) : best;
        } else {
            const double searched = r.budget_bytes - static_cast<double>(r.fixed_bytes);
            pick = f.choose_within(static_cast<std::uint64_t>(std::min(searched, static_cast<double>(hi) + 1.0)));
        }

        // Convert and measure; under a quality budget, repair until the measurement holds.
        auto m = measure(pick);
        step();
        if (t.kind == budget_kind::ppl_increase) {
            while (m.eval.perplexity > r.budget_perplexity) {
                if (r.repair_rounds >= o_.max_repair_rounds)
                    fail_option(detail::ppl_budget, fmt::format("{} {:g}: still {:+.4f} % after {} repair rounds", detail::ppl_budget, t.value,
                                     100.0 * (m.eval.perplexity / r.fp32_perplexity - 1.0), r.repair_rounds));
                if (!repair_step(r, opts, pick))
                    fail_option(detail::ppl_budget, fmt::format("{} {:g}: measured {:+.4f} % with every tensor at a least-cost candidate; "
                                     "nothing left to raise",
                                     detail::ppl_budget, t.value, 100.0 * (m.eval.perplexity / r.fp32_perplexity - 1.0)));
                ++r.repair_rounds;
                more();  // one more measurement than planned
                m = measure(pick);
                step();
            }
        }
        for (std::size_t u = 0; u < r.units.size(); ++u) r.units[u].chosen = pick[u];
        r.table = table_for(pick);
        r.predicted_perplexity = predicted(pick);
        std::optional<std::size_t> won;  // a reference table written instead of the knapsack's
        if (choice) {
            won = compete(r, fp32_model, m, refs);
            step();
        }
        if (won) {  // the knapsack's table stays on the chart, measured
            auto& w = *refs[*won].converted;
            measurement mw{std::move(w.c), std::move(w.eval)};
            r.table = rule_table(refs[*won].table.name());  // exact names, as the knapsack's (a preset's globs resolved)
            for (const auto& x : mw.c.tensors)
                if (is_readable_float(x.source->type)) r.table.add(x.source->name, x.target);
            if (mw.eval.windows == 0) mw.eval = evaluate(weights_of(mw.c));
            r.measured_perplexity = mw.eval.perplexity;
            r.points.push_back(point("searched", refs[*won].label + " (chosen)", mw, r));  // the search's output, whatever its source
            r.points.push_back(point("searched", "searched (knapsack, not written)", m, r));
            r.points.back().predicted_perplexity = r.predicted_perplexity;
            m = std::move(mw);
        } else {
            r.measured_perplexity = m.eval.perplexity;
            r.points.push_back(point("searched", "searched (chosen)", m, r));
            r.points.back().predicted_perplexity = r.predicted_perplexity;
        }
        r.chosen = std::move(m.c);
        r.chosen.options.reuse = nullptr;  // it points into this searcher

        // Further searched budgets, spread over the achievable ratios, for the frontier chart.
        for (int k = 1; k <= o_.frontier_points; ++k) {
            const double frac = static_cast<double>(k) / static_cast<double>(o_.frontier_points + 1);  // even in ratio
            const double ratio = ratio_of(hi) + frac * (ratio_of(lo) - ratio_of(hi));
            const auto b = static_cast<std::uint64_t>(static_cast<double>(r.fp32_bytes) / ratio - static_cast<double>(r.fixed_bytes));
            const auto pk = f.choose_within(b);
            auto mk = measure(pk);
            step();
            r.points.push_back(point("searched", fmt::format("searched {:.2f}x", ratio_of(bytes_of(pk))), mk, r));
            r.points.back().predicted_perplexity = predicted(pk);
        }
        if (o_.reference_points)
            for (std::size_t k = 0; k < refs.size(); ++k) {
                if (k != won) {  // the written one is the first point already
                    auto& ref = refs[k];
                    measurement mk;
                    if (ref.converted) {
                        mk.eval = evaluate(weights_of(ref.converted->c));
                        mk.c = std::move(ref.converted->c);
                    } else {
                        mk = measure(ref.table);
                    }
                    r.points.push_back(point(ref.kind, ref.label, mk, r));
                }
                step();
            }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        gptq_.model = nullptr;  // it was run()'s
        return r;
    }

private:
    // The phases of run(), in order.
    //
    // The base (searched tensors fp32, the core at its precision), then one conversion per candidate,
    // together a layer at a time: GPTQ's Hessians from the fp32 model on all calibration tokens, collected
    // once per layer for every candidate and dropped before the next (convert/layerwise_gptq.hpp).
    void convert_candidates(search_result& r, const ssm_lm& fp32_model) {
        opts_.calibration = calibration_method::percentile;
        opts_.gptq_int8 = opts_.gptq_lowbit = true;
        opts_.lowbit = lowbit_calibration::mse;
        opts_.round = gptq_rounder(o_.gptq);
        opts_.gptq_description = describe(o_.gptq);
        gptq_ = {&fp32_model, calib_, o_.window};
        begin("candidate conversions", 1 + static_cast<std::size_t>(cfg_.n_layers) + 1);
        base_ = std::move(convert_layerwise(in_, {table_for({})}, opts_, gptq_, o_.threads).front());
        r.base_perplexity = evaluate(weights_of(base_)).perplexity;
        step();
        {
            std::vector<rule_table> tables;
            for (auto p : o_.candidates) tables.push_back(table_for({}, p));
            candidates_ = convert_layerwise(in_, std::move(tables), opts_, gptq_, o_.threads,
                                            [this](std::size_t done, std::size_t) { reach(1 + done); });
        }
        r.fp32_bytes = base_.totals.fp32_bytes;
        r.unique_params = base_.totals.unique_params;
        // Every later conversion (the measured tables) copies what the candidates already computed.
        for (std::size_t i = 0; i < base_.tensors.size(); ++i) index_of_[base_.tensors[i].source] = i;
        measure_opts_ = opts_;
        measure_opts_.reuse = [this](const converted_tensor& planned) -> const converted_tensor* {
            const auto it = index_of_.find(planned.source);
            if (it == index_of_.end()) return nullptr;
            for (const auto& c : candidates_) {
                const auto& x = c.tensors[it->second];
                if (x.target == planned.target && !x.alias_of && x.converted()) return &x;
            }
            return nullptr;
        };
    }

    // Units: a searched tensor and the tensors stored as its aliases, with each candidate's bytes; the rest is fixed.
    void form_units(search_result& r) {
        std::map<std::string, std::size_t> unit_of;
        for (std::size_t i = 0; i < base_.tensors.size(); ++i) {
            const auto& x = base_.tensors[i];
            if (!is_searched(x.source->name)) {
                r.fixed_bytes += x.bytes_after();
                continue;
            }
            if (x.alias_of && unit_of.count(*x.alias_of)) {
                r.units[unit_of.at(*x.alias_of)].tensors.push_back(i);
                continue;
            }
            unit_of[x.source->name] = r.units.size();
            r.units.push_back({{i}, x.source->name, x.source->numel(), {}, {}, {}, 0});
        }
        units_ = r.units;  // table_for reads them
        for (auto& u : r.units)
            for (const auto& c : candidates_) {
                std::uint64_t b = 0;
                for (auto i : u.tensors) b += c.tensors[i].bytes_after();
                u.bytes.push_back(b);
            }
    }

    // Sensitivities: the fp32 model with only one unit lowered, against the fp32 model, on the first
    // calibration windows: the change of the calibration loss and the KL of the distributions.
    void measure_sensitivities(search_result& r, const ssm_lm& fp32_model) {
        const auto ts = std::chrono::steady_clock::now();
        begin("sensitivities", r.units.size() * o_.candidates.size() + 1);
        const auto L = window();
        ref_ = make_reference(fp32_model, calib_, L, o_.sensitivity_windows);
        {  // the base's residual stream before each layer: a unit in layer l needs only layers l.. recomputed
            const auto w = weights_with({});
            inputs_ = record_layer_inputs(ssm_lm(w, cfg_), ref_);
        }
        const auto base = divergence_of({});
        r.base_kl = base.kl;
        r.base_nll = base.delta_nll;
        const auto P = o_.candidates.size();
        std::vector<divergence> d(r.units.size() * P);
        step();
        ::mixq::detail::parallel_for(d.size(), o_.threads, [&](std::size_t k) {
            const auto& u = r.units[k / P];
            std::vector<std::pair<std::size_t, std::size_t>> pick;
            for (auto i : u.tensors) pick.emplace_back(i, k % P);
            d[k] = divergence_of(pick, first_layer(u));
            step();
        });
        for (std::size_t u = 0; u < r.units.size(); ++u)
            for (std::size_t p = 0; p < P; ++p) {
                r.units[u].kl.push_back(d[u * P + p].kl - base.kl);
                r.units[u].nll.push_back(d[u * P + p].delta_nll - base.delta_nll);
            }
        r.sensitivity_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    }

    // Each unit's options for the knapsack: each candidate's bytes and its sensitivity, below zero counted as zero.
    [[nodiscard]] std::vector<std::vector<option>> knapsack_options(const search_result& r) const {
        const auto P = o_.candidates.size();
        std::vector<std::vector<option>> opts;
        for (const auto& u : r.units) {
            std::vector<option> v;
            for (std::size_t p = 0; p < P; ++p) v.push_back({u.bytes[p], std::max(0.0, u.cost(o_.measure)[p])});
            opts.push_back(std::move(v));
        }
        return opts;
    }

    struct measurement {
        conversion c;
        perplexity_result eval;  // windows == 0: not evaluated yet
    };
    // A preset or a uniform table (every linear weight at one precision, the rest at the core's), converted
    // when the choice among the tables that fit a size budget needed it.
    struct reference_table {
        std::string kind, label;
        rule_table table;
        std::optional<measurement> converted;
    };
    [[nodiscard]] std::vector<reference_table> reference_tables() const {
        const auto fam = presets::detect_family(in_.tensors());
        std::vector<reference_table> refs;
        for (const auto& name : presets::names) refs.push_back({"preset", "preset " + std::string(name), presets::get(name, fam), std::nullopt});
        for (auto p : {precision::int8, precision::fp8_e4m3, precision::int4_g128, precision::int4_g64, precision::int4_g32, precision::nf4}) {
            rule_table u("uniform_" + std::string(to_string(p)) + "_linear");
            for (const auto& x : in_.tensors())
                if (is_readable_float(x.type)) u.add(x.name, detail::is_uniform_linear(x.name) ? p : o_.core);
            refs.push_back({"uniform", std::string(to_string(p)) + " on every linear weight", std::move(u), std::nullopt});
        }
        return refs;
    }

    // The knapsack's table (m) against every reference table that fits the byte budget, each judged by its
    // divergence from the fp32 model on the calibration windows after the sensitivities' (at most 32): the
    // sensitivities add up only approximately, and a uniform table can be the better use of the same bytes.
    // Fills r.selection; returns the reference written instead of the knapsack's table, if one diverges less.
    std::optional<std::size_t> compete(search_result& r, const ssm_lm& fp32_model, const measurement& m, std::vector<reference_table>& refs) const {
        const auto L = window();
        const auto held = static_cast<std::int64_t>(calib_.size()) / L - ref_.windows;
        r.selection = {{"searched", m.c.totals.mixed_bytes, 0.0, 0.0}};
        std::vector<std::size_t> ref_of(1, refs.size());  // selection entry -> refs index (the knapsack's: none)
        for (std::size_t k = 0; k < refs.size(); ++k) {
            auto c = std::move(convert_layerwise(in_, {refs[k].table}, measure_opts_, gptq_, o_.threads).front());
            const auto bytes = c.totals.mixed_bytes;
            if (static_cast<double>(bytes) > r.budget_bytes) continue;  // not kept: a 130M model's conversion is ~100 MB
            refs[k].converted = measurement{std::move(c), {}};
            r.selection.push_back({refs[k].label, bytes, 0.0, 0.0});
            ref_of.push_back(k);
        }
        if (held <= 0 || r.selection.size() == 1) return std::nullopt;
        const auto held_ref = make_reference(fp32_model, std::span<const std::int64_t>(calib_).subspan(static_cast<std::size_t>(ref_.windows * L)), L,
                                             std::min<std::int64_t>(held, 32));
        r.held_out_windows = held_ref.windows;
        const auto cost = [&](const selection_entry& e) { return o_.measure == sensitivity_measure::kl ? e.kl : e.delta_nll; };
        for (std::size_t e = 0; e < r.selection.size(); ++e) {
            const auto w = weights_of(e == 0 ? m.c : refs[ref_of[e]].converted->c);
            const auto dv = measure_divergence(ssm_lm(w, cfg_), held_ref);
            r.selection[e].kl = dv.kl, r.selection[e].delta_nll = dv.delta_nll;
            if (cost(r.selection[e]) < cost(r.selection[r.selected])) r.selected = e;
        }
        return r.selected == 0 ? std::nullopt : std::optional<std::size_t>(ref_of[r.selected]);
    }

    [[nodiscard]] bool is_searched(const std::string& n) const {
        return std::find(searchable_.begin(), searchable_.end(), n) != searchable_.end();
    }
    [[nodiscard]] std::int64_t window() const { return cfg_.window_or_default(o_.window); }

    // Exact names: each searched tensor at its unit's candidate (`uniform` for all when pick is empty), the
    // core at its precision, integer tensors untouched.
    [[nodiscard]] rule_table table_for(const std::vector<std::size_t>& pick, std::optional<precision> uniform = std::nullopt) const {
        rule_table t("searched");
        std::map<std::string, precision> chosen;
        if (!pick.empty())
            for (std::size_t u = 0; u < units_.size(); ++u)
                for (auto i : units_[u].tensors) chosen[base_.tensors[i].source->name] = o_.candidates[pick[u]];
        for (const auto& x : in_.tensors()) {
            if (!is_readable_float(x.type)) continue;
            if (!is_searched(x.name)) t.add(x.name, o_.core);
            else if (const auto it = chosen.find(x.name); it != chosen.end()) t.add(x.name, it->second);
            else t.add(x.name, uniform.value_or(precision::fp32));
        }
        return t;
    }

    [[nodiscard]] perplexity_result evaluate(const checkpoint_weights& w) const {
        const ssm_lm m(w, cfg_);
        return evaluate_perplexity(m, eval_, {.window = o_.window, .batch = 16, .threads = o_.threads});
    }

    // The base with some tensors taken from candidate conversions: (tensor index, candidate index).
    [[nodiscard]] checkpoint_weights weights_with(const std::vector<std::pair<std::size_t, std::size_t>>& pick) const {
        stored_tensors s;
        s.metadata = {{"format", "mixq"}};
        std::vector<std::size_t> from(base_.tensors.size(), P_none);
        for (auto [i, p] : pick) from[i] = p;
        for (std::size_t i = 0; i < base_.tensors.size(); ++i)
            append_stored(s, from[i] == P_none ? base_.tensors[i] : candidates_[from[i]].tensors[i]);
        return checkpoint_weights("search mix", std::move(s.tensors), s.metadata);
    }
    // Its divergence; `first`: no picked tensor sits before that layer (the passes start there).
    [[nodiscard]] divergence divergence_of(const std::vector<std::pair<std::size_t, std::size_t>>& pick, std::int64_t first = 0) const {
        const auto w = weights_with(pick);
        return measure_divergence(ssm_lm(w, cfg_), ref_, 8, &inputs_, first);
    }
    // The first layer a unit's tensors sit in ("layers.N." in the name); 0 for anything outside the layers
    // (the embeddings: every layer sees them), the number of layers for a head of its own.
    [[nodiscard]] std::int64_t first_layer(const unit& u) const {
        std::int64_t first = cfg_.n_layers;
        for (auto i : u.tensors) {
            const auto& n = base_.tensors[i].source->name;
            if (const auto l = detail::layer_index(n)) first = std::min(first, *l);
            else if (!(n == cfg_.head() && cfg_.head() != cfg_.embedding())) first = 0;
        }
        return first;
    }

    // One repair: among units not at their least sensitive candidate, the one whose measured benefit of
    // moving up one step (leave-one-out sensitivity in the current table) exceeds its predicted benefit the most
    // is raised to its next larger candidate. Returns false when nothing can be raised.
    bool repair_step(search_result& r, const std::vector<std::vector<option>>& opts, std::vector<std::size_t>& pick) {
        struct move {
            std::size_t unit, to;
            double gap;
        };
        std::vector<move> moves;
        for (std::size_t u = 0; u < r.units.size(); ++u) {  // the next larger candidate with a lower cost
            std::optional<std::size_t> best;
            for (std::size_t p = 0; p < opts[u].size(); ++p)
                if (opts[u][p].bytes > opts[u][pick[u]].bytes && opts[u][p].cost < opts[u][pick[u]].cost &&
                    (!best || opts[u][p].bytes < opts[u][*best].bytes))
                    best = p;
            if (best) moves.push_back({u, *best, 0.0});
        }
        if (moves.empty()) return false;
        auto current = [&](std::size_t skip, std::size_t to) {
            std::vector<std::pair<std::size_t, std::size_t>> mix;
            for (std::size_t u = 0; u < r.units.size(); ++u)
                for (auto i : r.units[u].tensors) mix.emplace_back(i, u == skip ? to : pick[u]);
            const auto dv = divergence_of(mix);
            return o_.measure == sensitivity_measure::kl ? dv.kl : dv.delta_nll;
        };
        const double now = current(r.units.size(), 0);
        ::mixq::detail::parallel_for(moves.size(), o_.threads, [&](std::size_t k) {
            auto& mv = moves[k];
            const double measured = now - current(mv.unit, mv.to);
            const double predicted = opts[mv.unit][pick[mv.unit]].cost - opts[mv.unit][mv.to].cost;
            mv.gap = measured - predicted;
        });
        const auto worst = std::max_element(moves.begin(), moves.end(), [](const move& a, const move& b) { return a.gap < b.gap; });
        r.repairs.push_back(r.units[worst->unit].name + ": " + std::string(to_string(o_.candidates[pick[worst->unit]])) + " -> " +
                            std::string(to_string(o_.candidates[worst->to])));
        pick[worst->unit] = worst->to;
        return true;
    }

    [[nodiscard]] measurement measure(const std::vector<std::size_t>& pick) const { return measure(table_for(pick)); }
    // A table's conversion (the candidates' tensors copied; GPTQ, a layer at a time, only for tensors at a
    // precision no candidate has) and its evaluation.
    [[nodiscard]] measurement measure(rule_table t) const {
        auto c = std::move(convert_layerwise(in_, {std::move(t)}, measure_opts_, gptq_, o_.threads).front());
        auto e = evaluate(weights_of(c));
        return {std::move(c), std::move(e)};
    }
    static measured_point point(const std::string& kind, const std::string& label, const measurement& m, const search_result& r) {
        const auto d = paired_change(r.fp32_eval, m.eval);
        return {label, kind, m.c.totals.ratio(), m.c.totals.mixed_bytes, m.eval.perplexity, d.percent, d.stderr_percent, {}, m.eval};
    }

    // Progress: a phase of `total` work items; step() as each ends (from any thread), more() when one is added.
    void begin(const char* phase, std::size_t total) {
        const std::lock_guard lock(progress_mutex_);
        phase_ = phase;
        phase_start_ = std::chrono::steady_clock::now();
        done_ = 0;
        total_ = total;
    }
    void more() {
        const std::lock_guard lock(progress_mutex_);
        ++total_;
    }
    void step() {
        const std::lock_guard lock(progress_mutex_);
        report(done_ + 1);
    }
    void reach(std::size_t done) {  // a phase whose work counts itself
        const std::lock_guard lock(progress_mutex_);
        report(done);
    }
    void report(std::size_t done) {  // under the lock
        done_ = done;
        if (!o_.progress) return;
        const auto now = std::chrono::steady_clock::now();
        o_.progress({phase_, done_, total_, std::chrono::duration<double>(now - phase_start_).count(),
                     std::chrono::duration<double>(now - start_).count()});
    }

    static constexpr std::size_t P_none = ~std::size_t{0};
    const io::safetensors_file& in_;
    model_config cfg_;
    std::vector<std::int64_t> calib_, eval_;
    search_options o_;
    std::vector<std::string> searchable_, fixed_;
    gptq_calibration gptq_;  // the fp32 model and the calibration tokens GPTQ's Hessians come from
    convert_options opts_, measure_opts_;  // measure_opts_: opts_, reusing the candidates' tensors
    std::map<const tensor_view*, std::size_t> index_of_;  // a source tensor's index in every conversion
    conversion base_;
    std::vector<conversion> candidates_;
    std::vector<unit> units_;  // filled by run() (table_for needs them)
    reference_distribution ref_;
    layer_inputs inputs_;
    std::mutex progress_mutex_;
    const char* phase_ = "";
    std::size_t done_ = 0, total_ = 0;
    std::chrono::steady_clock::time_point start_, phase_start_;
};

}  // namespace mixq::search
