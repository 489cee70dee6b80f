// A conversion tensor by tensor: plan it, carry the state from one tensor to the next (ties, identical contents), total up.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../precision/match_plan.hpp"
#include "quantize_tensor.hpp"

namespace mixq {

namespace detail {

// Same dtype, shape, bytes and target.
inline bool same_tensor(const converted_tensor& a, const converted_tensor& b) {
    const auto& x = *a.source;
    const auto& y = *b.source;
    return a.target == b.target && x.type == y.type && x.shape == y.shape && same_bytes(x.bytes, y.bytes);
}
// The one tie other loaders understand (transformers' tie_word_embeddings): the head equal to the input
// embeddings may be left out of the file. Any other identical tensors are written under their own names.
inline bool loader_tie(const std::string& a, const std::string& b) {
    auto embedding = [](const std::string& n) { return n == "embedding.weight" || n == "backbone.embeddings.weight"; };
    return (a == "lm_head.weight" && embedding(b)) || (b == "lm_head.weight" && embedding(a));
}

// A hash of a tensor's size and 64 evenly spaced 64-byte samples of it: equal contents hash equal, and
// reading a few pages (not the whole tensor) keeps a streaming conversion from touching every page twice.
inline std::size_t sampled_hash(std::span<const std::byte> b) {
    std::size_t h = std::hash<std::size_t>{}(b.size());
    auto mix = [&](std::span<const std::byte> part) {
        h ^= std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(part.data()), part.size())) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    };
    if (b.size() <= 64 * 64) {
        mix(b);
        return h;
    }
    for (std::size_t k = 0; k < 64; ++k) mix(b.subspan((b.size() - 64) / 63 * k, 64));
    return h;
}

inline std::string rule_name(const rule_table& t, std::size_t i) {
    return "rule #" + std::to_string(i + 1) + " '" + t.rules()[i].describe() + "'";
}

}  // namespace detail

// The state carried from one tensor to the next: the int8 quantizer, the contents seen so far (for
// identical tensors), the fp32 scratch buffer.
struct conversion_cursor {
    explicit conversion_cursor(const convert_options& o) : q8(detail::make_int8_quantizer(o)) {}
    detail::int8_quantizer q8;
    std::unordered_map<std::size_t, std::vector<std::size_t>> by_content;  // content hash -> indices into c.tensors
    std::vector<float> w;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
};

// Checks the options and the table against the checkpoint and plans every tensor's precision; nothing is
// converted yet. Throws a bad_input error (naming the tensor or rule) before anything is written.
[[nodiscard]] inline conversion begin_conversion(const io::safetensors_file& in, rule_table table, convert_options options) {
    conversion c;
    c.input = &in;
    c.table = std::move(table);
    c.options = options;
    c.plan = make_plan(c.table, in.tensors());
    if (options.calibration == calibration_method::percentile && !(options.percentile > 0.0 && options.percentile <= 100.0))
        fail_option("convert_options::percentile",
                    "convert_options::percentile " + std::to_string(options.percentile) + " must be in (0, 100]");
    if ((options.gptq_int8 || options.gptq_lowbit) && !options.hessians)
        fail_option("convert_options::hessians",
                    "gptq needs calibration tokens (convert_options::hessians): its Hessians come from the layers' inputs");
    if ((options.gptq_int8 || options.gptq_lowbit) && !options.round)
        throw error(errc::internal, "convert: gptq asked for without a rounding function (calib/gptq.hpp's gptq_rounder)");

    if (options.strict) {
        if (const auto u = c.plan.unmatched(); !u.empty()) {
            std::string names;
            for (std::size_t i = 0; i < u.size() && i < 10; ++i) names += (i ? ", " : "") + u[i]->tensor->name;
            fail_option("convert_options::strict", in.path() + ": convert_options::strict: " + std::to_string(u.size()) +
                                                       " tensor(s) match no rule: " + names + (u.size() > 10 ? ", ..." : ""));
        }
        if (const auto u = c.plan.unused_rules(); !u.empty())
            fail_option("convert_options::strict",
                        "convert_options::strict: " + detail::rule_name(c.table, u.front()) + " matches no tensor in " + in.path());
    }
    for (const auto& e : c.plan.entries)
        if (e.rule && is_ggml_block(e.target))
            fail(detail::rule_name(c.table, *e.rule) + " asks tensor '" + e.tensor->name + "' for " + std::string(to_string(e.target)) +
                 ", a ggml block type that only a GGUF file holds (mixq's safetensors format holds fp32, fp16, bf16, int8, "
                 "int4_g32/g64/g128, nf4 and fp8_e4m3)");
    // Every refusal a tensor's dtype can cause, before any tensor is converted (a streaming conversion must
    // not fail half-way for a reason known at the start).
    for (const auto& e : c.plan.entries)
        if (e.rule && !is_readable_float(e.tensor->type) && source_precision(*e.tensor) != e.target)
            fail(detail::rule_name(c.table, *e.rule) + " decides tensor '" + e.tensor->name + "' of dtype " +
                 std::string(to_string(e.tensor->type)) + ", which is not floating point and cannot be converted");
    c.tensors.reserve(c.plan.entries.size());
    return c;
}

