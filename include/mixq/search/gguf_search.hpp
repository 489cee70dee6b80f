// The precision search for GGUF: ggml's types as candidates, each tensor's size the exact bytes it adds to the
// .gguf, sensitivities as llama.cpp computes the products, and the chosen types exported and measured.
#pragma once

#include <algorithm>
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
#include "../convert/hessians.hpp"
#include "../gguf/importance.hpp"
#include "../eval/paired_change.hpp"
#include "../eval/perplexity.hpp"
#include "../gguf/decode.hpp"
#include "../gguf/export.hpp"
#include "../gguf/export_layerwise.hpp"
#include "../gguf/llama_mixes.hpp"
#include "../gguf/weights.hpp"
#include "kl.hpp"
#include "knapsack.hpp"
#include "progress.hpp"
#include "search.hpp"

namespace mixq::search {

// How ggml's block types are rounded (gguf/export.hpp): ggml's reference rounding, llama.cpp's imatrix rounding,
// or mixq's GPTQ inside each type's codes with ggml's scales (gptq) or the importance-weighted ones (mse_gptq).
enum class gguf_rounding { reference, imatrix, gptq, mse_gptq };

[[nodiscard]] constexpr std::string_view to_string(gguf_rounding r) noexcept {
    switch (r) {
        case gguf_rounding::reference: return "max";
        case gguf_rounding::imatrix: return "imatrix";
        case gguf_rounding::gptq: return "gptq";
        case gguf_rounding::mse_gptq: return "mse+gptq";
    }
    return "?";
}

// size: the whole .gguf in bytes (metadata, alignment and all); bpw: llama.cpp's bits per weight, 8 x the
// tensor data bytes / the parameters written (what llama-quantize prints); ratio: 4 x parameters / file bytes.
enum class gguf_budget_kind { size, bpw, ratio };
struct gguf_budget {
    gguf_budget_kind kind = gguf_budget_kind::size;
    double value = 0.0;
};

[[nodiscard]] inline std::string describe(const gguf_budget& b) {
    switch (b.kind) {
        case gguf_budget_kind::size: return fmt::format("GGUF file of at most {:.0f} bytes", b.value);
        case gguf_budget_kind::bpw: return fmt::format("at most {:g} bits per weight (llama.cpp's BPW)", b.value);
        case gguf_budget_kind::ratio: return fmt::format("compression ratio >= {:g} (fp32 bytes / GGUF file bytes)", b.value);
    }
    return "?";
}

struct gguf_search_options {
    std::vector<precision> candidates{precision::q2_k, precision::q3_k, precision::q4_0, precision::iq4_nl, precision::q4_k,
                                      precision::q5_0, precision::q5_k, precision::q6_k, precision::q8_0};
    gguf_budget target;
    gguf_rounding rounding = gguf_rounding::mse_gptq;
    gptq_options gptq{0.1, 128, false};  // GGUF's GPTQ damping: 0.1, as mixq-convert --format gguf
    sensitivity_measure measure = sensitivity_measure::kl;
    std::int64_t sensitivity_windows = 8;
    std::int64_t window = 0;   // 0: the model's maximum length, else 128
    int threads = 1;
    int frontier_points = 3;   // further budgets solved and measured for the chart
    bool reference_points = true;  // llama-quantize's mixes measured beside: ggml's rounding, and this rounding
    bool reference_choice = true;  // the mixes that fit compete with the knapsack's file on held-out calibration windows
    std::function<void(const search_progress&)> progress;
};

// A tensor whose type the search chooses (a tied head, which the file leaves out, goes with its embeddings).
struct gguf_unit {
    std::size_t tensor = 0;                // index into the exports' tensors
    std::string name;                      // the Hugging Face name
    std::int64_t params = 0;
    std::vector<gguf::ggml_type> types;          // per candidate: what is written (the candidate, or llama-quantize's fallback)
    std::vector<std::uint64_t> file_bytes; // per candidate: bytes in the file, alignment padding included
    std::vector<std::uint64_t> data_bytes; // per candidate: the tensor's data
    std::vector<double> kl, nll;           // per candidate: measured with only this tensor lowered, against fp32
    [[nodiscard]] const std::vector<double>& cost(sensitivity_measure m) const { return m == sensitivity_measure::kl ? kl : nll; }
    std::size_t chosen = 0;
};

// A file the search could write, judged on held-out calibration windows (divergence from the fp32 model).
struct gguf_search_result {
    gguf_search_options options;
    std::vector<gguf_unit> units;
    std::vector<std::string> fixed;  // tensors llama-quantize keeps as they are (norms, conv1d, A, D, dt bias)
    std::uint64_t fp32_bytes = 0;    // 4 x the parameters written
    std::int64_t params = 0;         // the parameters written
    std::uint64_t budget = 0;        // what the knapsack's budget was finally solved for (file or data bytes)
    std::uint64_t granularity = 1;
    double fp32_perplexity = 0.0, predicted_perplexity = 0.0, measured_perplexity = 0.0;
    perplexity_result fp32_eval;
    std::vector<measured_point> points;  // the chosen file first
    std::vector<selection_entry> selection;  // the knapsack's file first, then the mixes that fit (bytes: the file's)
    std::size_t selected = 0;               // the one written
    std::int64_t held_out_windows = 0;      // calibration windows after the sensitivities' (0: no choice made)
    rule_table table;                     // the written file's table
    gguf::gguf_export chosen;             // the chosen file, to write
    std::vector<std::byte> file;          // serialize(chosen)
    double seconds = 0.0, sensitivity_seconds = 0.0;

