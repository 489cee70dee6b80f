// A Hugging Face Mamba, Mamba-2 or Nemotron-H checkpoint exported to GGUF for llama.cpp, each tensor in its table precision.
#pragma once

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../core/bytes.hpp"
#include "../core/half.hpp"
#include "../format/formats.hpp"
#include "../io/safetensors_reader.hpp"
#include "../model/config.hpp"
#include "../precision/match_plan.hpp"
#include "../quant/check_finite.hpp"
#include "../quant/error_stats.hpp"
#include "../quant/float_cast.hpp"
#include "../version.hpp"
#include "ggml_quants.hpp"
#include "gptq_blocks.hpp"
#include "imatrix.hpp"
#include "mamba_names.hpp"
#include "tokenizer.hpp"
#include "writer.hpp"

namespace mixq::gguf {

// The precisions a GGUF file holds, from their traits: "fp32 (F32), ..., int4_g32 (Q4_0) and ggml's own types q4_0, ...".
[[nodiscard]] inline std::string representable() {
    std::string mapped, own;
    for (const auto& f : formats) {
        if (!f.gguf) continue;
        if (f.scales == scale_layout::in_blocks) own += (own.empty() ? "" : ", ") + std::string(f.name);
        else mapped += (mapped.empty() ? "" : ", ") + fmt::format("{} ({})", f.name, to_string(*f.gguf));
    }
    return mapped + " and ggml's own types " + own;
}

struct exported_tensor {
    const tensor_view* source = nullptr;
    std::string name;                  // the GGUF name
    std::optional<std::size_t> rule;   // the deciding rule
    precision asked = precision::fp32;  // what the table (or the source, when unmatched) says
    ggml_type type = ggml_type::f32;   // what is written
    std::string override_reason;       // non-empty when `type` is not the twin of `asked`
    bool gptq = false;                 // codes chosen by GPTQ (gptq_blocks.hpp)
    std::vector<std::int64_t> ne;      // ggml order
    std::vector<std::byte> data;       // empty: the source's bytes as they are
    error_stats error;

    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return data.empty() ? source->bytes : std::span<const std::byte>(data);
    }
};

struct export_options {
    bool strict = false;                   // unmatched tensors and rules that match nothing are errors
    std::filesystem::path tokenizer_json;  // empty: tokenizer.json beside the input, if any
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));  // rows encoded in parallel (same bytes)
    // Collected by collect_importance (Hugging Face names): ggml's types are then rounded as llama-quantize
    // --imatrix rounds them, and the export carries the matrix under GGUF names (gguf_export::imatrix).
    const importance_matrix* importance = nullptr;
    // mixq's own rounding (gptq_blocks.hpp): a block-type tensor whose input Hessian is here (Hugging Face names,
    // the head as "lm_head.weight", tied or not) gets its scales by `scales`, then its codes by `round`
    // (calib/gptq.hpp's gptq_rounder); the others keep ggml's rounding.
    const hessian_set* hessians = nullptr;
    rounding_fn round = {};
    block_scales scales = block_scales::reference;
    std::string gptq_description = {};  // for the report: "damp 0.01, block 128, act order off"
    // With GPTQ's Hessians collected a layer at a time instead (gguf/export_layerwise.hpp): the products the
    // forward observes; a block-type tensor whose product is one of them is left unencoded, listed in
    // gguf_export::deferred, for that driver to round (and `hessians` is not used).
    const std::set<std::string>* deferred_products = nullptr;
    // A tensor already encoded as `type` from this source (an earlier export of the same input and options):
    // its bytes are copied instead of encoded again, so the search's measured tables cost no re-rounding.
    std::function<const exported_tensor*(const tensor_view& source, ggml_type type)> reuse = {};
};

struct gguf_export {
    const io::safetensors_file* input = nullptr;
    rule_table table;
    match_plan plan;
    model_config config;
    std::vector<exported_tensor> tensors;  // the file's order
    std::vector<kv> kvs;
    std::string tokenizer_note;
    std::optional<importance_matrix> imatrix;  // the importance used, by GGUF name, for imatrix.gguf (with export_options::importance)
    std::optional<block_scales> gptq;          // mixq's own rounding, with these scales (with export_options::hessians)
    std::string gptq_description;
    // Tensors left for GPTQ with layer-wise Hessians (export_options::deferred_products): index into
    // `tensors`, and the product whose input Hessian rounds it.
    std::vector<std::pair<std::size_t, std::string>> deferred;
    bool head_omitted = false;  // lm_head.weight equal to the embeddings: llama.cpp reuses token_embd
    bool head_absent = false;   // no lm_head.weight in the input at all
    std::filesystem::path tokenizer_json;  // the tokenizer.json the metadata comes from (if it exists)
    std::uint64_t fp32_bytes = 0;  // every exported parameter x 4
    std::uint64_t data_bytes = 0;  // tensor data, alignment padding included
    std::uint64_t file_bytes = 0;  // the whole .gguf
    double seconds = 0.0;