// Decides the next planned tensor (c.tensors.size() is its index) and appends it to c.tensors without its
// data: an alias of a tied tensor, or what fill_tensor must compute. Sequential: ties look at earlier tensors.
inline converted_tensor& prepare_next(conversion& c, conversion_cursor& cur) {
    const auto& e = c.plan.entries.at(c.tensors.size());
    converted_tensor out;
    out.source = e.tensor;
    out.rule = e.rule;
    out.target = e.target;
    out.stored = e.tensor->type;
    const auto& t = *e.tensor;
    if (!needs_fill(e)) out.target = source_precision(t);

    // Identical tensors: compare candidates with the same sampled hash (bytes compared in full).
    auto& same = cur.by_content[detail::sampled_hash(t.bytes)];
    for (std::size_t j : same)
        if (detail::same_tensor(c.tensors[j], out)) {
            if (!detail::loader_tie(c.tensors[j].source->name, t.name)) {  // stored again, under its own name
                if (!out.identical_to) out.identical_to = c.tensors[j].source->name;
                continue;
            }
            out.alias_of = c.tensors[j].source->name;  // its dtype and scheme: resolve_alias, once j is filled
            break;
        }
    if (!out.alias_of) same.push_back(c.tensors.size());
    c.tensors.push_back(std::move(out));
    return c.tensors.back();
}

// An alias is stored as what it aliases is: call once that tensor has been filled.
inline void resolve_alias(conversion& c, converted_tensor& x) {
    if (!x.alias_of) return;
    for (const auto& y : c.tensors)
        if (y.source->name == *x.alias_of) {
            x.stored = y.stored;
            x.scheme = y.scheme;
            return;
        }
}

// Converts the next planned tensor and appends it to c.tensors.
inline converted_tensor& convert_next(conversion& c, conversion_cursor& cur) {
    auto& out = prepare_next(c, cur);
    fill_tensor(c, out, cur.q8, cur.w, c.options.threads);
    resolve_alias(c, out);
    return out;
}

// Totals over every converted tensor, and the time since the cursor was made.
inline void finish_conversion(conversion& c, const conversion_cursor& cur) {
    auto& tot = c.totals;
    tot = {};
    for (const auto& t : c.tensors) {
        if (t.alias_of) continue;
        const auto n = t.source->numel();
        tot.params[t.target] += n;
        tot.tensors[t.target] += 1;
        tot.unique_params += n;
        tot.fp32_bytes += static_cast<std::uint64_t>(n) * 4u;
        tot.source_bytes += t.bytes_before();
        tot.mixed_bytes += t.bytes_after();
        if (t.has_scales()) ++tot.calibrated_tensors;
        if (t.gptq) ++tot.gptq_tensors;
    }
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cur.t0).count();
}

// Plans and converts every tensor in memory; throws a bad_input error (naming the tensor or rule)
// before anything is written, so a failed conversion leaves no output at all.
[[nodiscard]] inline conversion convert(const io::safetensors_file& in, rule_table table, convert_options options = {}) {
    conversion_cursor cur(options);
    auto c = begin_conversion(in, std::move(table), options);
    while (c.tensors.size() < c.plan.entries.size()) (void)convert_next(c, cur);
    finish_conversion(c, cur);
    return c;
}

}  // namespace mixq