    [[nodiscard]] std::uint64_t data_bytes() const noexcept {
        std::uint64_t b = 0;
        for (const auto& t : chosen.tensors) b += t.bytes().size();
        return b;
    }
    [[nodiscard]] gguf::ggml_type written(const gguf_unit& u) const { return chosen.tensors[u.tensor].type; }
    [[nodiscard]] double bpw() const noexcept { return params ? 8.0 * static_cast<double>(data_bytes()) / static_cast<double>(params) : 0.0; }
};

// Keeps the input, its layout, the token sets, the rounding's calibration and the candidate exports together.
class gguf_searcher {
public:
    gguf_searcher(const io::safetensors_file& in, model_config cfg, std::span<const std::int64_t> calib, std::span<const std::int64_t> eval,
                  gguf_search_options o)
        : in_(in), cfg_(std::move(cfg)), calib_(calib.begin(), calib.end()), eval_(eval.begin(), eval.end()), o_(std::move(o)) {
        const std::string option = "gguf_search_options::candidates";
        detail::check_candidates(o_.candidates, option);
        for (auto p : o_.candidates)
            if (!gguf::ggml_type_for(p) || p == precision::int8 || p == precision::int4_g32 || p == precision::fp32)
                fail_option(option, option + ": " + std::string(to_string(p)) +
                                        " is not a GGUF candidate; a GGUF search takes ggml's types q2_k, q3_k, q4_0, q4_1, q5_0, q5_1, "
                                        "q8_0, iq4_nl, q4_k, q5_k, q6_k, and fp16 / bf16");
        (void)gguf::arch_of(cfg_.layout, in_.path());
        // What llama-quantize quantizes (2-D weights but norms and conv1d): the search's tensors; the rest stays.
        const auto all = gguf::llama_mix_table(*gguf::find_llama_mix("Q8_0"), in_);
        for (const auto& r : all.rules()) searched_.push_back(r.pattern);
        for (const auto& t : in_.tensors())
            if (!is_searched(t.name)) fixed_.push_back(t.name);
        if (searched_.empty()) fail(in_.path() + ": no tensor to search (llama.cpp quantizes none of them)");
    }

