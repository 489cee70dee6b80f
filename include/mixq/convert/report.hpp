// What a conversion says about itself: metadata.json, statistics.json, the JSON report and the text report.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "../precision/glob.hpp"
#include "../precision/roles.hpp"
#include "convert.hpp"
#include "stored_layout.hpp"

namespace mixq {

inline constexpr double mib = 1024.0 * 1024.0;

namespace detail {
inline nlohmann::ordered_json rule_json(const conversion& c, const std::optional<std::size_t>& r) {
    if (!r) return nullptr;
    return c.table.rules()[*r].pattern;
}
inline double round6(double v) { return static_cast<double>(std::llround(v * 1e6)) / 1e6; }
}  // namespace detail

// metadata.json: the seed report's schema plus what a reader needs to trust it. Everything but
// "timing" is a pure function of the input and the options, so repeated conversions are identical.
[[nodiscard]] inline nlohmann::ordered_json metadata_json(const conversion& c) {
    using nlohmann::ordered_json;
    const auto& t = c.totals;
    auto params = [&](precision p) { return t.params.count(p) ? t.params.at(p) : 0; };
    ordered_json j;
    j["format"] = "mixq";
    j["format_version"] = format_version;
    j["table"] = c.table.name();
    ordered_json map = ordered_json::array();
    for (const auto& r : c.table.rules()) map.push_back({r.pattern, std::string(to_string(r.precision))});
    j["precision_map"] = map;
    j["calibration_method"] = std::string(to_string(c.options.calibration));
    j["lowbit_calibration_method"] = c.options.lowbit == lowbit_calibration::mse ? "mse" : "max";
    j["gptq"] = {{"int8", c.options.gptq_int8},
                 {"lowbit", c.options.gptq_lowbit},
                 {"tensors", t.gptq_tensors},
                 {"options", c.options.gptq_description}};
    j["percentile"] = c.options.calibration == calibration_method::percentile ? ordered_json(c.options.percentile)
                                                                               : ordered_json(nullptr);
    j["granularity"] = "per_channel";
    j["compression_stats"] = {
        {"fp32_memory_mb", detail::round6(static_cast<double>(t.fp32_bytes) / mib)},
        {"mixed_memory_mb", detail::round6(static_cast<double>(t.mixed_bytes) / mib)},
        {"compression_ratio", detail::round6(t.ratio())},
        {"memory_saved_mb", detail::round6((static_cast<double>(t.fp32_bytes) - static_cast<double>(t.mixed_bytes)) / mib)},
        {"fp32_memory_bytes", t.fp32_bytes},
        {"mixed_memory_bytes", t.mixed_bytes},
        {"source_memory_bytes", t.source_bytes},  // as the input stored them (fp16 / bf16 sources: not fp32)
        {"source_compression_ratio", detail::round6(t.source_ratio())},
        {"unique_params", t.unique_params},
        {"int8_params", params(precision::int8)},
        {"fp16_params", params(precision::fp16)},
        {"bf16_params", params(precision::bf16)},
        {"fp32_params", params(precision::fp32)},
        {"int4_params", params(precision::int4_g32) + params(precision::int4_g64) + params(precision::int4_g128)},
        {"nf4_params", params(precision::nf4)},
        {"fp8_params", params(precision::fp8_e4m3)},
    };
    j["calibration_layers"] = t.calibrated_tensors;
    ordered_json aliases = ordered_json::object();
    for (const auto& x : c.tensors)
        if (x.alias_of) aliases[x.source->name] = *x.alias_of;
    j["aliases"] = aliases;
    j["tie_word_embeddings"] = !aliases.empty();
    std::size_t identical = 0;
    for (const auto& x : c.tensors) identical += x.identical_to.has_value();
    j["identical_tensors_stored"] = identical;
    ordered_json unmatched = ordered_json::array();
    for (const auto* e : c.plan.unmatched()) unmatched.push_back(e->tensor->name);
    j["unmatched_tensors"] = unmatched;
    if (c.quality)
        j["quality"] = {{"fp32_perplexity", c.quality->fp32_perplexity},
                        {"mixed_perplexity", c.quality->mixed_perplexity},
                        {"delta_percent", c.quality->delta_percent()},
                        {"delta_stderr_percent", c.quality->delta_stderr_percent ? ordered_json(*c.quality->delta_stderr_percent) : ordered_json(nullptr)},
                        {"eval_windows", c.quality->windows},
                        {"eval_tokens", c.quality->eval_tokens}};
    if (c.activation_ranges) j["activation_ranges"] = *c.activation_ranges;
    if (c.search) j["search"] = *c.search;
    // The only fields that differ between identical runs.
    {  // what the input was: a reader's facts, so a .pt conversion says which state dict it took
        const auto& m = c.input->metadata();
        auto get = [&](const char* k) { const auto f = m.find(k); return f == m.end() ? ordered_json(nullptr) : ordered_json(f->second); };
        j["source"] = {{"format", m.count("source_format") ? m.at("source_format") : std::string("safetensors")},
                       {"state_dict", get("source_state_dict")},
                       {"other_entries", get("source_other_entries")},
                       {"shards", c.input->shard_count()}};
    }
    j["timing"] = {{"convert_seconds", c.seconds}};
    if (c.quality) j["timing"]["eval_seconds"] = c.quality->seconds;
    return j;
}

// statistics.json: one entry per tensor of the input, in checkpoint order.
[[nodiscard]] inline nlohmann::ordered_json statistics_json(const conversion& c) {
    using nlohmann::ordered_json;
    ordered_json arr = ordered_json::array();
    for (const auto& x : c.tensors) {
        const auto& s = *x.source;
        ordered_json e;
        e["name"] = s.name;
        e["shape"] = s.shape;
        e["source_dtype"] = std::string(to_string(s.type));
        e["precision"] = std::string(to_string(x.target));
        e["stored_dtype"] = std::string(to_string(x.stored));
        e["rule"] = detail::rule_json(c, x.rule);
        e["rule_index"] = x.rule ? ordered_json(*x.rule) : ordered_json(nullptr);
        e["scheme"] = x.converted() ? ordered_json(x.scheme) : ordered_json(nullptr);
        e["params"] = s.numel();
        e["bytes_before"] = x.bytes_before();
        e["bytes_after"] = x.bytes_after();
        e["alias_of"] = x.alias_of ? ordered_json(*x.alias_of) : ordered_json(nullptr);
        if (x.scale_count() > 0) e["scale_range"] = {x.scale_min, x.scale_max};
        if (x.error) {
            e["max_abs_error"] = x.error->max_abs_error;
            e["rel_rms_error"] = x.error->rel_rms_error;
        }
        arr.push_back(e);
    }
    return {{"format_version", format_version}, {"tensors", arr}};
}

// The --json report: metadata plus the match report (per-rule counts, unused and shadowed rules).
[[nodiscard]] inline nlohmann::ordered_json report_json(const conversion& c) {
    using nlohmann::ordered_json;
    auto j = metadata_json(c);
    j["input"] = c.input->path();
    ordered_json rules = ordered_json::array();
    for (std::size_t i = 0; i < c.table.size(); ++i) {
        const auto& u = c.plan.usage[i];
        rules.push_back({{"index", i},
                         {"pattern", c.table.rules()[i].pattern},
                         {"precision", std::string(to_string(c.table.rules()[i].precision))},
                         {"tensors", u.tensors_won},
                         {"params", u.params_won},
                         {"tensors_matched", u.tensors_matched}});
    }
    j["rules"] = rules;
    j["unused_rules"] = c.plan.unused_rules();
    j["shadowed_rules"] = c.plan.shadowed_rules();
    return j;
}

namespace detail {
inline std::string group_digits(std::int64_t v) {
    std::string s = std::to_string(v < 0 ? -v : v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return (v < 0 ? "-" : "") + s;
}
// printf-style formatting into a string of the exact size (long paths and patterns are never cut).
inline std::string fmt(const char* f, auto... a) {
    const int n = std::snprintf(nullptr, 0, f, a...);
    std::string s(static_cast<std::size_t>(std::max(n, 0)), '\0');
    std::snprintf(s.data(), s.size() + 1, f, a...);
    return s;
}
}  // namespace detail

// Above this many rules, exact-name rules of the same role and precision share one report line.
inline constexpr std::size_t fold_rules_above = 40;

// The match report alone (used by mixq-inspect and the converter): rules, unused, shadowed, unmatched.
// A large table of exact names (a searched table.json names every tensor) is reported one line per
// tensor role and precision ("layers.N." for every layer), with the rules folded into it counted.
[[nodiscard]] inline std::string match_report_text(const rule_table& table, const match_plan& plan) {
    using detail::fmt;
    std::string o = "rules (an exact name wins, otherwise the first match):\n";
    struct line {
        std::string pattern, first_pattern;
        precision target;
        std::size_t first = 0, rules = 0, tensors = 0;
        std::int64_t params = 0;
    };
    std::vector<line> lines;
    std::map<std::pair<std::string, precision>, std::size_t> folded;  // (role, precision) -> its line
    const bool fold = table.size() > fold_rules_above;
    for (std::size_t i = 0; i < table.size(); ++i) {
        const auto& r = table.rules()[i];
        const auto role = role_of(r.pattern);
        const bool foldable = fold && is_literal_pattern(r.pattern) && !r.pattern.starts_with("re:") && role != r.pattern;
        std::size_t at = lines.size();
        if (foldable) {
            const auto [it, fresh] = folded.emplace(std::pair{role, r.precision}, lines.size());
            at = it->second;
            if (fresh) lines.push_back({role, r.pattern, r.precision, i, 0, 0, 0});
        } else {
            lines.push_back({r.pattern, r.pattern, r.precision, i, 0, 0, 0});
        }
        auto& l = lines[at];
        ++l.rules;
        l.tensors += plan.usage[i].tensors_won;
        l.params += plan.usage[i].params_won;
    }
    for (const auto& l : lines) {
        const auto& shown = l.rules > 1 ? l.pattern : l.first_pattern;  // a role with one rule keeps its name
        o += fmt("  #%-2zu %-40s %-9s %4zu tensors %12s params", l.first + 1, shown.c_str(), std::string(to_string(l.target)).c_str(),
                 l.tensors, detail::group_digits(l.params).c_str());
        o += l.rules > 1 ? fmt(" (%zu exact-name rules, from #%zu)\n", l.rules, l.first + 1) : "\n";
    }
    for (std::size_t i : plan.unused_rules())
        o += fmt("  WARNING: rule #%zu '%s' matches no tensor\n", i + 1, table.rules()[i].pattern.c_str());
    for (std::size_t i : plan.shadowed_rules())
        o += fmt("  WARNING: rule #%zu '%s' is shadowed: earlier rules decide every tensor it matches\n", i + 1,
                 table.rules()[i].pattern.c_str());
    const auto un = plan.unmatched();
    if (!un.empty()) {
        std::int64_t p = 0;
        for (const auto* e : un) p += e->tensor->numel();
        o += fmt("WARNING: %zu tensor(s), %s params, match no rule and keep their source precision:\n", un.size(),
                 detail::group_digits(p).c_str());
        for (const auto* e : un)
            o += fmt("  %-44s %-16s %s\n", e->tensor->name.c_str(), shape_string(e->tensor->shape).c_str(),
                     std::string(to_string(e->tensor->type)).c_str());
    } else {
        o += "every tensor is decided by a rule\n";
    }
    return o;
}

// Where the tensors came from, when it was not a plain safetensors file: a PyTorch checkpoint's state dict
// and what else it held (left out of the output), or the shards of an index.
[[nodiscard]] inline std::string source_line(const io::safetensors_file& in) {
    using detail::fmt;
    const auto& m = in.metadata();
    std::string o;
    if (const auto f = m.find("source_format"); f != m.end() && f->second == "pytorch") {
        const auto k = m.find("source_state_dict");
        o = k == m.end() ? std::string("input: a PyTorch checkpoint (torch.save), a state dict")
                         : fmt("input: a PyTorch checkpoint (torch.save), the state dict under '%s'", k->second.c_str());
        if (const auto rest = m.find("source_other_entries"); rest != m.end())
            o += fmt("; its other entries (%s) hold no weights and are not converted", rest->second.c_str());
        o += "\n";
    }
    if (in.shard_count() > 1) o += fmt("input: %zu shards\n", in.shard_count());
    return o;
}

[[nodiscard]] inline std::string report_text(const conversion& c) {
    using detail::fmt;
    const auto& t = c.totals;
    std::string o = fmt("mixq-convert: %s  (table '%s', %zu rules, %zu tensors, calibration %s)\n",
                        c.input->path().c_str(), c.table.name().c_str(), c.table.size(), c.tensors.size(),
                        c.calibration_description().c_str());
    o += source_line(*c.input);
    o += "\nprecision    tensors      parameters   share        bytes\n";
    for (const auto& [p, n] : t.params) {
        std::uint64_t bytes = 0;
        for (const auto& x : c.tensors)
            if (!x.alias_of && x.target == p) bytes += x.bytes_after();
        o += fmt("  %-9s %7lld %15s  %5.1f %% %12s\n", std::string(to_string(p)).c_str(),
                 static_cast<long long>(t.tensors.at(p)), detail::group_digits(n).c_str(),
                 100.0 * static_cast<double>(n) / static_cast<double>(std::max<std::int64_t>(t.unique_params, 1)),
                 detail::group_digits(static_cast<std::int64_t>(bytes)).c_str());
    }
    o += fmt("  %-9s %7s %15s\n\n", "total", "", detail::group_digits(t.unique_params).c_str());
    o += match_report_text(c.table, c.plan);
    std::size_t identical = 0;
    const converted_tensor* example = nullptr;
    for (const auto& x : c.tensors) {
        if (x.alias_of)
            o += fmt("tied: %s has the same contents as %s and is stored once (tie_word_embeddings)\n", x.source->name.c_str(),
                     x.alias_of->c_str());
        if (x.identical_to && !identical++) example = &x;
    }
    if (identical)  // one line, whatever the model's size: every such tensor is still in the file
        o += fmt("identical contents: %zu tensor(s) equal an earlier one (e.g. %s = %s); each is stored under its own name\n",
                 identical, example->source->name.c_str(), example->identical_to->c_str());
    o += fmt("\nmemory: fp32 %.3f MiB -> mixed %.3f MiB (scales included), compression %.2fx, saved %.3f MiB\n",
             static_cast<double>(t.fp32_bytes) / mib, static_cast<double>(t.mixed_bytes) / mib, t.ratio(),
             (static_cast<double>(t.fp32_bytes) - static_cast<double>(t.mixed_bytes)) / mib);
    if (t.source_bytes != t.fp32_bytes)  // F16 / BF16 sources: what the user's file shrinks by
        o += fmt("        source %.3f MiB (as stored in the input) -> mixed %.3f MiB, compression %.2fx\n",
                 static_cast<double>(t.source_bytes) / mib, static_cast<double>(t.mixed_bytes) / mib, t.source_ratio());
    o += fmt("quantized tensors calibrated: %zu", t.calibrated_tensors);
    o += t.gptq_tensors ? fmt(" (%zu rounded by GPTQ)\n", t.gptq_tensors) : std::string("\n");
    if (c.quality) {
        const auto& q = *c.quality;
        o += fmt("quality: perplexity %.4f (original) -> %.4f (converted), %+.4f %%", q.fp32_perplexity, q.mixed_perplexity, q.delta_percent());
        if (q.delta_stderr_percent)  // the measurement's own noise, so a change below it is read as such
            o += fmt(" +- %.4f (standard error over %lld windows)", *q.delta_stderr_percent, static_cast<long long>(q.windows));
        o += fmt(" on %lld tokens (eval %.2f s)\n", static_cast<long long>(q.eval_tokens), q.seconds);
    }
    o += fmt("time: %.3f s\n", c.seconds);
    return o;
}

}  // namespace mixq