    [[nodiscard]] double ratio() const noexcept { return file_bytes ? static_cast<double>(fp32_bytes) / static_cast<double>(file_bytes) : 0.0; }
    [[nodiscard]] std::vector<tensor_out> outputs() const {
        std::vector<tensor_out> out;
        for (const auto& t : tensors) out.push_back({t.name, t.type, t.ne, t.bytes()});
        return out;
    }
};

// llama.cpp's architecture for a layout; Itera-Lite has none (an error prefixed by `where`, if given).
[[nodiscard]] inline gguf_arch arch_of(layout_kind k, const std::string& where = {}) {
    switch (k) {
        case layout_kind::hf_mamba: return gguf_arch::mamba;
        case layout_kind::hf_mamba2: return gguf_arch::mamba2;
        case layout_kind::nemotron_h: return gguf_arch::nemotron_h;
        default:
            fail((where.empty() ? "" : where + ": ") +
                 "the Itera-Lite layout has no llama.cpp architecture; GGUF export needs a Hugging Face MambaForCausalLM, "
                 "Mamba2ForCausalLM or NemotronHForCausalLM checkpoint (backbone.embeddings.weight, backbone.layers.N.mixer.*)");
    }
}

namespace detail {
// The keys llama.cpp's loader reads for the architecture, as its own converter writes them.
inline void architecture_kvs(std::vector<kv>& kvs, gguf_arch arch, const model_config& c, const std::string& name) {
    const std::string a(to_string(arch));
    const auto u = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
    kvs.push_back(kv::str("general.architecture", a));
    kvs.push_back(kv::u32("general.alignment", alignment));
    kvs.push_back(kv::str("general.name", name));
    kvs.push_back(kv::u32(a + ".context_length", 1u << 20));  // no limit of its own; llama.cpp's converter writes 2^20
    kvs.push_back(kv::u32(a + ".embedding_length", u(c.d_model)));
    if (arch == gguf_arch::nemotron_h) {  // a layer is recurrent where its feed-forward length and KV heads are both 0
        std::vector<std::int32_t> ff, kv_heads;
        for (std::int64_t l = 0; l < c.n_layers; ++l) {
            ff.push_back(c.kind(l) == layer_kind::mlp ? static_cast<std::int32_t>(c.mlp_width) : 0);
            kv_heads.push_back(c.kind(l) == layer_kind::attention ? static_cast<std::int32_t>(c.attn.kv_heads) : 0);
        }
        kvs.push_back(kv::i32s(a + ".feed_forward_length", ff));
        kvs.push_back(kv::u32(a + ".attention.head_count", u(c.attn.heads)));
        kvs.push_back(kv::i32s(a + ".attention.head_count_kv", kv_heads));
        if (c.attn.head_dim > 0) {
            kvs.push_back(kv::u32(a + ".attention.key_length", u(c.attn.head_dim)));
            kvs.push_back(kv::u32(a + ".attention.value_length", u(c.attn.head_dim)));
        }
        kvs.push_back(kv::f32(a + ".attention.layer_norm_epsilon", static_cast<float>(c.norm_eps)));
    } else {
        kvs.push_back(kv::u32(a + ".feed_forward_length", 0));  // unused by the SSM, but the loader reads it
        kvs.push_back(kv::u32(a + ".attention.head_count", 0));
    }
    kvs.push_back(kv::u32(a + ".block_count", u(c.n_layers)));
    kvs.push_back(kv::u32(a + ".ssm.conv_kernel", u(c.d_conv)));
    kvs.push_back(kv::u32(a + ".ssm.inner_size", u(c.d_inner)));
    kvs.push_back(kv::u32(a + ".ssm.state_size", u(c.d_state)));
    // Mamba-1: the rank of dt_proj; Mamba-2: one dt per head, so llama.cpp stores the head count here.
    kvs.push_back(kv::u32(a + ".ssm.time_step_rank", u(arch == gguf_arch::mamba ? c.dt_rank : c.ssd.heads)));
    if (arch != gguf_arch::mamba) kvs.push_back(kv::u32(a + ".ssm.group_count", u(c.ssd.groups)));
    kvs.push_back(kv::f32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.norm_eps)));
    if (arch == gguf_arch::mamba) kvs.push_back(kv::boolean(a + ".ssm.dt_b_c_rms", false));  // plain Mamba: no RMS norm on dt, B, C
    kvs.push_back(kv::u32(a + ".vocab_size", u(c.vocab)));
}

