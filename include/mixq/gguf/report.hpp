// What a GGUF export did, as text and JSON: per ggml type, every override grouped by role, the tie, the tokenizer.
#pragma once

#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "../core/group_digits.hpp"
#include "../precision/match_report.hpp"
#include "export.hpp"

namespace mixq::gguf {

struct override_group {
    std::string role;  // "blk.*.ssm_conv1d.weight"
    precision asked;
    ggml_type type;
    std::string reason;
    std::size_t tensors = 0;
};

// Overrides grouped by (role, asked, written, reason): one line per kind, not per layer.
[[nodiscard]] inline std::vector<override_group> overrides(const gguf_export& x) {
    std::vector<override_group> out;
    for (const auto& t : x.tensors) {
        if (t.override_reason.empty()) continue;
        const auto role = role_of(t.name);
        auto it = std::find_if(out.begin(), out.end(), [&](const override_group& g) {
            return g.role == role && g.asked == t.asked && g.type == t.type && g.reason == t.override_reason;
        });
        if (it == out.end()) out.push_back({role, t.asked, t.type, t.override_reason, 1});
        else ++it->tensors;
    }
    return out;
}

// How many tensors mixq's GPTQ rounded (export_options::hessians).
[[nodiscard]] inline std::size_t gptq_tensors(const gguf_export& x) {
    std::size_t n = 0;
    for (const auto& t : x.tensors) n += t.gptq;
    return n;
}

[[nodiscard]] inline std::string report_text(const gguf_export& x, const std::string& output) {
    using ::mixq::detail::group_digits;
    const auto& c = x.config;
    std::string o = fmt::format("GGUF export of {} -> {}\n", x.input->path(), output);
    o += fmt::format("model: {} as llama.cpp '{}': {} layers, d_model {}, d_inner {}, d_state {}, vocab {}\n",
                     std::string(to_string(c.layout)), std::string(to_string(arch_of(c.layout))), static_cast<long long>(c.n_layers), static_cast<long long>(c.d_model), static_cast<long long>(c.d_inner),
                     static_cast<long long>(c.d_state), static_cast<long long>(c.vocab));
    o += fmt::format("table: {}\n", x.table.name());
    o += ::mixq::match_report_text(x.table, x.plan);
    struct row { std::size_t tensors = 0; std::int64_t params = 0; std::uint64_t bytes = 0; };
    std::map<std::string, row> by_type;
    for (const auto& t : x.tensors) {
        auto& r = by_type[std::string(to_string(t.type))];
        ++r.tensors;
        r.params += t.source->numel();
        r.bytes += t.bytes().size();
    }
    o += "written:\n";
    for (const auto& [type, r] : by_type)
        o += fmt::format("  {:<5} {:4} tensors {:>14} params {:>14} bytes\n", type, r.tensors, group_digits(r.params),
                         group_digits(static_cast<std::int64_t>(r.bytes)));
    const auto ov = overrides(x);
    if (ov.empty()) o += "overrides: none (every tensor has the ggml type of its precision)\n";
    else o += fmt::format("overrides ({} kinds):\n", ov.size());
    for (const auto& g : ov)
        o += fmt::format("  {:<28} {:3} tensor(s): {} -> {}: {}\n", g.role, g.tensors, std::string(to_string(g.asked)),
                         std::string(to_string(g.type)), g.reason);
    if (x.head_omitted) o += "tied: lm_head.weight equals the embeddings; output.weight is left out and llama.cpp reuses token_embd.weight\n";
    else if (x.head_absent) o += "tied: the input has no lm_head.weight; llama.cpp reuses token_embd.weight as the output\n";
    o += "tokenizer: " + x.tokenizer_note + "\n";
    if (x.gptq)
        o += fmt::format("rounding: mixq's GPTQ inside each type's codes ({}), block scales by {}; {} tensor(s) so rounded, "
                         "the rest by ggml's reference rounding\n",
                         x.gptq_description,
                         *x.gptq == block_scales::weighted ? "the importance-weighted search (Hessian diagonal)" : "ggml's reference search",
                         gptq_tensors(x));
    else if (x.imatrix)
        o += fmt::format("rounding: importance-weighted, as llama-quantize --imatrix ({} weights' inputs over {} windows of {} tokens); "
                         "the matrix is written as imatrix.gguf in llama.cpp's format\n",
                         x.imatrix->entries.size(), static_cast<long long>(x.imatrix->chunk_count), static_cast<long long>(x.imatrix->chunk_size));
    else
        o += "rounding: ggml's reference rounding, as llama-quantize without an importance matrix\n";
    o += fmt::format("size: {} bytes (.gguf, header included) vs {} bytes fp32: {:.2f}x, in {:.2f} s\n",
                     group_digits(static_cast<std::int64_t>(x.file_bytes)), group_digits(static_cast<std::int64_t>(x.fp32_bytes)),
                     x.ratio(), x.seconds);
    return o;
}

[[nodiscard]] inline nlohmann::ordered_json report_json(const gguf_export& x) {
    nlohmann::ordered_json j;
    j["source"] = x.input->path();
    j["format"] = "gguf";
    j["architecture"] = std::string(to_string(arch_of(x.config.layout)));
    j["table"] = x.table.name();
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const auto& r : x.table.rules()) rules.push_back({r.pattern, std::string(to_string(r.precision))});
    j["rules"] = rules;
    nlohmann::ordered_json ts = nlohmann::ordered_json::array();
    for (const auto& t : x.tensors) {
        nlohmann::ordered_json e{{"name", t.name},        {"source", t.source->name},
                                 {"precision", std::string(to_string(t.asked))},
                                 {"type", std::string(to_string(t.type))}, {"ne", t.ne},
                                 {"bytes", t.bytes().size()},
                                 {"max_abs_error", t.error.max_abs_error}, {"rel_rms_error", t.error.rel_rms_error}};
        if (!t.override_reason.empty()) e["override"] = t.override_reason;
        if (t.gptq) e["rounding"] = "gptq";
        ts.push_back(e);
    }
    j["tensors"] = ts;
    nlohmann::ordered_json ov = nlohmann::ordered_json::array();
    for (const auto& g : overrides(x))
        ov.push_back({{"role", g.role}, {"tensors", g.tensors}, {"precision", std::string(to_string(g.asked))},
                      {"type", std::string(to_string(g.type))}, {"reason", g.reason}});
    j["overrides"] = ov;
    j["tie_word_embeddings"] = x.head_omitted || x.head_absent;
    j["tokenizer"] = x.tokenizer_note;
    j["rounding"] = x.gptq ? (*x.gptq == block_scales::weighted ? "mse+gptq" : "gptq") : x.imatrix ? "imatrix" : "reference";
    if (x.gptq) j["gptq"] = {{"options", x.gptq_description}, {"tensors", gptq_tensors(x)}};
    if (x.imatrix)
        j["imatrix"] = {{"file", "imatrix.gguf"}, {"weights", x.imatrix->entries.size()}, {"windows", x.imatrix->chunk_count},
                        {"window", x.imatrix->chunk_size}, {"datasets", x.imatrix->datasets}};
    j["fp32_bytes"] = x.fp32_bytes;
    j["file_bytes"] = x.file_bytes;
    j["compression_ratio"] = x.ratio();
    j["seconds"] = x.seconds;
    return j;
}

}  // namespace mixq::gguf