    [[nodiscard]] gguf_search_result run() {
        const auto t0 = std::chrono::steady_clock::now();
        start_ = t0;
        gguf_search_result r;
        r.options = o_;
        r.options.progress = nullptr;
        r.fixed = fixed_;
        const checkpoint_weights orig(in_);
        const ssm_lm fp32_model(orig, cfg_);
        begin("fp32 evaluation", 1);
        r.fp32_eval = evaluate(orig, cfg_);
        r.fp32_perplexity = r.fp32_eval.perplexity;
        step();

        // One export per candidate, and per further type llama-quantize's mixes use (for the selection and the
        // reference points), rounded as asked: GPTQ's Hessians from the fp32 model on all calibration tokens, one
        // layer's at a time, in one pass for every export (gguf/export_layerwise.hpp).
        begin("candidate exports", 1);
        xo_.threads = o_.threads;
        std::vector<rule_table> export_tables;
        std::vector<precision> types = o_.candidates;
        for (const auto& mix : gguf::llama_mixes) {
            const auto table = gguf::llama_mix_table(mix, in_);
            for (const auto& rule : table.rules())
                if (std::find(types.begin(), types.end(), rule.precision) == types.end()) types.push_back(rule.precision);
        }
        for (auto p : types) export_tables.push_back(table_for({}, p));
        std::vector<gguf::gguf_export> exports;
        if (o_.rounding == gguf_rounding::gptq || o_.rounding == gguf_rounding::mse_gptq) {
            xo_.round = gptq_rounder(o_.gptq), xo_.gptq_description = ::mixq::describe(o_.gptq);
            xo_.scales = o_.rounding == gguf_rounding::mse_gptq ? gguf::block_scales::weighted : gguf::block_scales::reference;
            exports = gguf::export_gguf_layerwise(in_, export_tables, xo_, {&fp32_model, calib_, o_.window});
        } else {
            if (o_.rounding == gguf_rounding::imatrix) {
                importance_ = collect_importance(fp32_model, calib_, o_.window, "calibration tokens");
                xo_.importance = &*importance_;
            }
            for (const auto& t : export_tables) exports.push_back(gguf::export_gguf(in_, t, xo_));
        }
        step();
        for (std::size_t k = 0; k < exports.size(); ++k) (k < o_.candidates.size() ? candidates_ : extras_).push_back(std::move(exports[k]));
        const auto& x0 = candidates_.front();
        r.fp32_bytes = x0.fp32_bytes;
        for (const auto& t : x0.tensors) r.params += t.source->numel();
        head_follows_ = x0.head_omitted && in_.find("lm_head.weight") && is_searched("lm_head.weight");
        // Every measured table copies what the candidates already rounded.
        measure_xo_ = xo_;
        measure_xo_.reuse = [this](const tensor_view& source, gguf::ggml_type type) -> const gguf::exported_tensor* {
            for (const auto* xs : {&candidates_, &extras_})
                for (const auto& c : *xs)
                    for (const auto& t : c.tensors)
                        if (t.source == &source && t.type == type) return &t;
            return nullptr;
        };

        // Units and their exact sizes; everything else (the header, the fixed tensors) is `fixed`, bounded by
        // the largest header any candidate wrote (the per-tensor record in the metadata differs by type name).
        const bool by_data = o_.target.kind == gguf_budget_kind::bpw;
        std::uint64_t fixed = 0;
        for (const auto& c : candidates_) fixed = std::max<std::uint64_t>(fixed, by_data ? 0 : c.file_bytes - c.data_bytes);
        for (std::size_t i = 0; i < x0.tensors.size(); ++i) {
            const auto& t = x0.tensors[i];
            if (!is_searched(t.source->name)) {
                fixed += by_data ? t.bytes().size() : gguf::align_up(t.bytes().size());
                continue;
            }
            gguf_unit u{i, t.source->name, t.source->numel(), {}, {}, {}, {}, {}, 0};
            for (const auto& c : candidates_) {
                const auto& ct = c.tensors[i];
                u.types.push_back(ct.type);
                u.data_bytes.push_back(ct.bytes().size());
                u.file_bytes.push_back(gguf::align_up(ct.bytes().size()));
            }
            unit_names_.push_back(u.name);
            r.units.push_back(std::move(u));
        }
        const auto& bytes_of_unit = [&](const gguf_unit& u) -> const std::vector<std::uint64_t>& { return by_data ? u.data_bytes : u.file_bytes; };
        std::uint64_t lo = 0, hi = 0;
        for (const auto& u : r.units) {
            const auto& b = bytes_of_unit(u);
            lo += *std::min_element(b.begin(), b.end()), hi += *std::max_element(b.begin(), b.end());
        }
        const auto& t = o_.target;
        const double total = t.kind == gguf_budget_kind::size  ? t.value
                             : t.kind == gguf_budget_kind::bpw ? t.value * static_cast<double>(r.params) / 8.0
                                                               : static_cast<double>(r.fp32_bytes) / t.value;
        if (!(t.value > 0.0) || total < static_cast<double>(fixed + lo)) {
            const auto in_units = [&](std::uint64_t b) {
                return t.kind == gguf_budget_kind::size  ? fmt::format("{} bytes", static_cast<unsigned long long>(b))
                       : t.kind == gguf_budget_kind::bpw ? fmt::format("{:.4f} bits per weight", 8.0 * static_cast<double>(b) / static_cast<double>(r.params))
                                                         : fmt::format("{:.3f}x", static_cast<double>(r.fp32_bytes) / static_cast<double>(b));
            };
            fail(describe(t) + ": impossible; with these candidates the file ranges from " + in_units(fixed + hi) + " to " +
                 in_units(fixed + lo) + " (llama.cpp keeps " + std::to_string(fixed_.size()) + " tensors as they are)");
        }

        // Sensitivities: the fp32 model with one tensor at one candidate (decoded, its products rounding their
        // input as llama.cpp's do), against the fp32 model on the first calibration windows.
        const auto ts = std::chrono::steady_clock::now();
        const auto P = o_.candidates.size();
        begin("sensitivities", r.units.size() * P + 1);
        ref_ = make_reference(fp32_model, calib_, window(), o_.sensitivity_windows);
        inputs_ = record_layer_inputs(fp32_model, ref_);
        step();
        std::vector<divergence> d(r.units.size() * P);
        std::vector<std::size_t> same_as(d.size());  // a candidate written as an earlier one's bytes (a fallback) is not measured twice
        for (std::size_t k = 0; k < d.size(); ++k) {
            same_as[k] = k;
            const auto& u = r.units[k / P];
            for (std::size_t q = 0; q < k % P; ++q)
                if (u.types[q] == u.types[k % P] &&
                    same_bytes(candidates_[q].tensors[u.tensor].bytes(), candidates_[k % P].tensors[u.tensor].bytes())) {
                    same_as[k] = k - k % P + q;
                    break;
                }
        }
        ::mixq::detail::parallel_for(d.size(), o_.threads, [&](std::size_t k) {
            if (same_as[k] == k) d[k] = divergence_of(r.units[k / P], k % P);
            step();
        });
        for (std::size_t u = 0; u < r.units.size(); ++u)
            for (std::size_t p = 0; p < P; ++p) {
                const auto& x = d[same_as[u * P + p]];
                r.units[u].kl.push_back(x.kl);
                r.units[u].nll.push_back(x.delta_nll);
            }
        r.sensitivity_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();

        // The additive model over an exact knapsack; the chosen file's real size checked and the budget
        // tightened by any excess (a longer metadata record) until it fits.
        std::vector<std::vector<option>> opts;
        for (const auto& u : r.units) {
            std::vector<option> v;
            for (std::size_t p = 0; p < P; ++p) v.push_back({bytes_of_unit(u)[p], std::max(0.0, u.cost(o_.measure)[p])});
            opts.push_back(std::move(v));
        }
        r.granularity = knapsack_granularity(opts);
        const frontier f(opts, r.granularity);
        const auto predicted = [&](const std::vector<std::size_t>& pick) {
            double c = 0.0;
            for (std::size_t u = 0; u < r.units.size(); ++u) c += opts[u][pick[u]].cost;
            return r.fp32_perplexity * std::exp(c);
        };
        const auto file_ratio = [&](const gguf::gguf_export& x) { return static_cast<double>(r.fp32_bytes) / static_cast<double>(x.file_bytes); };
        begin("measurements", 1 + static_cast<std::size_t>(o_.frontier_points) +
                                  (o_.reference_points ? std::size(gguf::llama_mixes) * (o_.rounding == gguf_rounding::reference ? 1 : 2) : 0));
        const auto fitted = [&](std::uint64_t budget, std::vector<std::size_t>& pick) {
            for (int round = 0;; ++round) {
                pick = f.choose_within(budget - std::min(budget, fixed));
                auto x = gguf::export_gguf(in_, table_for(pick), measure_xo_);
                const auto used = by_data ? data_bytes_of(x) : x.file_bytes;
                if (used <= budget || round == 16) return std::pair{std::move(x), budget};
                budget -= std::min(budget, used - budget);
            }
        };
        // The knapsack's file and every llama-quantize mix in this rounding that fits the budget are candidate
        // files; the one closest to fp32 on calibration windows the sensitivities did not see is written. The
        // additive model can misjudge where tensors interact, and a mix may then be the better file.
        std::vector<std::size_t> pick;
        std::vector<gguf::gguf_export> files;
        {
            auto [x, solved] = fitted(static_cast<std::uint64_t>(std::floor(total)), pick);
            r.budget = solved;
            files.push_back(std::move(x));
            r.selection.push_back({"searched", files.back().file_bytes, 0.0, 0.0});
        }
        std::vector<rule_table> tables{table_for(pick)};
        for (const auto& mix : gguf::llama_mixes) {
            if (!o_.reference_choice) break;
            auto table = gguf::llama_mix_table(mix, in_);
            auto x = gguf::export_gguf(in_, table, measure_xo_);
            if (static_cast<double>(by_data ? data_bytes_of(x) : x.file_bytes) > std::floor(total)) continue;
            r.selection.push_back({std::string(mix.name) + " types, " + std::string(to_string(o_.rounding)), x.file_bytes, 0.0, 0.0});
            files.push_back(std::move(x));
            tables.push_back(std::move(table));
        }
        const auto held = static_cast<std::int64_t>(calib_.size()) / window() - ref_.windows;
        std::size_t best = 0;
        if (held > 0 && files.size() > 1) {
            const auto L = window();
            const auto held_ref = make_reference(fp32_model, std::span<const std::int64_t>(calib_).subspan(static_cast<std::size_t>(ref_.windows * L)), L,
                                                 std::min<std::int64_t>(held, 32));
            r.held_out_windows = held_ref.windows;
            for (std::size_t k = 0; k < files.size(); ++k) {
                const auto bytes = gguf::serialize(files[k]);
                const auto m = gguf::load_mamba(gguf::gguf_file::parse(bytes, "candidate.gguf"));
                const auto dv = measure_divergence(ssm_lm(*m->weights, m->config), held_ref);
                r.selection[k].kl = dv.kl, r.selection[k].delta_nll = dv.delta_nll;
                const auto cost = [&](std::size_t i) { return o_.measure == sensitivity_measure::kl ? r.selection[i].kl : r.selection[i].delta_nll; };
                if (cost(k) < cost(best)) best = k;
            }
        }
        r.selected = best;
        r.table = tables[best];
        r.predicted_perplexity = predicted(pick);
        for (std::size_t u = 0; u < r.units.size(); ++u) r.units[u].chosen = pick[u];
        r.file = gguf::serialize(files[best]);
        const auto chosen_eval = evaluate_file(r.file);
        r.measured_perplexity = chosen_eval.perplexity;
        r.points.push_back(point("searched", best == 0 ? "searched (chosen)" : r.selection[best].label + " (chosen)", files[best], chosen_eval, r));
        if (best == 0) r.points.back().predicted_perplexity = r.predicted_perplexity;
        r.chosen = std::move(files[best]);
        step();

        // Further budgets, even in ratio between the smallest and the largest file, for the chart.
        for (int k = 1; k <= o_.frontier_points; ++k) {
            const double frac = static_cast<double>(k) / static_cast<double>(o_.frontier_points + 1);
            const double b = 1.0 / (1.0 / static_cast<double>(fixed + hi) + frac * (1.0 / static_cast<double>(fixed + lo) - 1.0 / static_cast<double>(fixed + hi)));
            std::vector<std::size_t> pk;
            auto [xk, unused] = fitted(static_cast<std::uint64_t>(b), pk);
            const auto e = evaluate_file(gguf::serialize(xk));
            r.points.push_back(point("searched", fmt::format("searched {:.2f}x", file_ratio(xk)), xk, e, r));
            r.points.back().predicted_perplexity = predicted(pk);
            step();
        }
        // llama-quantize's own mixes: as llama-quantize writes them (ggml's rounding, byte-identical), and with
        // this search's rounding; what the searched file must beat at its size.
        if (o_.reference_points)
            for (const auto& mix : gguf::llama_mixes) {
                const auto table = gguf::llama_mix_table(mix, in_);
                gguf::export_options plain;
                plain.threads = o_.threads;
                auto xr = gguf::export_gguf(in_, table, plain);
                r.points.push_back(point("llama.cpp", "llama-quantize " + std::string(mix.name), xr, evaluate_file(gguf::serialize(xr)), r));
                step();
                if (o_.rounding == gguf_rounding::reference) continue;
                auto xm = gguf::export_gguf(in_, table, measure_xo_);
                r.points.push_back(point("mix", std::string(mix.name) + " types, " + std::string(to_string(o_.rounding)),
                                         xm, evaluate_file(gguf::serialize(xm)), r));
                step();
            }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return r;
    }

private:
    [[nodiscard]] bool is_searched(const std::string& n) const { return std::find(searched_.begin(), searched_.end(), n) != searched_.end(); }
    [[nodiscard]] std::int64_t window() const { return cfg_.window_or_default(o_.window); }