// The importance of every weight llama.cpp multiplies by, under its GGUF name: the head's goes to token_embd
// when llama.cpp computes the output with it (llama.cpp's imatrix tool records it there too).
inline importance_matrix importance_by_gguf_name(const importance_matrix& m, gguf_arch arch, const std::string& prefix, bool head_tied) {
    importance_matrix out;
    out.datasets = m.datasets, out.chunk_count = m.chunk_count, out.chunk_size = m.chunk_size;
    for (const auto& [name, e] : m.entries) {
        std::string g;
        if (name == "lm_head.weight") g = head_tied ? "token_embd.weight" : "output.weight";
        else if (const auto n = to_gguf_name(name, arch, prefix)) g = n->gguf;
        else continue;
        out.entries[g] = e;
    }
    return out;
}

inline std::string rule_text(const rule_table& t, const std::optional<std::size_t>& r) {
    return r ? "rule #" + std::to_string(*r + 1) + " '" + t.rules()[*r].pattern + "'" : std::string("no rule (source precision)");
}

// The values as llama.cpp wants them, encoded as `type`; the error against those values is measured.
// With `H`, a block type is rounded by GPTQ in its codes (gptq_blocks) instead.
inline void encode(exported_tensor& out, std::span<const float> w, int threads, const float* importance = nullptr,
                   const hessian* H = nullptr, const export_options* gptq = nullptr) {
    const auto row = out.ne[0];
    const auto rows = static_cast<std::int64_t>(w.size()) / row;
    std::vector<float> back(w.size());
    switch (out.type) {
        case ggml_type::f32:
            out.data = to_bytes(w);
            out.error = {};
            return;
        case ggml_type::f16:
        case ggml_type::bf16: {
            const auto bits = out.type == ggml_type::f16 ? cast_all<fp16_cast>(w, out.source->name) : cast_all<bf16_cast>(w, out.source->name);
            for (std::size_t i = 0; i < w.size(); ++i)
                back[i] = out.type == ggml_type::f16 ? half_bits_to_float(bits[i]) : bf16_bits_to_float(bits[i]);
            out.data = to_bytes(bits);
            break;
        }
        default: {  // a ggml block type: its reference rounding, then its decoding for the error
            if (H && gptq) {
                out.data = gptq_blocks(out.type, w, rows, row, *H, gptq->round, gptq->scales, threads, "tensor '" + out.source->name + "'");
                out.gptq = true;
                info(out.type).dequantize(out.data.data(), rows * row, back.data());
                break;
            }
            out.data.resize(static_cast<std::size_t>(rows * row_bytes(out.type, row)));
            quantize_rows(out.type, w, rows, row, importance, threads, out.data.data(), back.data());
            break;
        }
    }
    out.error = measure_error(w, [&](std::size_t i) { return back[i]; });
}
}  // namespace detail

// The metadata (the architecture's keys, the tokenizer, mixq's record of each tensor) and the sizes, once
// every tensor is encoded: export_gguf calls it, or the layer-wise driver after rounding the deferred tensors.
inline void finish_export(gguf_export& x) {
    if (!x.deferred.empty()) throw error(errc::internal, "finish_export: " + std::to_string(x.deferred.size()) + " tensor(s) not encoded yet");
    const auto& in = *x.input;
    const auto& c = x.config;
    const auto arch = arch_of(c.layout, in.path());
    x.kvs.clear();
    x.fp32_bytes = x.data_bytes = 0;
    auto& kvs = x.kvs;
    detail::architecture_kvs(kvs, arch, c, std::filesystem::path(in.path()).parent_path().filename().string());
    auto tok = tokenizer_from(x.tokenizer_json, c.vocab);
    x.tokenizer_note = tok.note;
    for (auto& k : tok.kvs) kvs.push_back(std::move(k));
    // mixq's own record: the version, the table and, per tensor, what was asked and what was written.
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const auto& r : x.table.rules()) rules.push_back({r.pattern, std::string(to_string(r.precision))});
    nlohmann::ordered_json schemes = nlohmann::ordered_json::object();
    for (const auto& t : x.tensors) {
        nlohmann::ordered_json s{{"source", t.source->name}, {"precision", std::string(to_string(t.asked))},
                                 {"type", std::string(to_string(t.type))}};
        if (!t.override_reason.empty()) s["override"] = t.override_reason;
        if (t.gptq) s["rounding"] = "gptq";
        schemes[t.name] = s;
    }
    kvs.push_back(kv::str("mixq.version", version));
    kvs.push_back(kv::str("mixq.table", nlohmann::ordered_json{{"name", x.table.name()}, {"rules", rules}}.dump()));
    kvs.push_back(kv::str("mixq.schemes", schemes.dump()));
    kvs.push_back(kv::boolean("mixq.tie_word_embeddings", x.head_omitted || x.head_absent));

    for (const auto& t : x.tensors) {
        x.fp32_bytes += static_cast<std::uint64_t>(t.source->numel()) * 4u;
        x.data_bytes += align_up(t.bytes().size());
    }
    x.file_bytes = gguf_header(x.kvs, x.outputs()).size() + x.data_bytes;
}

