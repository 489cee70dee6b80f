// What a search says about itself: search.json, table.json, frontier.svg, the text report, and its outputs.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "../convert/report.hpp"
#include "../convert/write_outputs.hpp"
#include "search.hpp"

namespace mixq::search {

[[nodiscard]] inline std::string describe(const budget& b) {
    switch (b.kind) {
        case budget_kind::ratio: return fmt::format("compression ratio >= {:g}", b.value);
        case budget_kind::bits: return fmt::format("at most {:g} bits per parameter", b.value);
        case budget_kind::ppl_increase: return fmt::format("perplexity increase <= {:g} %", b.value);
    }
    return "?";
}

namespace detail {
inline nlohmann::ordered_json point_json(const measured_point& p) {
    nlohmann::ordered_json j{{"label", p.label},         {"kind", p.kind}, {"ratio", p.ratio}, {"bytes", p.bytes},
                             {"perplexity", p.perplexity}, {"delta_percent", p.delta_percent}, {"delta_stderr_percent", p.stderr_percent}};
    j["predicted_perplexity"] = p.predicted_perplexity ? nlohmann::ordered_json(*p.predicted_perplexity) : nlohmann::ordered_json(nullptr);
    return j;
}
inline std::string layer_of(const std::string& name) {  // "backbone.layers.3.mixer.in_proj.weight" -> "layers.3"
    const auto at = name.find("layers.");
    if (at == std::string::npos) return "";
    const auto end = name.find('.', at + 7);
    return name.substr(at, end == std::string::npos ? std::string::npos : end - at);
}
inline std::string short_name(const std::string& name) {  // "...layers.3.mixer.in_proj.weight" -> "mixer.in_proj"
    auto s = name;
    if (const auto l = layer_of(name); !l.empty()) s = name.substr(name.find(l) + l.size() + 1);
    if (s.size() > 7 && s.substr(s.size() - 7) == ".weight") s.resize(s.size() - 7);
    return s;
}
// "0-5, 7, 9-23" for sorted layer indices.
inline std::string ranges(const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
        s += (s.empty() ? "" : ", ") + std::to_string(v[i]) + (j > i ? "-" + std::to_string(v[j]) : "");
        i = j + 1;
    }
    return s;
}
// One line per tensor role (the name without its layer), each choice with the layers that took it: a 64-layer
// model's report stays as long as a 4-layer one's. Per unit in order: its first tensor's name, its choice, the
// choice's rank (ties in layer count keep rank order) and how many tensors it ties.
struct role_choice {
    std::string name, choice;
    int rank = 0;
    std::size_t tied = 1;
};
inline std::string role_lines(const std::vector<role_choice>& units) {
    using choice_key = std::pair<int, std::string>;
    std::map<std::string, std::map<choice_key, std::vector<std::int64_t>>> roles;  // role -> choice -> layers
    std::map<std::string, std::size_t> tied;
    std::vector<std::string> order;
    for (const auto& u : units) {
        const auto role = short_name(u.name);
        if (!roles.count(role)) order.push_back(role);
        roles[role][{u.rank, u.choice}].push_back(layer_index(u.name).value_or(-1));
        if (u.tied > 1) tied[role] = u.tied;
    }
    std::string s;
    for (const auto& role : order) {
        std::vector<std::pair<choice_key, std::vector<std::int64_t>>> by_count(roles[role].begin(), roles[role].end());
        for (auto& [c, ls] : by_count) std::sort(ls.begin(), ls.end());
        std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
        std::string line;
        for (const auto& [c, ls] : by_count) {
            line += (line.empty() ? "" : "; ") + c.second;
            if (ls.back() >= 0) line += fmt::format(" in {} layer{} ({})", ls.size(), ls.size() == 1 ? "" : "s", ranges(ls));
        }
        if (tied.count(role)) line += " (tied x" + std::to_string(tied[role]) + ")";
        s += fmt::format("  {:<24} {}\n", role, line);
    }
    return s;
}
// The tables (or files) within a size budget and their divergence on the held-out calibration windows, the
// written one starred: the text and search.json of both searches. `what`: "tables" or "files".
inline std::string selection_lines(const std::vector<selection_entry>& e, std::size_t selected, std::int64_t windows, sensitivity_measure m,
                                   const char* what) {
    if (windows <= 0) return {};
    std::string s = fmt::format("\n{} within the budget, judged on {} held-out calibration windows ({}, nats; the least is written):\n", what,
                                static_cast<long long>(windows),
                                m == sensitivity_measure::kl ? "mean KL from fp32" : "change of the calibration loss");
    for (std::size_t k = 0; k < e.size(); ++k)
        s += fmt::format("  {} {:<36} {:>12} bytes  kl {:.6f}  delta_nll {:+.6f}\n", k == selected ? "*" : " ", e[k].label,
                         ::mixq::detail::group_digits(static_cast<std::int64_t>(e[k].bytes)), e[k].kl, e[k].delta_nll);
    return s;
}
inline nlohmann::ordered_json selection_json(const std::vector<selection_entry>& e, std::size_t selected, std::int64_t windows) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (std::size_t k = 0; k < e.size(); ++k)
        list.push_back({{"label", e[k].label}, {"bytes", e[k].bytes}, {"kl", e[k].kl}, {"delta_nll", e[k].delta_nll}, {"written", k == selected}});
    return {{"held_out_windows", windows}, {"entries", list}};
}
// table.json's content: the chosen precision of every tensor by exact name, in the existing JSON form.
[[nodiscard]] inline std::string table_json(const rule_table& t) {
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const auto& x : t.rules()) rules.push_back({x.pattern, std::string(to_string(x.precision))});
    return nlohmann::ordered_json{{"name", "searched"}, {"rules", rules}}.dump(1) + "\n";
}
}  // namespace detail

