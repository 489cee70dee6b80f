// The conversion itself: decide each tensor's precision, quantize or cast it, store tied tensors once, total up.
#pragma once

#include <algorithm>
#include <chrono>
#include <future>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "../calib/absmax.hpp"
#include "../calib/entropy.hpp"
#include "../calib/hessian.hpp"
#include "../calib/method.hpp"
#include "../calib/mse.hpp"
#include "../calib/percentile.hpp"
#include "../core/bytes.hpp"
#include "../io/safetensors_reader.hpp"
#include "../precision/match_plan.hpp"
#include "../quant/check_finite.hpp"
#include "../quant/cast_rows.hpp"
#include "../quant/int8_rows.hpp"
#include "../quant/error_stats.hpp"
#include "../quant/float_cast.hpp"
#include "../quant/lowbit.hpp"
#include "../quant/symmetric.hpp"

namespace mixq {

// The clip of each group (int4, nf4) or row (fp8) below int8: its max (the oracle's semantics) or the
// clip minimising that group's squared error (calib/mse.hpp's low-bit grid).
enum class lowbit_calibration { max, mse };

struct converted_tensor;

struct convert_options {
    calibration_method calibration = calibration_method::percentile;  // int8 clips
    double percentile = 99.99;  // used by calibration_method::percentile
    lowbit_calibration lowbit = lowbit_calibration::max;  // int4 / nf4 / fp8 clips
    // GPTQ rounding on top of the clips above, for int8 and / or the low-bit precisions: needs the layers'
    // Hessians (convert/hessians.hpp) and the rounding itself (calib/gptq.hpp's gptq_rounder).
    bool gptq_int8 = false, gptq_lowbit = false;
    const hessian_set* hessians = nullptr;
    rounding_fn round;
    std::string gptq_description;  // for metadata: "damp 0.01, block 128, act order off"
    bool strict = false;        // unmatched tensors and rules that match nothing become errors
    unsigned threads = 1;       // row blocks of a large tensor quantized at once (the result never depends on it)
    // Drop each source tensor's mapped pages once read (streaming conversion only: the search converts the
    // same input many times and would re-fault them every time).
    bool release_input = false;
    // Tensors already converted with these same options (the search's candidate conversions): given a
    // planned tensor, one converted from the same source to the same precision, or null. Its result is
    // copied instead of computed again: conversion is deterministic, so only the work (GPTQ) is saved.
    std::function<const converted_tensor*(const converted_tensor& planned)> reuse;
};

// One output tensor. `data` is empty when the tensor is stored unchanged (bytes come from the source
// view) or when it is an alias of an earlier identical tensor.
struct converted_tensor {
    const tensor_view* source = nullptr;
    std::optional<std::size_t> rule;
    precision target = precision::fp32;
    dtype stored = dtype::f32;
    std::string scheme;                  // "int8:symmetric:per_channel:percentile:99.99", "fp16", ...; empty if unchanged
    std::optional<std::string> alias_of;  // stored once under that name (only a tied head: loader_tie)
    std::optional<std::string> identical_to;  // same contents as that earlier tensor, but stored under its own name
    std::vector<std::byte> data;
    std::vector<float> scales;  // quantized only: int8 / fp8 one per row, int4 / nf4 [rows, groups]
    shape_t stored_shape;       // the shape written: 4-bit codes are [rows, ceil(cols / 2)]; empty: the source's
    shape_t scale_shape;        // the shape of X_scale
    bool quantized = false;     // codes plus scales (int8, int4, nf4, fp8)
    bool gptq = false;          // rounded by GPTQ
    std::optional<error_stats> error;
    float scale_min = 0.0f, scale_max = 0.0f;

    // Streaming conversion (convert/stream.hpp) writes each tensor's bytes and then drops them; these keep their sizes.
    bool released = false;
    std::size_t released_data = 0, released_scales = 0;