// Plans and encodes every tensor in memory; any refusal (layout, expand, a precision without a ggml type,
// a tensor llama.cpp has no place for) is a bad_input error before anything is written.
[[nodiscard]] inline gguf_export export_gguf(const io::safetensors_file& in, rule_table table, export_options opt = {}) {
    const auto t0 = std::chrono::steady_clock::now();
    gguf_export x;
    x.input = &in;
    x.table = std::move(table);
    const auto dir = std::filesystem::path(in.path()).parent_path();
    {
        const checkpoint_weights w(in);
        x.config = infer_config(w, dir / "config.json");
    }
    const auto& c = x.config;
    const auto arch = arch_of(c.layout, in.path());
    if (arch == gguf_arch::mamba && c.d_inner != 2 * c.d_model)
        fail(in.path() + ": d_inner = " + std::to_string(c.d_inner) + " is not 2 x d_model = " + std::to_string(2 * c.d_model) +
             "; llama.cpp's mamba supports only an expansion factor of 2");
    x.plan = make_plan(x.table, in.tensors());
    if (opt.strict) {
        if (const auto u = x.plan.unmatched(); !u.empty())
            fail_option("export_options::strict", in.path() + ": export_options::strict: tensor '" + u.front()->tensor->name + "' matches no rule");
        if (const auto u = x.plan.unused_rules(); !u.empty())
            fail_option("export_options::strict", "export_options::strict: " + detail::rule_text(x.table, u.front()) + " matches no tensor in " + in.path());
    }
    std::vector<std::string> refused;
    for (const auto& e : x.plan.entries)
        if (const auto g = to_gguf_name(e.tensor->name, arch, c.prefix); !ggml_type_for(e.target) && !(g && g->computed_in_f32))
            refused.push_back("'" + e.tensor->name + "' is " + std::string(to_string(e.target)) + " (" + detail::rule_text(x.table, e.rule) + ")");
    if (!refused.empty()) {
        std::string list;
        for (std::size_t i = 0; i < refused.size() && i < 5; ++i) list += (i ? "; " : "") + refused[i];
        fail(std::to_string(refused.size()) + " tensor(s) have a precision GGUF cannot hold: " + list +
             (refused.size() > 5 ? "; ..." : "") + ". GGUF holds " + representable());
    }
    const auto* emb = in.find(c.embedding());
    const auto* head = in.find("lm_head.weight");
    x.head_absent = !head;
    std::optional<precision> emb_target;
    for (const auto& e : x.plan.entries)
        if (e.tensor == emb) emb_target = e.target;
    // Whether llama.cpp will compute the output with token_embd (no head, or one equal to the embeddings).
    const bool head_tied = !head || [&] {
        std::optional<precision> head_target;
        for (const auto& e : x.plan.entries)
            if (e.tensor == head) head_target = e.target;
        return emb && head_target == emb_target && head->type == emb->type && head->shape == emb->shape && same_bytes(head->bytes, emb->bytes);
    }();
    if (opt.importance) x.imatrix = detail::importance_by_gguf_name(*opt.importance, arch, c.prefix, head_tied);
    if (opt.hessians || opt.deferred_products) {
        if (!opt.round) throw error(errc::internal, "export_gguf: Hessians without a rounding function (calib/gptq.hpp's gptq_rounder)");
        x.gptq = opt.scales, x.gptq_description = opt.gptq_description;
    }
    // The Hessian of the product a tensor is used in: its own, or the head's for a tied embedding table.
    const auto hessian_of = [&](const tensor_view& t) -> const hessian* {
        if (!opt.hessians) return nullptr;
        auto it = opt.hessians->find(t.name);
        if (it == opt.hessians->end() && &t == emb && head_tied) it = opt.hessians->find("lm_head.weight");
        return it == opt.hessians->end() ? nullptr : &it->second;
    };
    std::vector<float> w;
    for (const auto& e : x.plan.entries) {
        const auto& t = *e.tensor;
        const auto g = to_gguf_name(t.name, arch, c.prefix);
        if (!g)
            fail(in.path() + ": tensor '" + t.name + "' has no place in llama.cpp's " + std::string(to_string(arch)) +
                 " layout, which refuses extra tensors");
        if (!is_readable_float(t.type))
            fail(in.path() + ": tensor '" + t.name + "' has dtype " + std::string(to_string(t.type)) + ", which is not floating point");
        if (&t == head && head_tied) {
            x.head_omitted = true;  // llama.cpp uses token_embd as the output when output.weight is absent
            continue;
        }
        exported_tensor out;
        out.source = &t;
        out.name = g->gguf;
        out.rule = e.rule;
        out.asked = e.target;
        out.ne.assign(t.shape.rbegin(), t.shape.rend());
        if (g->transform == mamba_transform::squeeze_conv) out.ne = {t.shape.back(), t.shape.front()};
        if (g->transform == mamba_transform::column || g->transform == mamba_transform::negative_exp_column) out.ne = {1, t.numel()};
        if (g->transform == mamba_transform::by_group) out.ne = {t.numel() / c.ssd.groups, c.ssd.groups};
        const auto twin = ggml_type_for(e.target);
        out.type = twin.value_or(ggml_type::f32);
        if (g->computed_in_f32 && out.type != ggml_type::f32) {
            out.type = ggml_type::f32;
            out.override_reason = "llama.cpp computes it in F32";
        } else if (const auto fit = fitting_type(out.type, out.ne[0]); fit != out.type) {
            out.override_reason = "a row of " + std::to_string(out.ne[0]) + " values is not a whole number of " +
                                  std::string(to_string(out.type)) + " blocks of " + std::to_string(info(out.type).block) +
                                  "; " + std::string(to_string(fit)) + " as llama-quantize falls back";
            out.type = fit;
        }
        const bool negate_exp = g->transform == mamba_transform::negative_exp || g->transform == mamba_transform::negative_exp_column;
        const bool unchanged = t.type == dtype::f32 && out.type == ggml_type::f32 && !negate_exp;
        if (const auto* r = !unchanged && opt.reuse ? opt.reuse(t, out.type) : nullptr; r && !r->data.empty()) {
            out.data = r->data, out.gptq = r->gptq, out.error = r->error;
        } else if (!unchanged) {
            w.resize(static_cast<std::size_t>(t.numel()));
            to_float(t, w);
            check_finite(w, t.name);
            if (negate_exp)
                for (auto& v : w) v = -std::exp(v);
            std::vector<float> importance;
            if (x.imatrix && is_block_quantized(out.type) && x.imatrix->entries.count(out.name)) {
                importance = x.imatrix->weights(out.name);
                if (static_cast<std::int64_t>(importance.size()) != out.ne[0])
                    fail("importance of '" + t.name + "' holds " + std::to_string(importance.size()) + " values for rows of " +
                         std::to_string(out.ne[0]));
            }
            const bool gptq_able = g->transform == mamba_transform::none && is_block_quantized(out.type);
            if (gptq_able && opt.deferred_products) {  // the product this tensor feeds (a tied embedding table: the head)
                const auto product = &t == emb && head_tied ? std::string("lm_head.weight") : t.name;
                if (opt.deferred_products->count(product)) {
                    x.deferred.emplace_back(x.tensors.size(), product);
                    x.tensors.push_back(std::move(out));
                    continue;
                }
            }
            detail::encode(out, w, opt.threads, importance.empty() ? nullptr : importance.data(), gptq_able ? hessian_of(t) : nullptr, &opt);
        }
        x.tensors.push_back(std::move(out));
    }

    x.tokenizer_json = opt.tokenizer_json.empty() ? dir / "tokenizer.json" : opt.tokenizer_json;
    if (x.deferred.empty()) finish_export(x);
    x.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return x;
}

// The whole file in memory (for evaluating exactly what will be written) and on disk (atomically).
[[nodiscard]] inline std::vector<std::byte> serialize(const gguf_export& x) {
    auto out = gguf_header(x.kvs, x.outputs());
    for (const auto& t : x.tensors) {
        const auto b = t.bytes();
        out.insert(out.end(), b.begin(), b.end());
        out.resize(align_up(out.size()), std::byte{0});
    }
    return out;
}

}  // namespace mixq::gguf
