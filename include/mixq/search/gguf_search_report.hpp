// What a GGUF search says about itself: search.json, table.json, frontier.svg, the text report, and its outputs.
#pragma once

#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "../gguf/report.hpp"
#include "../gguf/write_outputs.hpp"
#include "gguf_search.hpp"
#include "search_report.hpp"

namespace mixq::search {

namespace detail {
[[nodiscard]] inline std::string describe_rounding(const gguf_search_options& o) {
    switch (o.rounding) {
        case gguf_rounding::reference: return "max: ggml's reference rounding, as llama-quantize without an importance matrix";
        case gguf_rounding::imatrix: return "imatrix: llama.cpp's importance-weighted rounding, the importance from the calibration tokens";
        case gguf_rounding::gptq: return "gptq: mixq's GPTQ inside each type's codes, ggml's scales (" + ::mixq::describe(o.gptq) + ")";
        case gguf_rounding::mse_gptq:
            return "mse+gptq: mixq's GPTQ inside each type's codes, importance-weighted scales (" + ::mixq::describe(o.gptq) + ")";
    }
    return "?";
}
}  // namespace detail

// search.json: the budget, the candidates, every tensor's exact bytes and measured sensitivity per candidate,
// its choice, the file's size and every measured point with the comparisons. No timings.
[[nodiscard]] inline nlohmann::ordered_json search_json(const gguf_search_result& r) {
    using nlohmann::ordered_json;
    const auto& o = r.options;
    ordered_json cands = ordered_json::array();
    for (auto p : o.candidates) cands.push_back(std::string(to_string(p)));
    ordered_json units = ordered_json::array();
    for (const auto& u : r.units) {
        ordered_json per = ordered_json::object();
        for (std::size_t p = 0; p < o.candidates.size(); ++p)
            per[std::string(to_string(o.candidates[p]))] = {{"type", std::string(gguf::to_string(u.types[p]))}, {"file_bytes", u.file_bytes[p]},
                                                           {"data_bytes", u.data_bytes[p]}, {"delta_nll", u.nll[p]}, {"kl", u.kl[p]}};
        units.push_back({{"tensor", u.name}, {"gguf", r.chosen.tensors[u.tensor].name}, {"params", u.params}, {"candidates", per},
                         {"knapsack", std::string(to_string(o.candidates[u.chosen]))}, {"written", std::string(gguf::to_string(r.written(u)))}});
    }
    ordered_json points = ordered_json::array();
    for (const auto& p : r.points) points.push_back(detail::point_json(p));
    ordered_json against = ordered_json::array();
    for (const auto& c : reference_comparisons(r.points))
        against.push_back({{"searched", r.points[c.searched].label}, {"reference", r.points[c.reference].label},
                           {"change_percent", c.change.percent}, {"stderr_percent", c.change.stderr_percent}});
    const char* kind = o.target.kind == gguf_budget_kind::size ? "size" : o.target.kind == gguf_budget_kind::bpw ? "bpw" : "ratio";
    return {{"format", "mixq-search-gguf"},
            {"budget", {{"kind", kind}, {"value", o.target.value}, {"text", describe(o.target)}, {"solved_for", r.budget}}},
            {"candidates", cands},
            {"rounding", {{"method", std::string(to_string(o.rounding))}, {"text", detail::describe_rounding(o)}}},
            {"kept", {{"text", "as llama-quantize keeps them (norms, conv1d, A, D, dt bias, 1-D tensors)"}, {"tensors", r.fixed}}},
            {"sensitivity", {{"measure", o.measure == sensitivity_measure::kl ? "kl" : "delta_nll"},
                             {"definition", "per tensor and candidate, only that tensor at the candidate's decoded values with llama.cpp's "
                                            "activation rounding for its products: kl = mean KL(fp32 || lowered) per position, delta_nll = "
                                            "change of the mean next-token NLL on the calibration windows; nats"},
                             {"windows", o.sensitivity_windows}}},
            {"selection", detail::selection_json(r.selection, r.selected, r.held_out_windows)},
            {"fp32_perplexity", r.fp32_perplexity},
            {"predicted_perplexity", r.predicted_perplexity},
            {"measured_perplexity", r.measured_perplexity},
            {"file_bytes", r.chosen.file_bytes},
            {"data_bytes", r.data_bytes()},
            {"bpw", r.bpw()},
            {"params", r.params},
            {"knapsack_granularity_bytes", r.granularity},
            {"units", units},
            {"points", points},
            {"eval_windows", r.fp32_eval.windows},
            {"against_references", against}};
}

[[nodiscard]] inline std::string table_json(const gguf_search_result& r) { return detail::table_json(r.table); }

// The text report: budget, rounding, what was chosen (one line per tensor role), the file and its measurement,
// and the chosen file against llama-quantize's mixes of equal or smaller size.
[[nodiscard]] inline std::string report_text(const gguf_search_result& r, const std::string& input) {
    const auto& o = r.options;
    std::string s = fmt::format("mixq-search --format gguf: {}  (budget: {})\n", input, describe(o.target));
    std::string cands;
    for (auto p : o.candidates) cands += (cands.empty() ? "" : ", ") + std::string(to_string(p));
    s += "candidates: " + cands + "\n";
    s += "rounding: " + detail::describe_rounding(o) + "\n";
    s += fmt::format("kept as llama-quantize keeps them: {} tensors (norms, conv1d, A, D, dt bias)\n", r.fixed.size());
    s += fmt::format("sensitivity: {} on {} calibration windows, {} tensors x {} candidates in {:.1f} s\n",
                     o.measure == sensitivity_measure::kl ? "mean KL of the next-token distributions" : "change of the calibration loss",
                     static_cast<long long>(o.sensitivity_windows), r.units.size(), o.candidates.size(), r.sensitivity_seconds);
    s += detail::selection_lines(r.selection, r.selected, r.held_out_windows, o.measure, "files");
    // Per written type, then one line per role with the layers that took each type.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> by;
    std::vector<detail::role_choice> choices;
    for (const auto& u : r.units) {
        const auto t = r.written(u);
        const std::string type(gguf::to_string(t));
        ++by[type].first;
        by[type].second += u.params;
        choices.push_back({u.name, type, static_cast<int>(t), 1});
    }
    s += "\nwritten (ggml types, llama-quantize's fallbacks included):\n";
    for (const auto& [type, n] : by)
        s += fmt::format("  {:<8} {:5} tensors {:>14} params\n", type, static_cast<long long>(n.first), ::mixq::detail::group_digits(n.second));
    s += detail::role_lines(choices);
    const auto& c = r.points.front();
    s += fmt::format("\nresult: {} bytes ({:.2f} MiB), {:.4f} bits per weight, {:.3f}x; perplexity {:.4f} -> {:.4f} measured ({:+.4f} % +- {:.4f}), {:.4f} predicted\n",
                     ::mixq::detail::group_digits(static_cast<std::int64_t>(r.chosen.file_bytes)),
                     static_cast<double>(r.chosen.file_bytes) / 1048576.0, r.bpw(), c.ratio, r.fp32_perplexity, c.perplexity, c.delta_percent,
                     c.stderr_percent, r.predicted_perplexity);
    s += fmt::format("\nmeasured points (file bytes, ratio, perplexity change +- its standard error over {} eval windows):\n",
                     static_cast<long long>(r.fp32_eval.windows));
    for (const auto& p : r.points)
        s += fmt::format("  {:<36} {:>12}  {:7.3f}x  {:+8.4f} % +- {:.4f}\n", p.label,
                         ::mixq::detail::group_digits(static_cast<std::int64_t>(p.bytes)), p.ratio, p.delta_percent, p.stderr_percent);
    std::string lines;
    for (const auto& x : reference_comparisons(r.points))
        if (x.searched == 0 && r.points[x.reference].kind == "llama.cpp")
            lines += fmt::format("  {:+8.4f} % +- {:.4f} against {} ({} bytes; its change {:+.4f} %)\n", x.change.percent, x.change.stderr_percent,
                                 r.points[x.reference].label, ::mixq::detail::group_digits(static_cast<std::int64_t>(r.points[x.reference].bytes)),
                                 r.points[x.reference].delta_percent);
    if (!lines.empty()) s += "the chosen file against llama-quantize's mixes of equal or smaller size (perplexity change, paired):\n" + lines;
    s += fmt::format("time: {:.1f} s\n", r.seconds);
    return s;
}

// out/: model.gguf, metadata.json (and imatrix.gguf), table.json, search.json and frontier.svg, each staged under a
// temporary name and renamed only once every one is written.
inline void write_search_outputs(const std::filesystem::path& dir, const gguf_search_result& r) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) fail(dir.string() + ": cannot create output directory: " + ec.message());
    io::atomic_file t(dir / "table.json"), j(dir / "search.json"), svg(dir / "frontier.svg");
    t.write(table_json(r));
    j.write(search_json(r).dump(1) + "\n");
    svg.write(frontier_svg(r.points, describe(r.options.target)));
    auto record = gguf::report_json(r.chosen);
    record["search"] = {{"budget", describe(r.options.target)}, {"measured_perplexity", r.measured_perplexity},
                        {"fp32_perplexity", r.fp32_perplexity}, {"delta_percent", r.points.front().delta_percent},
                        {"delta_stderr_percent", r.points.front().stderr_percent}};
    gguf::write_outputs(dir, r.chosen, r.file, record);
    for (auto* f : {&t, &j, &svg}) f->commit();
}

}  // namespace mixq::search
