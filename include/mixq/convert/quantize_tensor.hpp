// One tensor of a conversion: its quantizer or cast (the calibration and GPTQ the options ask for), in row blocks on threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "../calib/absmax.hpp"
#include "../calib/entropy.hpp"
#include "../calib/hessian.hpp"
#include "../calib/mse.hpp"
#include "../calib/percentile.hpp"
#include "../core/bytes.hpp"
#include "../quant/cast_rows.hpp"
#include "../quant/check_finite.hpp"
#include "../quant/error_stats.hpp"
#include "../quant/float_cast.hpp"
#include "../quant/int8_rows.hpp"
#include "../quant/lowbit.hpp"
#include "../quant/symmetric.hpp"
#include "conversion.hpp"

namespace mixq {

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
    with_lowbit(out.target, [&]<precision P>(std::integral_constant<precision, P>) {
        using codec = typename lowbit_policy<P, absmax>::codec;
        if (o.lowbit == lowbit_calibration::mse) quantize_scaled(out, w, lowbit_policy<P, mse_for<codec>>{mse_lowbit<codec>}, H, o.round);
        else quantize_scaled(out, w, lowbit_policy<P, absmax>{}, H, o.round);
    });
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

}  // namespace detail

// Whether the planned tensor's values change (a rule asks for another precision than it is stored in).
[[nodiscard]] inline bool needs_fill(const plan_entry& e) {
    return e.rule && is_readable_float(e.tensor->type) && source_precision(*e.tensor) != e.target;
}
[[nodiscard]] inline bool needs_fill(const converted_tensor& x) {
    return !x.alias_of && x.rule && is_readable_float(x.source->type) && source_precision(*x.source) != x.target;
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
    } else if (is_quantized(out.target)) {
        detail::quantize_lowbit(out, src, options, H);
    } else if (is_ggml_block(out.target)) {
        throw error(errc::internal, "convert: the ggml block type " + std::string(to_string(out.target)) + " reached fill_tensor");
    } else if (traits(out.target).stored == dtype::f16) {
        detail::cast_tensor<fp16_cast>(out, src, threads);
    } else if (traits(out.target).stored == dtype::bf16) {
        detail::cast_tensor<bf16_cast>(out, src, threads);
    } else {  // fp32
        out.stored = dtype::f32;
        out.scheme = to_string(out.target);
        out.data = to_bytes(src);
        out.error = error_stats{};  // widening fp16 / bf16 to fp32 is exact
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
    const auto rows = static_cast<std::uint64_t>(t.rows()), cols = static_cast<std::uint64_t>(t.cols());
    const auto& f = traits(x.target);
    return {rows * f.row_bytes(cols), f.scale_count(rows, cols)};
}

}  // namespace mixq