    // Exact names: each unit's tensor at its candidate (every searched tensor at `uniform` when pick is
    // empty); a tied head copy takes its embeddings' type, so the file still leaves it out.
    [[nodiscard]] rule_table table_for(const std::vector<std::size_t>& pick, std::optional<precision> uniform = std::nullopt) const {
        rule_table t("searched");
        std::map<std::string, precision> chosen;
        for (std::size_t u = 0; u < pick.size(); ++u) chosen[unit_names_.at(u)] = o_.candidates[pick[u]];
        for (const auto& n : searched_) {
            const auto it = chosen.find(n == "lm_head.weight" && head_follows_ ? cfg_.embedding() : n);
            t.add(n, it != chosen.end() ? it->second : uniform.value_or(precision::fp32));
        }
        return t;
    }

    [[nodiscard]] static std::uint64_t data_bytes_of(const gguf::gguf_export& x) {
        std::uint64_t b = 0;
        for (const auto& e : x.tensors) b += e.bytes().size();
        return b;
    }
    [[nodiscard]] perplexity_result evaluate(const checkpoint_weights& w, const model_config& c) const {
        return evaluate_perplexity(ssm_lm(w, c), eval_, {.window = o_.window, .batch = 16, .threads = o_.threads});
    }
    // The bytes about to be written, read back as llama.cpp reads them.
    [[nodiscard]] perplexity_result evaluate_file(std::span<const std::byte> file) const {
        const auto m = gguf::load_mamba(gguf::gguf_file::parse(file, "searched.gguf"));
        return evaluate(*m->weights, m->config);
    }
    static measured_point point(const std::string& kind, const std::string& label, const gguf::gguf_export& x, const perplexity_result& e,
                                const gguf_search_result& r) {
        const auto d = paired_change(r.fp32_eval, e);
        return {label, kind, static_cast<double>(r.fp32_bytes) / static_cast<double>(x.file_bytes), x.file_bytes, e.perplexity, d.percent,
                d.stderr_percent, {}, e};
    }