    [[nodiscard]] bool converted() const noexcept { return !scheme.empty(); }
    // Quantized by mixq: stored with an "X_scale" tensor (empty for an empty tensor, but always there).
    [[nodiscard]] bool has_scales() const noexcept { return quantized && converted() && !alias_of; }
    [[nodiscard]] const shape_t& shape_written() const noexcept { return stored_shape.empty() ? source->shape : stored_shape; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        if (released) return {};  // written already; only its size is known (bytes_after)
        return data.empty() && !alias_of ? source->bytes : std::span<const std::byte>(data);
    }
    [[nodiscard]] std::size_t scale_count() const noexcept { return released ? released_scales : scales.size(); }
    // The data bytes written for this tensor (not its scales); 0 for an alias.
    [[nodiscard]] std::size_t data_bytes() const noexcept { return released ? released_data : alias_of ? 0 : bytes().size(); }
    // Frees what was written (the codes, the scales): the sizes stay for the totals and the header.
    // `recycle`, if given, receives the emptied data buffer with its capacity, for the next tensor.
    void release(std::vector<std::byte>* recycle = nullptr) {
        released_data = data_bytes();
        released_scales = scales.size();
        released = true;
        if (recycle) {
            data.clear();
            recycle->swap(data);
        }
        std::vector<std::byte>().swap(data);
        std::vector<float>().swap(scales);
    }
    [[nodiscard]] std::size_t bytes_before() const noexcept { return source->bytes.size(); }
    // Bytes this tensor adds to the output file (codes plus scales; 0 for an alias).
    [[nodiscard]] std::size_t bytes_after() const noexcept {
        return alias_of ? 0 : data_bytes() + scale_count() * sizeof(float);
    }
};

struct compression_totals {
    std::map<precision, std::int64_t> params;   // unique parameters per stored precision
    std::map<precision, std::int64_t> tensors;  // unique tensors per stored precision
    std::int64_t unique_params = 0;
    std::uint64_t fp32_bytes = 0;   // unique parameters x 4
    std::uint64_t source_bytes = 0; // the same tensors as the input stores them (F16 / BF16 sources: half of fp32_bytes)
    std::uint64_t mixed_bytes = 0;  // every byte of tensor data written, scales included
    std::size_t calibrated_tensors = 0;  // quantized tensors: "calibration_layers" in the seed's schema
    std::size_t gptq_tensors = 0;        // of those, rounded by GPTQ

    [[nodiscard]] double ratio() const noexcept {
        return mixed_bytes ? static_cast<double>(fp32_bytes) / static_cast<double>(mixed_bytes) : 0.0;
    }
    [[nodiscard]] double source_ratio() const noexcept {
        return mixed_bytes ? static_cast<double>(source_bytes) / static_cast<double>(mixed_bytes) : 0.0;
    }
};

// Perplexity of the original and the converted model on the same tokens (mixq-convert --eval).
struct quality_summary {
    double fp32_perplexity = 0.0;   // the original checkpoint as stored
    double mixed_perplexity = 0.0;  // the converted checkpoint
    std::int64_t eval_tokens = 0;   // tokens scored
    double seconds = 0.0;           // both evaluations
    std::optional<double> delta_stderr_percent;  // paired standard error of the change over the windows
    std::int64_t windows = 0;

    [[nodiscard]] double delta_percent() const noexcept { return 100.0 * (mixed_perplexity / fp32_perplexity - 1.0); }
};

struct conversion {
    const io::safetensors_file* input = nullptr;
    rule_table table;
    convert_options options;
    match_plan plan;
    std::vector<converted_tensor> tensors;  // checkpoint order
    compression_totals totals;
    std::optional<quality_summary> quality;
    // Activation ranges (mixq-convert --calib): written into metadata.json as "activation_ranges".
    std::optional<nlohmann::ordered_json> activation_ranges;
    // The precision search that chose the table (mixq-search): written into metadata.json as "search".
    std::optional<nlohmann::ordered_json> search;
    double seconds = 0.0;