// A searched point against a preset or uniform table no larger than it, on the same eval windows:
// change = 100 (ppl(searched) / ppl(reference) - 1), negative where the searched table is better.
struct comparison {
    std::size_t searched = 0, reference = 0;  // indices into search_result::points
    perplexity_change change;
};

// Every (searched point, reference of equal or smaller size) pair, searched points in order: the tables
// that would dominate the searched one if they measured better. "Below the uniform frontier" means every
// change here is negative; the standard errors say which of them the eval set can tell apart from zero.
[[nodiscard]] inline std::vector<comparison> reference_comparisons(const std::vector<measured_point>& points) {
    std::vector<comparison> out;
    for (std::size_t s = 0; s < points.size(); ++s) {
        if (points[s].kind != "searched") continue;
        for (std::size_t k = 0; k < points.size(); ++k)
            if (points[k].kind != "searched" && points[k].bytes <= points[s].bytes)
                out.push_back({s, k, paired_change(points[k].eval, points[s].eval)});
    }
    return out;
}
[[nodiscard]] inline std::vector<comparison> reference_comparisons(const search_result& r) { return reference_comparisons(r.points); }

// search.json: the budget, the candidates, every unit's bytes and measured KL per candidate and its choice,
// and every measured point. No timings: the same inputs give the same file.
[[nodiscard]] inline nlohmann::ordered_json search_json(const search_result& r) {
    using nlohmann::ordered_json;
    const auto& o = r.options;
    ordered_json cands = ordered_json::array();
    for (auto p : o.candidates) cands.push_back(std::string(to_string(p)));
    ordered_json units = ordered_json::array();
    for (const auto& u : r.units) {
        ordered_json names = ordered_json::array(), per = ordered_json::object();
        for (auto i : u.tensors) names.push_back(r.chosen.tensors[i].source->name);
        for (std::size_t p = 0; p < o.candidates.size(); ++p)
            per[std::string(to_string(o.candidates[p]))] = {{"bytes", u.bytes[p]}, {"delta_nll", u.nll[p]}, {"kl", u.kl[p]}};
        units.push_back({{"tensors", names}, {"params", u.params}, {"candidates", per},
                         {"chosen", std::string(to_string(o.candidates[u.chosen]))},  // the knapsack's
                         {"written", std::string(to_string(r.chosen.tensors[u.tensors.front()].target))}});
    }
    ordered_json points = ordered_json::array();
    for (const auto& p : r.points) points.push_back(detail::point_json(p));
    ordered_json against = ordered_json::array();
    for (const auto& c : reference_comparisons(r))
        against.push_back({{"searched", r.points[c.searched].label}, {"reference", r.points[c.reference].label},
                           {"change_percent", c.change.percent}, {"stderr_percent", c.change.stderr_percent}});
    return {{"format", "mixq-search"},
            {"budget", {{"kind", o.target.kind == budget_kind::ratio ? "ratio" : o.target.kind == budget_kind::bits ? "bits" : "ppl_increase"},
                        {"value", o.target.value},
                        {"text", describe(o.target)}}},
            {"candidates", cands},
            {"calibration", {{"int8", describe_int8(r.chosen.options)}, {"below_int8", describe_lowbit(r.chosen.options)}, {"gptq", ::mixq::describe(o.gptq)}}},
            {"core", {{"precision", std::string(to_string(o.core))}, {"widened", o.widen}, {"tensors", r.fixed}}},
            {"sensitivity", {{"measure", o.measure == sensitivity_measure::kl ? "kl" : "delta_nll"},
                             {"definition", "per unit and candidate, only that unit lowered: delta_nll = change of the mean next-token "
                                            "NLL on the calibration windows, kl = mean KL(fp32 || lowered) per position; nats, minus the base's"},
                             {"windows", o.sensitivity_windows},
                             {"base_kl", r.base_kl},
                             {"base_delta_nll", r.base_nll}}},
            {"fp32_perplexity", r.fp32_perplexity},
            {"base_perplexity", r.base_perplexity},
            {"predicted_perplexity", r.predicted_perplexity},
            {"measured_perplexity", r.measured_perplexity},
            {"selection", detail::selection_json(r.selection, r.selected, r.held_out_windows)},
            {"repair_rounds", r.repair_rounds},
            {"repairs", r.repairs},
            {"knapsack_granularity_bytes", r.granularity},
            {"fixed_bytes", r.fixed_bytes},
            {"fp32_bytes", r.fp32_bytes},
            {"units", units},
            {"points", points},
            {"eval_windows", r.fp32_eval.windows},
            {"against_references", against}};
}