    // The fp32 input with one unit's tensor (and a tied head copy) replaced by candidate p's decoded values.
    [[nodiscard]] divergence divergence_of(const gguf_unit& u, std::size_t p) const {
        const auto& x = candidates_[p].tensors[u.tensor];
        std::vector<float> values(static_cast<std::size_t>(u.params));
        gguf::decode_values(x.type, x.bytes().data(), u.params, values.data());
        const auto mins = gguf::q8_1_block_mins(x.type, x.bytes().data(), u.params);
        std::vector<tensor_view> views = in_.tensors();
        std::vector<std::string> replaced{u.name};
        if (u.name == cfg_.embedding() && head_follows_) replaced.push_back("lm_head.weight");
        for (auto& v : views)
            if (std::find(replaced.begin(), replaced.end(), v.name) != replaced.end())
                v = {v.name, dtype::f32, v.shape, std::as_bytes(std::span<const float>(values))};
        checkpoint_weights w(in_.path(), std::move(views), in_.metadata());
        for (const auto& n : replaced) w.set_input_rounding(n, gguf::activation_rounding_for(x.type), mins);
        std::int64_t first = 0;  // no lowered tensor before this layer: the passes start there
        if (const auto l = detail::layer_index(u.name)) first = *l;
        else if (u.name == "lm_head.weight" && !head_follows_) first = cfg_.n_layers;
        return measure_divergence(ssm_lm(w, cfg_), ref_, 8, &inputs_, first);
    }