    [[nodiscard]] std::string calibration_description() const {
        std::string d = options.calibration == calibration_method::percentile ? percentile{options.percentile}.describe()
                                                                              : std::string(to_string(options.calibration));
        if (options.gptq_int8) d += "+gptq";
        d += std::string(", below int8 ") + (options.lowbit == lowbit_calibration::mse ? "mse" : "max");
        if (options.gptq_lowbit) d += "+gptq";
        return d;
    }
};

namespace detail {

// The calibrator is chosen at run time (--calibration); each alternative is a distinct quantizer type.
using int8_quantizer = std::variant<symmetric<int8, per_channel, absmax>, symmetric<int8, per_channel, percentile>,
                                    symmetric<int8, per_channel, mse>, symmetric<int8, per_channel, entropy>>;

inline int8_quantizer make_int8_quantizer(const convert_options& o) {
    switch (o.calibration) {
        case calibration_method::max: return symmetric<int8, per_channel, absmax>{};
        case calibration_method::mse: return symmetric<int8, per_channel, mse>{};
        case calibration_method::entropy: return symmetric<int8, per_channel, entropy>{};
        case calibration_method::percentile: break;
    }
    return symmetric<int8, per_channel, percentile>{percentile{o.percentile}};
}

// scale_min / scale_max from the tensor's scales (a [0, n] tensor has no rows and no scales).
inline void note_scale_range(converted_tensor& out) {
    if (out.scales.empty()) return;
    const auto [lo, hi] = std::minmax_element(out.scales.begin(), out.scales.end());
    out.scale_min = *lo;
    out.scale_max = *hi;
}

// Tensors above this many values are split across threads.
inline constexpr std::int64_t block_elems = std::int64_t{1} << 22;

template <class Cast>
void cast_tensor(converted_tensor& out, std::span<const float> w, unsigned threads = 1) {
    out.data.resize(w.size() * 2);
    const auto r = cast_rows<Cast>(w, out.data, static_cast<std::int64_t>(w.size()) > block_elems ? threads : 1u);
    if (!r.ok) {  // name the value
        check_finite(w, out.source->name);
        (void)cast_all<Cast>(w, out.source->name);
        throw error(errc::internal, "cast of '" + out.source->name + "' refused a value that check_finite and cast_all accept");
    }
    out.stored = Cast::stored;
    out.scheme = std::string(to_string(Cast::target));
    out.error = r.error;
}

inline void quantize_int8(converted_tensor& out, std::span<const float> w, const int8_quantizer& q, const hessian* H,
                          const rounding_fn& round, unsigned threads = 1) {
    if (!H) {  // one sweep per row (quant/int8_rows.hpp): the codes of quant.quantize, written straight into the output
        std::visit(
            [&](const auto& quant) {
                const auto rows = out.source->rows();
                out.scheme = quant.scheme();
                out.data.resize(w.size());
                out.scales.resize(static_cast<std::size_t>(rows));
                const auto r = quantize_int8_rows(w, rows, quant.calibrate, out.data, out.scales,
                                                  static_cast<std::int64_t>(w.size()) > block_elems ? threads : 1u);
                if (!r.ok) check_finite(w, out.source->name);  // names the first bad value
                out.error = r.error;
                note_scale_range(out);
                out.scale_shape = {rows};
            },
            q);
        out.stored = dtype::i8;
        out.quantized = true;
        return;
    }
    std::visit(
        [&](const auto& quant) {
            auto qt = quant.quantize(w, out.source->rows());
            out.scheme = quant.scheme();
            if (H && qt.cols > 0) {  // GPTQ keeps the calibrator's row scales and re-rounds the codes
                const auto rounded = round(w, qt.rows, qt.cols, *H, [&](float v, std::int64_t r, std::int64_t) {
                    return int8_codec::roundtrip(v, qt.scale_of_row(r));
                }, "tensor '" + out.source->name + "'");
                for (std::size_t i = 0; i < rounded.size(); ++i)
                    qt.codes[i] = int8_code(rounded[i], qt.scale_of_row(static_cast<std::int64_t>(i) / qt.cols));
                out.scheme += ":gptq";
                out.gptq = true;
            }
            out.error = measure_error(w, [&](std::size_t i) {  // only called for i < w.size(), so cols > 0
                return qt.dequantize(static_cast<std::int64_t>(i) / qt.cols, static_cast<std::int64_t>(i) % qt.cols);
            });
            out.scales = std::move(qt.scales);
            note_scale_range(out);
            out.scale_shape = {static_cast<std::int64_t>(out.scales.size())};
            out.data = to_bytes(qt.codes);
        },
        q);
    out.stored = dtype::i8;
    out.quantized = true;
}

// Below int8: the policy's scales first (from the original weights), then GPTQ's rounding against them
// if a Hessian is given, then the codes. Q is a groupwise<...> or float8_per_channel<...>.
template <class Q>
void quantize_scaled(converted_tensor& out, std::span<const float> w, const Q& q, const hessian* H, const rounding_fn& round) {
    const auto rows = out.source->rows(), cols = out.source->cols();
    auto scales = q.scales(w, rows);
    const std::int64_t groups = Q::group ? (cols + Q::group - 1) / Q::group : 1;
    auto scale_at = [&](std::int64_t r, std::int64_t c) {
        return scales[static_cast<std::size_t>(r * groups + (Q::group ? c / Q::group : 0))];
    };
    std::vector<float> rounded;
    std::span<const float> src = w;
    out.scheme = q.scheme();
    if (H && cols > 0) {
        rounded = round(w, rows, cols, *H, [&](float v, std::int64_t r, std::int64_t c) {
            return Q::codec::roundtrip(v, scale_at(r, c));
        }, "tensor '" + out.source->name + "'");
        src = rounded;  // every value already on the grid: encoding gives back its code
        out.scheme += ":gptq";
        out.gptq = true;
    }
    auto m = Q::encode(src, rows, std::move(scales));
    out.error = measure_error(w, [&](std::size_t i) {
        return m.dequantize(static_cast<std::int64_t>(i) / cols, static_cast<std::int64_t>(i) % cols);
    });
    if constexpr (Q::group > 0) {
        out.stored = dtype::u8;
        out.stored_shape = {rows, m.row_bytes()};
        out.scale_shape = {rows, m.groups()};
        out.data = to_bytes(m.packed);
    } else {
        out.stored = dtype::f8_e4m3;
        out.scale_shape = {rows};
        out.data = to_bytes(m.codes);
    }
    out.scales = std::move(m.scales);
    note_scale_range(out);
    out.quantized = true;
}

// The policy for a precision below int8 and a calibration method, then quantize_scaled.
inline void quantize_lowbit(converted_tensor& out, std::span<const float> w, const convert_options& o, const hessian* H) {
    const bool m = o.lowbit == lowbit_calibration::mse;
    auto run = [&](auto max_policy, auto mse_policy) {
        if (m) quantize_scaled(out, w, mse_policy, H, o.round);
        else quantize_scaled(out, w, max_policy, H, o.round);
    };
    switch (out.target) {
        case precision::int4_g32:
            return run(groupwise<int4, per_group<32>, absmax>{}, groupwise<int4, per_group<32>, mse_for<int4_codec>>{mse_lowbit<int4_codec>});
        case precision::int4_g64:
            return run(groupwise<int4, per_group<64>, absmax>{}, groupwise<int4, per_group<64>, mse_for<int4_codec>>{mse_lowbit<int4_codec>});
        case precision::int4_g128:
            return run(groupwise<int4, per_group<128>, absmax>{}, groupwise<int4, per_group<128>, mse_for<int4_codec>>{mse_lowbit<int4_codec>});
        case precision::nf4:
            return run(groupwise<nf4, per_group<64>, absmax>{}, groupwise<nf4, per_group<64>, mse_for<nf4_codec>>{mse_lowbit<nf4_codec>});
        case precision::fp8_e4m3:
            return run(float8_per_channel<absmax>{}, float8_per_channel<mse_for<fp8_e4m3_codec>>{mse_lowbit<fp8_e4m3_codec>});
        default: throw error(errc::internal, "quantize_lowbit: " + std::string(to_string(out.target)) + " is not below int8");
    }
}

// The embedding table that also serves as the head when the file has no lm_head.weight (tied, as
// Mamba-130M is stored); empty otherwise.
inline std::string tied_embedding_name(const io::safetensors_file& in) {
    if (in.find("lm_head.weight")) return {};
    for (const char* e : {"backbone.embeddings.weight", "embedding.weight"})
        if (in.find(e)) return e;
    return {};
}

// Which of the Hessians named `names` (sorted, as a hessian_set's keys) GPTQ uses for a tensor: its own
// (a product's input), else that of an identical tensor, else, for the embedding table a tied head is
// (no lm_head.weight in the file), the head's ("lm_head.weight"; `tied` says so).
struct hessian_source {
    std::string name;
    bool tied = false;
};
template <class Names>
inline std::optional<hessian_source> find_hessian_source(const Names& names, const tensor_view& t, const io::safetensors_file& in) {
    const auto has = [&](const std::string& n) { return std::binary_search(names.begin(), names.end(), n); };
    if (has(t.name)) return hessian_source{t.name};
    for (const auto& name : names)
        if (const auto* o = in.find(name); o && o->type == t.type && o->shape == t.shape && same_bytes(o->bytes, t.bytes))
            return hessian_source{name};
    if (t.name == tied_embedding_name(in) && has("lm_head.weight")) return hessian_source{"lm_head.weight", true};
    return std::nullopt;
}

// The Hessian GPTQ uses for a tensor (find_hessian_source), or null.
inline const hessian* hessian_for(const hessian_set& hs, const tensor_view& t, const io::safetensors_file& in) {
    std::vector<std::string> names;
    names.reserve(hs.size());
    for (const auto& [name, h] : hs) names.push_back(name);
    const auto s = find_hessian_source(names, t, in);
    if (!s) return nullptr;
    const auto& h = hs.find(s->name)->second;
    return !s->tied || h.k == t.cols() ? &h : nullptr;
}

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

// Below int8, a tensor of more than block_elems values is quantized in blocks of whole rows of about that
// many values, on up to `threads` threads (int8 splits its rows itself, quant/int8_rows.hpp). Every scheme
// here is per row or per group within a row, so the codes and scales are exactly those of one pass; the
// error stats are merged in block order, so the result never depends on the thread count. (GPTQ's
// rounding couples a row's columns through the Hessian and runs whole.)

inline void quantize_by_row_blocks(converted_tensor& out, std::span<const float> w, const convert_options& o, unsigned threads) {
    const auto& t = *out.source;
    const auto rows = t.rows(), cols = t.cols();
    const auto per = std::max<std::int64_t>(1, block_elems / std::max<std::int64_t>(cols, 1));
    const auto blocks = static_cast<std::size_t>((rows + per - 1) / per);
    std::vector<tensor_view> views(blocks);
    std::vector<converted_tensor> parts(blocks);
    auto run = [&](std::size_t b) {
        const auto r0 = static_cast<std::int64_t>(b) * per, r = std::min(per, rows - r0);
        auto shape = t.shape;
        shape[0] = r;
        views[b] = tensor_view{t.name, t.type, std::move(shape), {}};  // values come from w; only name and shape are read
        auto& p = parts[b];
        p.source = &views[b];
        p.target = out.target;
        const auto part = w.subspan(static_cast<std::size_t>(r0 * cols), static_cast<std::size_t>(r * cols));
        quantize_lowbit(p, part, o, nullptr);
    };
    const auto n = std::max(1u, threads);
    for (std::size_t b0 = 0; b0 < blocks; b0 += n) {  // n blocks at a time, the first on this thread
        std::vector<std::future<void>> rest;
        for (std::size_t b = b0 + 1; b < std::min(blocks, b0 + n); ++b) rest.push_back(std::async(std::launch::async, run, b));
        run(b0);
        for (auto& f : rest) f.get();
    }
    // Concatenate in row order: codes, scales ([rows] or [rows, groups], row-major), stats.
    std::size_t data = 0, scales = 0;
    for (const auto& p : parts) {
        data += p.data.size();
        scales += p.scales.size();
    }
    out.data.reserve(data);
    out.scales.reserve(scales);
    std::vector<error_stats> errs;
    for (std::size_t b = 0; b < blocks; ++b) {
        auto& p = parts[b];
        out.data.insert(out.data.end(), p.data.begin(), p.data.end());
        out.scales.insert(out.scales.end(), p.scales.begin(), p.scales.end());
        errs.push_back(p.error.value_or(error_stats{}));
        out.scale_min = b ? std::min(out.scale_min, p.scale_min) : p.scale_min;
        out.scale_max = b ? std::max(out.scale_max, p.scale_max) : p.scale_max;
        std::vector<std::byte>().swap(p.data);
    }
    const auto& first = parts.front();
    out.scheme = first.scheme;
    out.stored = first.stored;
    out.quantized = first.quantized;
    out.error = merge_error(errs);
    out.scale_shape = first.scale_shape;
    out.scale_shape[0] = rows;
    if (!first.stored_shape.empty()) {
        out.stored_shape = first.stored_shape;
        out.stored_shape[0] = rows;
    }
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
        fail("--percentile " + std::to_string(options.percentile) + " must be in (0, 100]");
    if ((options.gptq_int8 || options.gptq_lowbit) && !options.hessians)
        fail("gptq needs calibration tokens (--calib TOKENS.npy): its Hessians come from the layers' inputs");
    if ((options.gptq_int8 || options.gptq_lowbit) && !options.round)
        throw error(errc::internal, "convert: gptq asked for without a rounding function (calib/gptq.hpp's gptq_rounder)");

    if (options.strict) {
        if (const auto u = c.plan.unmatched(); !u.empty()) {
            std::string names;
            for (std::size_t i = 0; i < u.size() && i < 10; ++i) names += (i ? ", " : "") + u[i]->tensor->name;
            fail(in.path() + ": --strict: " + std::to_string(u.size()) + " tensor(s) match no rule: " + names +
                 (u.size() > 10 ? ", ..." : ""));
        }
        if (const auto u = c.plan.unused_rules(); !u.empty())
            fail("--strict: " + detail::rule_name(c.table, u.front()) + " matches no tensor in " + in.path());
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

// Whether the planned tensor's values change (a rule asks for another precision than it is stored in).
[[nodiscard]] inline bool needs_fill(const plan_entry& e) {
    return e.rule && is_readable_float(e.tensor->type) && source_precision(*e.tensor) != e.target;
}
[[nodiscard]] inline bool needs_fill(const converted_tensor& x) {
    return !x.alias_of && x.rule && is_readable_float(x.source->type) && source_precision(*x.source) != x.target;
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

// Quantizes or casts one prepared tensor. Distinct tensors may be filled on different threads at once
// (each with its own scratch buffer `w`): this reads only the source, the options and the quantizer.
inline void fill_tensor(const conversion& c, converted_tensor& out, const detail::int8_quantizer& q8, std::vector<float>& w,
                        unsigned threads = 1) {
    if (!needs_fill(out)) return;
    const auto& options = c.options;
    if (options.reuse)
        if (const auto* done = options.reuse(out)) {
            if (done->source != out.source || done->target != out.target)
                throw error(errc::internal, "convert: '" + out.source->name + "' reused from another tensor or precision");
            out.stored = done->stored;
            out.scheme = done->scheme;
            out.data = done->data;
            out.scales = done->scales;
            out.stored_shape = done->stored_shape;
            out.scale_shape = done->scale_shape;
            out.quantized = done->quantized;
            out.gptq = done->gptq;
            out.error = done->error;
            out.scale_min = done->scale_min;
            out.scale_max = done->scale_max;
            return;
        }
    const auto& t = *out.source;
    // fp32 values are read where they lie (4-byte aligned, as a safetensors writer pads them); others are widened into w.
    std::span<const float> src;
    if (t.type == dtype::f32 && reinterpret_cast<std::uintptr_t>(t.bytes.data()) % alignof(float) == 0) {
        src = {reinterpret_cast<const float*>(t.bytes.data()), static_cast<std::size_t>(t.numel())};
    } else {
        w.resize(static_cast<std::size_t>(t.numel()));
        to_float(t, w);
        if (options.release_input) c.input->release(t);  // read once: its pages can go (see io::mapped_file::release)
        src = w;
    }
    const bool gq = out.target == precision::int8 ? options.gptq_int8 : options.gptq_lowbit;
    const hessian* H = gq && is_quantized(out.target) ? detail::hessian_for(*options.hessians, t, *c.input) : nullptr;
    // int8 without GPTQ and the 16-bit casts check each row or chunk as they go
    const bool checks_itself = (out.target == precision::int8 && !H) || out.target == precision::fp16 || out.target == precision::bf16;
    if (!checks_itself) check_finite(src, t.name);
    if (out.target == precision::int8) {
        detail::quantize_int8(out, src, q8, H, options.round, threads);
    } else if (!H && is_quantized(out.target) && t.numel() > detail::block_elems && t.rows() > 1 && t.shape.size() >= 2) {
        detail::quantize_by_row_blocks(out, src, options, threads);
    } else {
        switch (out.target) {
            case precision::int8: break;  // above
            case precision::int4_g32:
            case precision::int4_g64:
            case precision::int4_g128:
            case precision::nf4:
            case precision::fp8_e4m3: detail::quantize_lowbit(out, src, options, H); break;
            case precision::fp16: detail::cast_tensor<fp16_cast>(out, src, threads); break;
            case precision::bf16: detail::cast_tensor<bf16_cast>(out, src, threads); break;
            case precision::q4_0: case precision::q4_1: case precision::q5_0: case precision::q5_1: case precision::q8_0:
            case precision::q2_k: case precision::q3_k: case precision::q4_k: case precision::q5_k: case precision::q6_k:
            case precision::iq4_nl:
                throw error(errc::internal, "convert: the ggml block type " + std::string(to_string(out.target)) + " reached fill_tensor");
            case precision::fp32:
                out.stored = dtype::f32;
                out.scheme = "fp32";
                out.data = to_bytes(src);
                out.error = error_stats{};  // widening fp16 / bf16 to fp32 is exact
                break;
        }
    }
    if (options.release_input && src.data() != w.data()) c.input->release(t);
}

// What a prepared tensor will write, known before it is filled (fill_tensor's outputs have these sizes):
// its data bytes and its number of scales. A streaming conversion places each tensor in the data file
// from these, so tensors can be written by the threads that fill them, in any order.
struct planned_size {
    std::uint64_t data = 0, scales = 0;
    [[nodiscard]] std::uint64_t bytes() const noexcept { return data + scales * sizeof(float); }
};
[[nodiscard]] inline planned_size plan_size(const converted_tensor& x) {
    if (x.alias_of) return {};
    const auto& t = *x.source;
    if (!needs_fill(x)) return {t.bytes.size(), 0};
    const auto n = static_cast<std::uint64_t>(t.numel()), rows = static_cast<std::uint64_t>(t.rows());
    if (is_packed4(x.target)) {
        const auto cols = static_cast<std::uint64_t>(t.cols()), g = static_cast<std::uint64_t>(group_size(x.target));
        return {rows * ((cols + 1) / 2), rows * ((cols + g - 1) / g)};
    }
    if (is_quantized(x.target)) return {n, rows};  // int8, fp8: a byte per value, a scale per row
    return {n * static_cast<std::uint64_t>(bits_per_value(x.target) / 8), 0};
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