// table.json: the chosen precision of every tensor by exact name, in the existing JSON form.
[[nodiscard]] inline std::string table_json(const search_result& r) { return detail::table_json(r.table); }

// frontier.svg: measured perplexity change against compression ratio, searched tables as a line, presets
// (and llama-quantize's mixes) and uniform tables (and those mixes in mixq's rounding) as marks, each labelled;
// the first point is the chosen one.
[[nodiscard]] inline std::string frontier_svg(const std::vector<measured_point>& points, const std::string& budget) {
    const double W = 960, H = 480, L = 70, R = 390, T = 40, B = 50;  // R: room for the labels, error included
    double x0 = 1e9, x1 = 0, y0 = 1e9, y1 = -1e9;
    for (const auto& p : points)  // the error bars inside the plot too
        x0 = std::min(x0, p.ratio), x1 = std::max(x1, p.ratio), y0 = std::min(y0, p.delta_percent - p.stderr_percent),
        y1 = std::max(y1, p.delta_percent + p.stderr_percent);
    if (x1 <= x0) x1 = x0 + 1;
    y0 = std::min(y0, 0.0);
    if (y1 <= y0) y1 = y0 + 0.1;
    const double padx = (x1 - x0) * 0.05, pady = (y1 - y0) * 0.08;
    x0 -= padx, x1 += padx, y0 -= pady, y1 += pady;
    auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
    auto Y = [&](double v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); };
    std::string s = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    s += fmt::format("<text x=\"{:.0f}\" y=\"22\" font-size=\"14\">mixq-search: measured perplexity change vs compression ({})</text>\n", L,
                     ::mixq::detail::xml_escape(budget));
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>\n", L, T, L, H - B);
    for (int i = 0; i <= 5; ++i) {
        const double vx = x0 + (x1 - x0) * i / 5.0, vy = y0 + (y1 - y0) * i / 5.0;
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.2f}x</text>\n", X(vx), H - B + 16, vx);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:+.2f} %</text>\n", L - 6, Y(vy) + 4, vy);
        s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n", L, Y(vy), W - R, Y(vy));
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">compression ratio (fp32 bytes / bytes written)</text>\n", (L + W - R) / 2, H - 12);
    s += fmt::format("<text x=\"16\" y=\"{:.1f}\" transform=\"rotate(-90 16 {:.1f})\" text-anchor=\"middle\">perplexity change on the eval tokens</text>\n",
                     (T + H - B) / 2, (T + H - B) / 2);
    std::vector<const measured_point*> searched;
    for (const auto& p : points)
        if (p.kind == "searched") searched.push_back(&p);
    std::sort(searched.begin(), searched.end(), [](auto a, auto b) { return a->ratio < b->ratio; });
    std::string line;
    for (const auto* p : searched) line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "" : " ", X(p->ratio), Y(p->delta_percent));
    s += "<polyline fill=\"none\" stroke=\"#2a7ab9\" stroke-width=\"2\" points=\"" + line + "\"/>\n";
    double ly = T + 10;
    for (const auto& p : points) {
        const bool preset = p.kind == "preset" || p.kind == "llama.cpp";
        const char* colour = p.kind == "searched" ? "#2a7ab9" : preset ? "#f28e2b" : "#59a14f";
        const bool chosen = &p == &points.front();
        if (p.stderr_percent > 0.0)  // one standard error either way: what the eval set cannot resolve
            s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-opacity=\"0.5\"/>\n", X(p.ratio),
                             Y(p.delta_percent - p.stderr_percent), X(p.ratio), Y(p.delta_percent + p.stderr_percent), colour);
        if (p.kind == "searched") s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"/>\n", X(p.ratio), Y(p.delta_percent), chosen ? 6 : 4, colour);
        else if (preset) s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"8\" height=\"8\" fill=\"{}\"/>\n", X(p.ratio) - 4, Y(p.delta_percent) - 4, colour);
        else s += fmt::format("<path d=\"M{:.1f} {:.1f} l5 9 h-10 z\" fill=\"{}\"/>\n", X(p.ratio), Y(p.delta_percent) - 5, colour);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\">{}{}: {:.2f}x, {:+.3f} &#177; {:.3f} %</text>\n", W - R + 12, ly, colour, chosen ? "* " : "",
                         ::mixq::detail::xml_escape(p.label), p.ratio, p.delta_percent, p.stderr_percent);
        ly += 15;
    }
    return s + "</svg>\n";
}
[[nodiscard]] inline std::string frontier_svg(const search_result& r) { return frontier_svg(r.points, describe(r.options.target)); }

