// What a conversion says about itself: metadata.json, statistics.json, the JSON report and the text report.
#pragma once

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "../core/group_digits.hpp"
#include "../precision/match_report.hpp"
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

// Where the tensors came from, when it was not a plain safetensors file: a PyTorch checkpoint's state dict
// and what else it held (left out of the output), or the shards of an index.
[[nodiscard]] inline std::string source_line(const io::safetensors_file& in) {
    const auto& m = in.metadata();
    std::string o;
    if (const auto f = m.find("source_format"); f != m.end() && f->second == "pytorch") {
        const auto k = m.find("source_state_dict");
        o = k == m.end() ? std::string("input: a PyTorch checkpoint (torch.save), a state dict")
                         : fmt::format("input: a PyTorch checkpoint (torch.save), the state dict under '{}'", k->second);
        if (const auto rest = m.find("source_other_entries"); rest != m.end())
            o += fmt::format("; its other entries ({}) hold no weights and are not converted", rest->second);
        o += "\n";
    }
    if (in.shard_count() > 1) o += fmt::format("input: {} shards\n", in.shard_count());
    return o;
}

[[nodiscard]] inline std::string report_text(const conversion& c) {
    const auto& t = c.totals;
    std::string o = fmt::format("mixq-convert: {}  (table '{}', {} rules, {} tensors, calibration {})\n",
                                c.input->path(), c.table.name(), c.table.size(), c.tensors.size(),
                                c.calibration_description());
    o += source_line(*c.input);
    o += "\nprecision    tensors      parameters   share        bytes\n";
    for (const auto& [p, n] : t.params) {
        std::uint64_t bytes = 0;
        for (const auto& x : c.tensors)
            if (!x.alias_of && x.target == p) bytes += x.bytes_after();
        o += fmt::format("  {:<9} {:7} {:>15}  {:5.1f} % {:>12}\n", std::string(to_string(p)),
                         static_cast<long long>(t.tensors.at(p)), detail::group_digits(n),
                         100.0 * static_cast<double>(n) / static_cast<double>(std::max<std::int64_t>(t.unique_params, 1)),
                         detail::group_digits(static_cast<std::int64_t>(bytes)));
    }
    o += fmt::format("  {:<9} {:>7} {:>15}\n\n", "total", "", detail::group_digits(t.unique_params));
    o += match_report_text(c.table, c.plan);
    std::size_t identical = 0;
    const converted_tensor* example = nullptr;
    for (const auto& x : c.tensors) {
        if (x.alias_of)
            o += fmt::format("tied: {} has the same contents as {} and is stored once (tie_word_embeddings)\n", x.source->name,
                             *x.alias_of);
        if (x.identical_to && !identical++) example = &x;
    }
    if (identical)  // one line, whatever the model's size: every such tensor is still in the file
        o += fmt::format("identical contents: {} tensor(s) equal an earlier one (e.g. {} = {}); each is stored under its own name\n",
                         identical, example->source->name, *example->identical_to);
    o += fmt::format("\nmemory: fp32 {:.3f} MiB -> mixed {:.3f} MiB (scales included), compression {:.2f}x, saved {:.3f} MiB\n",
                     static_cast<double>(t.fp32_bytes) / mib, static_cast<double>(t.mixed_bytes) / mib, t.ratio(),
                     (static_cast<double>(t.fp32_bytes) - static_cast<double>(t.mixed_bytes)) / mib);
    if (t.source_bytes != t.fp32_bytes)  // F16 / BF16 sources: what the user's file shrinks by
        o += fmt::format("        source {:.3f} MiB (as stored in the input) -> mixed {:.3f} MiB, compression {:.2f}x\n",
                         static_cast<double>(t.source_bytes) / mib, static_cast<double>(t.mixed_bytes) / mib, t.source_ratio());
    o += fmt::format("quantized tensors calibrated: {}", t.calibrated_tensors);
    o += t.gptq_tensors ? fmt::format(" ({} rounded by GPTQ)\n", t.gptq_tensors) : std::string("\n");
    if (c.quality) {
        const auto& q = *c.quality;
        o += fmt::format("quality: perplexity {:.4f} (original) -> {:.4f} (converted), {:+.4f} %", q.fp32_perplexity, q.mixed_perplexity, q.delta_percent());
        if (q.delta_stderr_percent)  // the measurement's own noise, so a change below it is read as such
            o += fmt::format(" +- {:.4f} (standard error over {} windows)", *q.delta_stderr_percent, static_cast<long long>(q.windows));
        o += fmt::format(" on {} tokens (eval {:.2f} s)\n", static_cast<long long>(q.eval_tokens), q.seconds);
    }
    o += fmt::format("time: {:.3f} s\n", c.seconds);
    return o;
}

}  // namespace mixq