    void begin(const char* phase, std::size_t total) {
        const std::lock_guard lock(progress_mutex_);
        phase_ = phase, phase_start_ = std::chrono::steady_clock::now(), done_ = 0, total_ = total;
    }
    void step() {
        const std::lock_guard lock(progress_mutex_);
        ++done_;
        if (!o_.progress) return;
        const auto now = std::chrono::steady_clock::now();
        o_.progress({phase_, done_, total_, std::chrono::duration<double>(now - phase_start_).count(),
                     std::chrono::duration<double>(now - start_).count()});
    }

    const io::safetensors_file& in_;
    model_config cfg_;
    std::vector<std::int64_t> calib_, eval_;
    gguf_search_options o_;
    std::vector<std::string> searched_, fixed_;
    std::vector<std::string> unit_names_;  // per unit, filled by run() (table_for needs them)
    bool head_follows_ = false;
    std::optional<gguf::importance_matrix> importance_;
    gguf::export_options xo_, measure_xo_;
    std::vector<gguf::gguf_export> candidates_, extras_;  // extras_: the mixes' further types, not knapsack options
    reference_distribution ref_;
    layer_inputs inputs_;
    std::mutex progress_mutex_;
    const char* phase_ = "";
    std::size_t done_ = 0, total_ = 0;
    std::chrono::steady_clock::time_point start_, phase_start_;
};

}  // namespace mixq::search