// The text report: budget, what was chosen (one line per tensor role), the measured result.
[[nodiscard]] inline std::string report_text(const search_result& r, const std::string& input) {
    const auto& o = r.options;
    std::string s = fmt::format("mixq-search: {}  (budget: {})\n", input, describe(o.target));
    std::string cands;
    for (auto p : o.candidates) cands += (cands.empty() ? "" : ", ") + std::string(to_string(p));
    s += "candidates: " + cands + " (int8: percentile + GPTQ; below int8: mse + GPTQ)\n";
    s += fmt::format("SSM core kept at {}{}: {} tensors (conv1d, A_log, D, dt_proj.bias, norms); --widen-core searches them too\n",
                     std::string(to_string(o.core)), o.widen ? " (widened: none kept)" : "", r.fixed.size());
    s += fmt::format("sensitivity: {} on {} calibration windows, {} units x {} candidates in {:.1f} s\n",
                     o.measure == sensitivity_measure::kl ? "mean KL of the next-token distributions" : "change of the calibration loss",
                     static_cast<long long>(o.sensitivity_windows), r.units.size(), o.candidates.size(), r.sensitivity_seconds);
    s += detail::selection_lines(r.selection, r.selected, r.held_out_windows, o.measure, "tables");
    const auto written = [&](const unit& u) { return r.chosen.tensors[u.tensors.front()].target; };
    std::map<precision, std::pair<std::int64_t, std::int64_t>> by;  // units, params
    for (const auto& u : r.units) {
        auto& b = by[written(u)];
        ++b.first;
        b.second += u.params;
    }
    s += r.selected > 0 ? "\nwritten (" + r.selection[r.selected].label + "):\n" : std::string("\nchosen:\n");
    for (const auto& [p, n] : by)
        s += fmt::format("  {:<10} {:5} tensors {:>14} params\n", std::string(to_string(p)), static_cast<long long>(n.first),
                         ::mixq::detail::group_digits(n.second));
    std::vector<detail::role_choice> choices;  // table.json has every name
    for (const auto& u : r.units) {
        const auto p = written(u);
        choices.push_back({r.chosen.tensors[u.tensors.front()].source->name, std::string(to_string(p)), static_cast<int>(p), u.tensors.size()});
    }
    s += detail::role_lines(choices);
    if (r.repair_rounds) {
        s += fmt::format("repairs: {} round(s):", r.repair_rounds);
        for (const auto& x : r.repairs) s += " " + x + ";";
        s += "\n";
    }
    const auto& c = r.points.front();
    s += fmt::format("\nresult: {:.3f}x ({} bytes), perplexity {:.4f} -> {:.4f} measured ({:+.4f} %), {:.4f} predicted; fp32 {:.4f}\n", c.ratio,
                     ::mixq::detail::group_digits(static_cast<std::int64_t>(c.bytes)), r.fp32_perplexity, c.perplexity, c.delta_percent,
                     r.predicted_perplexity, r.fp32_perplexity);
    s += fmt::format("\nmeasured points (ratio, perplexity change +- its standard error over {} eval windows):\n",
                     static_cast<long long>(r.fp32_eval.windows));
    for (const auto& p : r.points)
        s += fmt::format("  {:<36} {:7.3f}x  {:+8.4f} % +- {:.4f}\n", p.label, p.ratio, p.delta_percent, p.stderr_percent);
    // Per searched point, the best reference of equal or smaller size: one line each, the rest in search.json.
    const auto cmp = reference_comparisons(r);
    std::string lines;
    for (std::size_t i = 0; i < cmp.size();) {
        std::size_t best = i, j = i;
        for (; j < cmp.size() && cmp[j].searched == cmp[i].searched; ++j)
            if (r.points[cmp[j].reference].perplexity < r.points[cmp[best].reference].perplexity) best = j;
        const auto& b = cmp[best];
        lines += fmt::format("  {:<36} {:+8.4f} % +- {:.4f} against {} ({:.3f}x)\n", r.points[b.searched].label, b.change.percent,
                             b.change.stderr_percent, r.points[b.reference].label, r.points[b.reference].ratio);
        i = j;
    }
    if (!lines.empty())
        s += "against the best preset or uniform table of equal or smaller size (perplexity change, paired):\n" + lines;
    s += fmt::format("time: {:.1f} s\n", r.seconds);
    return s;
}

// out/: table.json, search.json, frontier.svg and the converted checkpoint's four files, all staged under
// temporary names and renamed only when every one is complete.
inline void write_search_outputs(const std::filesystem::path& dir, search_result& r) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) fail(dir.string() + ": cannot create output directory: " + ec.message());
    io::atomic_file t(dir / "table.json"), j(dir / "search.json"), svg(dir / "frontier.svg");
    t.write(table_json(r));
    j.write(search_json(r).dump(1) + "\n");
    svg.write(frontier_svg(r));
    write_outputs(dir, r.chosen);
    for (auto* f : {&t, &j, &svg}) f->commit();
}

}  // namespace mixq::search
